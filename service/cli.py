"""`mux-lessons <command>` (or `python -m service <command>`): migrate, serve, run the worker,
reconcile, inspect events and Mux cleanups, check a deployment (`doctor`).

Every command names its database with DATABASE_URL; nothing here starts a database of its
own (`make serve` and the demo do that for development, through `devstack`)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg

from service import http_parsers
from service.app import create_app
from service.database import connect_checks, migrations
from service.database.pool import Database
from service.database.values import positive_bigint, storable_text
from service.ingest import stored_events
from service.ingest.reconciler import Reconciler
from service.mux import cleanup_outbox, orphans
from service.mux.client import MuxClient
from service.ops import doctor
from service.settings import DATABASE_URL_MISSING, Settings, SettingsError
from service.telemetry import metrics
from service.telemetry.logs import configure_logging
from service.worker import Worker


def _resolved(settings: Settings) -> Settings:
    """The configured database, required. Stops with a clear message when it is not set, or
    when a URL requires TLS and cannot get it."""
    if not settings.database_url:
        raise SettingsError(DATABASE_URL_MISSING)
    connect_checks.check_tls_settings(settings)
    return settings


def _migration_url(settings: Settings) -> str:
    """Migrations take a session advisory lock: only over a session-capable connection."""
    if settings.session_url is None:
        raise connect_checks.SessionUrlRequired("migrations")
    return settings.session_url


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    settings = _resolved(settings)
    if args.status:
        state = migrations.status(settings.session_url or str(settings.database_url))
        if state.standins_needed:
            print("pending  sql/ stand-ins (roles, auth schema)")
        for version in state.applied:
            print(f"applied  {version}")
        for name in state.pending:
            print(f"pending  {name}")
        return 0
    applied = migrations.migrate(_migration_url(settings))
    print("\n".join(f"applied  {name}" for name in applied) or "up to date")
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    settings = _resolved(settings)
    if settings.session_url is not None:
        migrations.migrate(settings.session_url)
    elif migrations.status(str(settings.database_url)).pending:
        raise connect_checks.SessionUrlRequired("pending migrations")
    app = create_app(settings, with_worker=args.with_worker)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=None,
        http=(
            http_parsers.HttpToolsProtocol if args.http == "httptools" else http_parsers.H11Protocol
        ),
        h11_max_incomplete_event_size=settings.http_max_head_bytes,
        forwarded_allow_ips=list(settings.forwarded_allow_ips),
    )
    return 0


def _with_database(settings: Settings, job: Callable[[Database, Settings], Awaitable[int]]) -> int:
    """Run an async job with an open pool on the configured database."""
    settings = _resolved(settings)

    async def main() -> int:
        db = Database.for_settings(settings)
        await db.open()
        try:
            return await job(db, settings)
        finally:
            await db.close()

    return asyncio.run(main())


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    async def job(db: Database, settings: Settings) -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        mux = None if args.no_reconcile else MuxClient(settings)
        if settings.worker_metrics_port is not None and settings.metrics_token:
            metrics.serve_on_port(
                settings.worker_metrics_port,
                host=settings.worker_metrics_host,
                token=settings.metrics_token,
            )
        await Worker(db, settings, mux).run(stop)
        return 0

    return _with_database(settings, job)


def cmd_reconcile(settings: Settings, args: argparse.Namespace) -> int:
    if args.delete and not args.orphans:
        print("--delete goes with --orphans", file=sys.stderr)
        return 2
    if args.orphans:
        return _with_database(settings, lambda db, s: _orphan_sweep(db, s, args.delete))

    async def job(db: Database, settings: Settings) -> int:
        report = await Reconciler(db, MuxClient(settings), settings).run()
        if report.skipped_locked:
            print("another reconcile run is in progress; nothing done")
            return 0
        print(
            f"stuck lessons: {report.stuck}  Mux calls: {report.mux_calls}  fixed: {report.fixed}"
        )
        return 0

    return _with_database(settings, job)


async def _orphan_sweep(db: Database, settings: Settings, delete: bool) -> int:
    report = await orphans.sweep(db, MuxClient(settings), settings, delete=delete)
    for asset_id in report.orphans:
        print(f"orphan  {asset_id}")
    print(
        f"assets scanned: {report.scanned}{'' if report.complete else ' (list not finished)'}  "
        f"orphans: {len(report.orphans)}  Mux calls: {report.mux_calls}"
        + (
            f"  deletion scheduled: {report.scheduled}  deleted now: {report.deleted}"
            if delete
            else ""
        )
    )
    return 0


def cmd_cleanups(settings: Settings, args: argparse.Namespace) -> int:
    async def job(db: Database, settings: Settings) -> int:
        if args.action == "replay":
            replayed = await cleanup_outbox.replay(db, args.cleanup_id)
            return _print_found(replayed, f"no failed, dead or pending cleanup {args.cleanup_id}")
        results = await cleanup_outbox.run(db, MuxClient(settings), settings)
        for result in results:
            print(f"{result.id:>6}  {result.state:<7}  {result.action:<13}  {result.object_id}")
        print(f"carried out: {len(results)}")
        return 0 if all(r.state == "done" for r in results) else 1

    return _with_database(settings, job)


def _cleanup_id(raw: str) -> int:
    value = positive_bigint(raw)
    if value is None:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a cleanup id (a positive whole number)")
    return value


def _limit(raw: str) -> int:
    value = positive_bigint(raw)
    if value is None:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a positive whole number")
    return value


def _event_id(raw: str) -> str:
    value = storable_text(raw)
    if value is None:
        raise argparse.ArgumentTypeError("an event id is text without NUL or undecodable bytes")
    return value


_CLEANUP_LINE = (
    "{created_at:%Y-%m-%d %H:%M:%S}  {id:>6}  {state:<7}  {attempts:>3}  {action:<13}  "
    "{reason:<14}  {object_id}"
)
_EVENT_LINE = "{received_at:%Y-%m-%d %H:%M:%S}  {state:<9}  {attempts:>3}  {type:<28}  {id}"


def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    """`events list` and `cleanups list`: the latest rows (`args.rows`, by `--state`), a line
    each (`args.line` formatted with its columns), then its last error or outcome."""

    async def job(db: Database, settings: Settings) -> int:
        for row in await args.rows(db, state=args.state, limit=args.limit):
            print(f"{args.line.format_map(row)}  {row['last_error'] or row['outcome'] or ''}")
        return 0

    return _with_database(settings, job)


def _print_found(value: Any, missing: str) -> int:
    """`value` as JSON (0), or what was not found, on standard error (1)."""
    if value is None:
        print(missing, file=sys.stderr)
        return 1
    _print_json(value)
    return 0


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))


def cmd_events(settings: Settings, args: argparse.Namespace) -> int:
    async def job(db: Database, settings: Settings) -> int:
        if args.action == "show":
            event = await stored_events.get_event(db, args.event_id)
            return _print_found(event, f"no event {args.event_id}")
        result = await stored_events.replay(db, args.event_id, settings.mux_playback_policy)
        if result is None:
            print(f"no event {args.event_id}", file=sys.stderr)
            return 1
        _print_json(dataclasses.asdict(result))
        return 0 if result.state not in ("failed", "dead") else 1

    return _with_database(settings, job)


def cmd_doctor() -> int:
    settings, parsed = doctor.load_settings()
    checks = [parsed]
    if settings is not None:
        checks += asyncio.run(doctor.run_checks(settings))
    print(doctor.render(checks))
    return doctor.exit_code(checks)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mux-lessons", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("migrate", help="apply pending database migrations")
    p.add_argument("--status", action="store_true", help="list applied and pending migrations")
    p.set_defaults(handler=cmd_migrate)

    p = commands.add_parser("serve", help="run the HTTP service on uvicorn")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--with-worker", action="store_true", help="also run the inbox worker")
    p.add_argument(
        "--http",
        choices=["httptools", "h11"],
        default="httptools",
        help="HTTP/1.1 parser (both with request heads bounded to HTTP_MAX_HEAD_BYTES)",
    )
    p.set_defaults(handler=cmd_serve)

    p = commands.add_parser("worker", help="retry and re-apply inbox events; reconcile")
    p.add_argument("--no-reconcile", action="store_true", help="never call Mux")
    p.set_defaults(handler=cmd_worker)

    p = commands.add_parser("reconcile", help="ask Mux about lessons stuck too long (once)")
    p.add_argument(
        "--orphans", action="store_true", help="instead, list Mux assets no lesson references"
    )
    p.add_argument("--delete", action="store_true", help="with --orphans: delete them at Mux")
    p.set_defaults(handler=cmd_reconcile)

    p = commands.add_parser("cleanups", help="inspect, replay and run Mux cleanups (outbox)")
    actions = p.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="latest cleanups")
    listing.add_argument("--state", choices=["pending", "failed", "done", "dead"])
    listing.add_argument("--limit", type=_limit, default=50)
    listing.set_defaults(handler=cmd_list, rows=cleanup_outbox.list_cleanups, line=_CLEANUP_LINE)
    replay = actions.add_parser("replay", help="make a failed or dead cleanup due now")
    replay.add_argument("cleanup_id", type=_cleanup_id)
    actions.add_parser("run", help="carry out the due cleanups now (bounded)")
    p.set_defaults(handler=cmd_cleanups)

    p = commands.add_parser(
        "doctor", help="check the deployment's configuration end to end (exit 1 on a failure)"
    )
    p.set_defaults(handler=None)

    p = commands.add_parser("events", help="inspect and replay inbox events")
    actions = p.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="latest events")
    listing.add_argument(
        "--state", choices=["pending", "applied", "ignored", "unmatched", "failed", "dead"]
    )
    listing.add_argument("--limit", type=_limit, default=50)
    listing.set_defaults(handler=cmd_list, rows=stored_events.list_events, line=_EVENT_LINE)
    for name, text in (("show", "one event with its payload"), ("replay", "apply an event again")):
        action = actions.add_parser(name, help=text)
        action.add_argument("event_id", type=_event_id)
    p.set_defaults(handler=cmd_events)
    return parser


def _first_line(exc: Exception) -> str:
    """An error's own message on one line (PostgreSQL's LINE/HINT context left out)."""
    lines = str(exc).strip().splitlines()
    return " ".join(lines[0].split()) if lines else type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "doctor":
        configure_logging("WARNING")
        return cmd_doctor()
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        return int(args.handler(settings, args))
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except migrations.MigrationError as exc:
        print(f"migration error: {exc}", file=sys.stderr)
        return 1
    except (connect_checks.SessionUrlRequired, connect_checks.TlsFailure) as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedFunction) as exc:
        print(
            f"database error: {_first_line(exc)}: this database lacks this version's schema; "
            "`mux-lessons migrate` applies the migrations it ships",
            file=sys.stderr,
        )
        return 1
    except psycopg.OperationalError as exc:
        reason = " ".join(str(exc).split())
        print(f"database error: {reason}", file=sys.stderr)
        return 1
    except psycopg.Error as exc:
        print(f"database error: {_first_line(exc)}", file=sys.stderr)
        return 1
