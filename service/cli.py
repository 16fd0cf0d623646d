"""`python -m service <command>`: migrate and serve (more commands join as capabilities land)."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from service import devdb, migrate
from service.logs import configure_logging
from service.settings import Settings, SettingsError


def _database_url(settings: Settings) -> str:
    """The configured database; in development without one, the embedded PostgreSQL."""
    if settings.database_url:
        return settings.database_url
    return devdb.embedded_server_url()


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    url = _database_url(settings)
    if args.status:
        state = migrate.status(url)
        if state.standins_needed:
            print("pending  sql/ stand-ins (roles, auth schema)")
        for version in state.applied:
            print(f"applied  {version}")
        for name in state.pending:
            print(f"pending  {name}")
        return 0
    applied = migrate.migrate(url)
    print("\n".join(f"applied  {name}" for name in applied) or "up to date")
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from service.app import create_app

    url = _database_url(settings)
    migrate.migrate(url)
    settings = dataclasses.replace(settings, database_url=url)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_config=None)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m service", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("migrate", help="apply pending database migrations")
    p.add_argument("--status", action="store_true", help="list applied and pending migrations")
    p.set_defaults(handler=cmd_migrate)

    p = commands.add_parser("serve", help="run the HTTP service on uvicorn")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(handler=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        return int(args.handler(settings, args))
    except migrate.MigrationError as exc:
        print(f"migration error: {exc}", file=sys.stderr)
        return 1
