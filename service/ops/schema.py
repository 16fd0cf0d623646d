"""The doctor's checks of the database the service is pointed at: every migration applied,
row level security on, the API roles able to read what they should and to write nothing of
the service's, `lessons` in Supabase's realtime publication, and how much the inbox holds.
Each takes the doctor's one connection and answers a `Check`."""

from __future__ import annotations

from typing import Any

from service.database.migrations import applied_versions, discover, schema_versions
from service.database.pool import Connection
from service.ops.verdicts import FAIL, MIGRATE_HINT, OK, Check
from service.settings import Settings
from service.telemetry.metrics import INBOX_SIZE

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


async def _rows(conn: Connection, query: str, params: Any = None) -> list[dict[str, Any]]:
    return await (await conn.execute(query, params)).fetchall()


async def _row(conn: Connection, query: str, params: Any = None) -> dict[str, Any] | None:
    return await (await conn.execute(query, params)).fetchone()


async def migrations(conn: Connection) -> Check:
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


async def inbox(conn: Connection, *, settings: Settings) -> Check:
    size = await _row(conn, INBOX_SIZE)
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


async def row_level_security(conn: Connection) -> Check:
    rows = await _rows(
        conn,
        "select c.relname as name, c.relrowsecurity as rls from pg_class c "
        "join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = 'public' and c.relkind in ('r', 'p') order by 1",
    )
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


async def roles_and_grants(conn: Connection, *, roles: tuple[str, ...]) -> Check:
    """`roles`: the API roles (Supabase's), every one of which must exist."""
    name = "API roles and grants"
    rows = await _rows(conn, "select rolname from pg_roles where rolname = any(%s)", (list(roles),))
    present = {row["rolname"] for row in rows}
    missing = [role for role in roles if role not in present]
    if missing:
        return Check(name, FAIL, f"missing role(s): {', '.join(missing)}")
    problems: list[str] = []
    for role in ("anon", "authenticated"):
        readable = await _row(
            conn,
            "select has_table_privilege(%s, 'public.courses', 'SELECT') "
            "and has_table_privilege(%s, 'public.lessons', 'SELECT') as ok",
            (role, role),
        )
        if not (readable and readable["ok"]):
            problems.append(f"{role} cannot read courses and lessons")
        for query, names, says in _FORBIDDEN:
            row = await _row(conn, query, {"role": role, "names": list(names)})
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


async def realtime(conn: Connection) -> Check:
    row = await _row(
        conn,
        "select exists (select 1 from pg_publication where pubname = 'supabase_realtime') "
        "as publication, exists (select 1 from pg_publication_tables where pubname = "
        "'supabase_realtime' and schemaname = 'public' and tablename = 'lessons') as lessons",
    )
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
