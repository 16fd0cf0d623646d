"""`mux-lessons doctor`: check a deployment's configuration end to end, before Mux is
pointed at it. One line per check with a verdict (`ok`, `FAIL`, `warn`, `skip`), exit 1 on
any `FAIL`. Values of secrets are never printed.

A check never raises: whatever goes wrong inside one (a missing table on an empty database,
a connection lost halfway) becomes that check's FAIL line, and the other checks still run.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import jwt
import psycopg
from psycopg.rows import dict_row

from service.database.migrations import (
    MigrationError,
    applied_versions,
    discover,
    schema_versions,
)
from service.database.pool import Connection
from service.mux.client import MuxClient, MuxError, MuxRejected
from service.request.auth import JWKS_PATH
from service.settings import DATABASE_URL_MISSING, Settings, SettingsError
from service.telemetry.metrics import INBOX_SIZE

OK, FAIL, WARN, SKIP = "ok", "FAIL", "warn", "skip"
API_ROLES = ("anon", "authenticated", "service_role")
# What the API roles may read (RLS then decides which rows); every other public table is the
# service's own and must stay invisible to them. Of these, the lesson media tables are read-only;
# `lesson_progress` is each learner's own (RLS: their rows only).
API_TABLES = ("courses", "lessons", "lesson_text_tracks", "lesson_downloads", "lesson_progress")
READ_ONLY_TABLES = ("lesson_text_tracks", "lesson_downloads")
# Lesson columns only the service writes.
VIDEO_COLUMNS = (
    "status",
    "mux_upload_id",
    "mux_asset_id",
    "mux_playback_id",
    "playback_policy",
    "duration_seconds",
    "aspect_ratio",
    "video_error",
)
CONNECT_TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class Check:
    name: str
    verdict: str
    detail: str


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
    checks.append(
        await _guarded("session connection", lambda: _session_connection(settings, reachable))
    )
    checks.append(await _guarded("Mux credentials", lambda: _mux_credentials(settings)))
    checks.append(await _guarded("webhook secret", lambda: _now(_webhook_secret(settings))))
    checks.append(await _guarded("access tokens", lambda: _token_verification(settings)))
    checks.append(await _guarded("CORS origins", lambda: _now(_cors(settings))))
    return checks


async def _now(check: Check) -> Check:
    return check


MIGRATE_HINT = "run `mux-lessons migrate`"


async def _guarded(name: str, check: Callable[[], Awaitable[Check]]) -> Check:
    """Run one check; anything it raises is its FAIL line (one line, no traceback)."""
    try:
        return await check()
    except psycopg.errors.UndefinedTable as exc:
        return Check(name, FAIL, f"{_one_line(exc)}: the schema is missing; {MIGRATE_HINT}")
    except psycopg.Error as exc:
        return Check(name, FAIL, f"the database failed the check: {_one_line(exc)}")
    except MigrationError as exc:
        return Check(name, FAIL, str(exc))
    except Exception as exc:
        return Check(name, FAIL, f"the check itself failed: {type(exc).__name__}: {_one_line(exc)}")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]


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
    where = _describe(settings.database_url)
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
            Check("database", FAIL, f"cannot connect to {where}: {_one_line(exc)}"),
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
                _migrations,
                _row_level_security,
                _roles_and_grants,
                _realtime,
                functools.partial(_inbox, settings=settings),
            )
            for name, check in zip(DATABASE_CHECKS, database_checks, strict=True):
                checks.append(await _guarded(name, functools.partial(check, conn)))
    except psycopg.Error as exc:  # the connection was lost between checks
        if not checks:
            return [
                Check("database", FAIL, f"{where} failed: {_one_line(exc)}"),
                *_skipped("database failed"),
            ]
    return checks


def _skipped(reason: str) -> list[Check]:
    return [Check(name, SKIP, reason) for name in DATABASE_CHECKS]


def _describe(url: str) -> str:
    """Host, port and database of a URL: never its user or password."""
    parts = urlsplit(url)
    return f"{parts.hostname or '?'}:{parts.port or 5432}{parts.path or '/'}"


async def _migrations(conn: Connection) -> Check:
    shipped = discover()
    versions = schema_versions(await applied_versions(conn))
    pending = versions.pending
    if pending and len(pending) == len(shipped):
        return Check(
            "migrations",
            FAIL,
            f"none of the {len(shipped)} migrations is applied (an empty database): {MIGRATE_HINT}",
        )
    if pending:
        return Check(
            "migrations",
            FAIL,
            f"{len(pending)} not applied ({', '.join(pending)}): {MIGRATE_HINT}",
        )
    if versions.newer:
        return Check(
            "migrations",
            OK,
            f"all {len(shipped)} migrations this package carries are applied, and "
            f"{len(versions.newer)} of a later release (database at {versions.database}, "
            f"this package at {versions.package}): compatible while the deploy rolls out",
        )
    return Check(
        "migrations",
        OK,
        f"all {len(shipped)} migrations this package carries are applied "
        f"(schema {versions.package})",
    )


async def _inbox(conn: Connection, *, settings: Settings) -> Check:
    size = await (await conn.execute(INBOX_SIZE)).fetchone()
    assert size is not None
    days = settings.inbox_retention_days
    kept = (
        f"settled events are deleted after {days} days (INBOX_RETENTION_DAYS)"
        if days
        else "every event is kept (INBOX_RETENTION_DAYS=0)"
    )
    oldest = float(size["oldest"])
    age = f"oldest received {oldest / 86400:.1f} days ago" if size["rows"] else "empty"
    return Check(
        "inbox",
        OK,
        f"about {int(size['rows']):,} events, {int(size['bytes']) / 2**20:.1f} MiB, {age}; {kept}",
    )


async def _row_level_security(conn: Connection) -> Check:
    rows = await (
        await conn.execute(
            "select c.relname as name, c.relrowsecurity as rls from pg_class c "
            "join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = 'public' and c.relkind in ('r', 'p') order by 1"
        )
    ).fetchall()
    missing = sorted(set(API_TABLES) - {row["name"] for row in rows})
    if missing:
        return Check(
            "row level security",
            FAIL,
            f"public.{', public.'.join(missing)} missing: the schema is not there; {MIGRATE_HINT}",
        )
    off = [row["name"] for row in rows if not row["rls"]]
    if off:
        return Check("row level security", FAIL, f"disabled on public.{', public.'.join(off)}")
    return Check("row level security", OK, f"enabled on all {len(rows)} public tables")


# What an API role may do but must not: (statement listing it as `found`, the names it
# checks, what it means).
_FORBIDDEN = (
    (
        "select array_agg(c) as found from unnest(%(names)s::text[]) c "
        "where has_column_privilege(%(role)s, 'public.lessons', c, 'INSERT,UPDATE')",
        VIDEO_COLUMNS,
        "{role} may write video columns of lessons ({found})",
    ),
    (
        "select array_agg(t order by t) as found from unnest(%(names)s::text[]) t "
        "where to_regclass('public.' || t) is not null "
        "and has_table_privilege(%(role)s, 'public.' || t, 'INSERT,UPDATE,DELETE')",
        READ_ONLY_TABLES,
        "{role} may write read-only tables ({found})",
    ),
    (
        "select array_agg(c.relname order by c.relname) as found from pg_class c "
        "join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm') "
        "and c.relname <> all(%(names)s) "
        "and has_table_privilege(%(role)s, c.oid, 'SELECT,INSERT,UPDATE,DELETE')",
        API_TABLES,
        "{role} may use service tables ({found})",
    ),
)


async def _roles_and_grants(conn: Connection) -> Check:
    name = "API roles and grants"
    present = {
        row["rolname"]
        for row in await (
            await conn.execute(
                "select rolname from pg_roles where rolname = any(%s)", (list(API_ROLES),)
            )
        ).fetchall()
    }
    missing = [role for role in API_ROLES if role not in present]
    if missing:
        return Check(name, FAIL, f"missing role(s): {', '.join(missing)}")
    problems: list[str] = []
    for role in ("anon", "authenticated"):
        readable = await (
            await conn.execute(
                "select has_table_privilege(%s, 'public.courses', 'SELECT') "
                "and has_table_privilege(%s, 'public.lessons', 'SELECT') as ok",
                (role, role),
            )
        ).fetchone()
        if not (readable and readable["ok"]):
            problems.append(f"{role} cannot read courses and lessons")
        for query, names, says in _FORBIDDEN:
            row = await (await conn.execute(query, {"role": role, "names": list(names)})).fetchone()
            if row and row["found"]:
                problems.append(says.format(role=role, found=", ".join(row["found"])))
    if problems:
        return Check(name, FAIL, "; ".join(problems))
    return Check(
        name,
        OK,
        "anon/authenticated read courses, lessons and their media (and a learner's own "
        "progress) only; never write video columns or media",
    )


async def _realtime(conn: Connection) -> Check:
    row = await (
        await conn.execute(
            "select exists (select 1 from pg_publication where pubname = 'supabase_realtime') "
            "as publication, exists (select 1 from pg_publication_tables where pubname = "
            "'supabase_realtime' and schemaname = 'public' and tablename = 'lessons') as lessons"
        )
    ).fetchone()
    if not (row and row["publication"]):
        return Check(
            "realtime",
            FAIL,
            "no supabase_realtime publication (Supabase creates it; on plain PostgreSQL: "
            "create publication supabase_realtime, then migrate)",
        )
    if not row["lessons"]:
        return Check(
            "realtime",
            FAIL,
            "public.lessons is not in supabase_realtime: "
            "alter publication supabase_realtime add table public.lessons",
        )
    return Check("realtime", OK, "public.lessons is in the supabase_realtime publication")


async def _session_connection(settings: Settings, database_reachable: bool) -> Check:
    """Live status LISTENs (and migrations lock) over a session-capable connection; behind a
    transaction pooler with no DATABASE_SESSION_URL, live status falls back to polling."""
    name = "session connection"
    url = settings.session_url
    if url is None:
        return Check(
            name,
            WARN,
            "none (DATABASE_URL is a transaction pooler): live status polls every "
            f"{settings.live_poll_seconds} s and migrations cannot run; set DATABASE_SESSION_URL",
        )
    if url == settings.database_url:
        if not database_reachable:
            return Check(name, SKIP, "DATABASE_URL, which does not answer")
        return Check(name, OK, "DATABASE_URL (live status LISTENs over it)")
    try:
        conn = await psycopg.AsyncConnection.connect(
            url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS
        )
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split())[:200]
        return Check(
            name, FAIL, f"DATABASE_SESSION_URL: cannot connect to {_describe(url)}: {reason}"
        )
    await conn.close()
    return Check(name, OK, f"DATABASE_SESSION_URL reachable at {_describe(url)}")


async def _mux_credentials(settings: Settings) -> Check:
    name = "Mux credentials"
    if not (settings.mux_token_id and settings.mux_token_secret):
        return Check(name, FAIL, "MUX_TOKEN_ID and MUX_TOKEN_SECRET must both be set")
    try:
        await MuxClient(settings, timeout=CONNECT_TIMEOUT_SECONDS).list_assets(limit=1)
    except MuxRejected as exc:
        return Check(name, FAIL, f"{settings.mux_api_url} refused the access token: {exc}")
    except MuxError as exc:
        return Check(name, FAIL, f"{settings.mux_api_url}: {exc}")
    return Check(
        name, OK, f"token {settings.mux_token_id} can read assets at {settings.mux_api_url}"
    )


def _webhook_secret(settings: Settings) -> Check:
    count = len(settings.mux_webhook_secrets)
    if not count:
        return Check("webhook secret", FAIL, "MUX_WEBHOOK_SECRET is not set: every webhook is 401")
    return Check("webhook secret", OK, f"{count} signing secret(s) set")


async def _token_verification(settings: Settings) -> Check:
    name = "access tokens"
    secret = bool(settings.supabase_jwt_secret)
    if not settings.supabase_url:
        if secret:
            return Check(name, OK, "SUPABASE_JWT_SECRET set (HS256 tokens)")
        return Check(name, FAIL, "neither SUPABASE_URL (JWKS) nor SUPABASE_JWT_SECRET is set")
    url = f"{settings.supabase_url}{JWKS_PATH}"
    try:
        async with httpx.AsyncClient(timeout=CONNECT_TIMEOUT_SECONDS) as http:
            response = await http.get(url)
        response.raise_for_status()
        keys = jwt.PyJWKSet.from_dict(response.json()).keys
    except (httpx.HTTPError, ValueError, jwt.PyJWKSetError) as exc:
        reason = f"JWKS at {url} unusable ({exc.__class__.__name__})"
        if secret:
            return Check(name, WARN, f"{reason}; only HS256 tokens will verify")
        return Check(name, FAIL, reason)
    extra = " and SUPABASE_JWT_SECRET" if secret else ""
    return Check(name, OK, f"JWKS reachable ({len(keys)} key(s)){extra}")


def _cors(settings: Settings) -> Check:
    origins = settings.cors_allowed_origins
    if not origins:
        if settings.production:
            return Check(
                "CORS origins", FAIL, "CORS_ALLOWED_ORIGINS is empty: browsers cannot call the API"
            )
        return Check("CORS origins", OK, "none set (required only in production)")
    bad = [origin for origin in origins if not _is_origin(origin)]
    if bad:
        return Check(
            "CORS origins", FAIL, f"not an origin (scheme://host[:port]): {', '.join(bad)}"
        )
    return Check("CORS origins", OK, ", ".join(origins))


def _is_origin(value: str) -> bool:
    parts = urlsplit(value)
    return (
        parts.scheme in ("http", "https")
        and bool(parts.netloc)
        and parts.path == ""
        and not (parts.query or parts.fragment)
    )
