"""`mux-lessons doctor`: check a deployment's configuration end to end, before Mux is
pointed at it. One line per check with a verdict (`ok`, `FAIL`, `warn`, `skip`), exit 1 on
any `FAIL`. Values of secrets are never printed. The checks themselves are `schema` (the
database) and `environment` (what else the settings point at); this runs them in order.

A check never raises: whatever goes wrong inside one (a missing table on an empty database,
a connection lost halfway) becomes that check's FAIL line, and the other checks still run.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Awaitable, Callable, Mapping

import psycopg
from psycopg.rows import dict_row

from service.database.migrations import MigrationError
from service.database.pool import Connection
from service.ops import environment, schema
from service.ops.verdicts import (
    CONNECT_TIMEOUT_SECONDS,
    FAIL,
    MIGRATE_HINT,
    OK,
    SKIP,
    Check,
    describe,
    one_line,
)
from service.settings import DATABASE_URL_MISSING, Settings, SettingsError

API_ROLES = ("anon", "authenticated", "service_role")


def load_settings(environ: Mapping[str, str] | None = None) -> tuple[Settings | None, Check]:
    """Settings as the service would read them. When they do not parse, say why and read them
    again leniently (as development), so every other check still runs."""
    env = dict(os.environ if environ is None else environ)
    try:
        settings = Settings.from_env(env)
    except SettingsError as exc:
        failure = Check("settings", FAIL, str(exc))
        app_env = env.get("APP_ENV", "").strip().lower()
        try:
            lenient = Settings.from_env({**env, "APP_ENV": "development"})
        except SettingsError:
            return None, failure
        if app_env == "production":
            lenient = dataclasses.replace(lenient, app_env="production")
        return lenient, failure
    return settings, Check("settings", OK, f"APP_ENV={settings.app_env}; every setting parses")


async def run_checks(settings: Settings) -> list[Check]:
    checks = await _database_checks(settings)
    reachable = checks[0].verdict == OK
    outside: dict[str, Callable[[], Awaitable[Check]]] = {
        "session connection": lambda: environment.session_connection(settings, reachable),
        "Mux credentials": lambda: environment.mux_credentials(settings),
        "webhook secret": lambda: _now(environment.webhook_secret(settings)),
        "access tokens": lambda: environment.token_verification(settings),
        "CORS origins": lambda: _now(environment.cors(settings)),
    }
    checks += [await _guarded(name, check) for name, check in outside.items()]
    return checks


async def _now(check: Check) -> Check:
    return check


async def _guarded(name: str, check: Callable[[], Awaitable[Check]]) -> Check:
    """Run one check; anything it raises is its FAIL line (one line, no traceback)."""
    try:
        return await check()
    except psycopg.errors.UndefinedTable as exc:
        return Check(name, FAIL, f"{one_line(exc)}: the schema is missing; {MIGRATE_HINT}")
    except psycopg.Error as exc:
        return Check(name, FAIL, f"the database failed the check: {one_line(exc)}")
    except MigrationError as exc:
        return Check(name, FAIL, str(exc))
    except Exception as exc:
        return Check(name, FAIL, f"the check itself failed: {type(exc).__name__}: {one_line(exc)}")


def render(checks: list[Check]) -> str:
    width = max(len(c.name) for c in checks)
    lines = [f"{'check':<{width}}  verdict  detail"]
    lines += [f"{c.name:<{width}}  {c.verdict:<7}  {c.detail}" for c in checks]
    failed = sum(c.verdict == FAIL for c in checks)
    lines.append(f"\n{failed} check(s) failed" if failed else "\nall checks passed")
    return "\n".join(lines)


def exit_code(checks: list[Check]) -> int:
    return 1 if any(c.verdict == FAIL for c in checks) else 0


DATABASE_CHECKS = (
    "migrations",
    "row level security",
    "API roles and grants",
    "realtime",
    "inbox",
)


async def _database_checks(settings: Settings) -> list[Check]:
    if not settings.database_url:
        return [Check("database", FAIL, DATABASE_URL_MISSING), *_skipped("no database")]
    where = describe(settings.database_url)
    try:
        conn: Connection = await psycopg.AsyncConnection.connect(
            settings.database_url,
            autocommit=True,
            row_factory=dict_row,
            prepare_threshold=None,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
        )
    except psycopg.Error as exc:
        return [
            Check("database", FAIL, f"cannot connect to {where}: {one_line(exc)}"),
            *_skipped("database unreachable"),
        ]
    checks: list[Check] = []
    try:
        async with conn:
            row = await (
                await conn.execute("select current_setting('server_version') as v")
            ).fetchone()
            checks.append(
                Check("database", OK, f"PostgreSQL {row['v'] if row else '?'} at {where}")
            )
            database_checks: tuple[Callable[[Connection], Awaitable[Check]], ...] = (
                schema.migrations,
                schema.row_level_security,
                functools.partial(schema.roles_and_grants, roles=API_ROLES),
                schema.realtime,
                functools.partial(schema.inbox, settings=settings),
            )
            for name, check in zip(DATABASE_CHECKS, database_checks, strict=True):
                checks.append(await _guarded(name, functools.partial(check, conn)))
    except psycopg.Error as exc:  # the connection was lost between checks
        if not checks:
            return [
                Check("database", FAIL, f"{where} failed: {one_line(exc)}"),
                *_skipped("database failed"),
            ]
    return checks


def _skipped(reason: str) -> list[Check]:
    return [Check(name, SKIP, reason) for name in DATABASE_CHECKS]
