"""`GET /readyz`: may this process take traffic? `/healthz` stays the liveness probe.

Ready means the database answers and every migration shipped in this package is applied (by
`python -m service migrate` or by `supabase db push`), and the process is not shutting down.
Otherwise 503 saying what is missing, so a deploy whose migrations did not run never gets
traffic.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg_pool import PoolTimeout
from starlette.requests import Request
from starlette.responses import JSONResponse

from service.database import migrations
from service.database.pool import Connection, Database

# Both histories count: the runner's own and the Supabase CLI's (`supabase db push`).
_HISTORIES = (
    "select to_regclass('mux_lessons_meta.schema_migrations') is not null as runner, "
    "to_regclass('supabase_migrations.schema_migrations') is not null as cli"
)
_RUNNER = "select version from mux_lessons_meta.schema_migrations"
_CLI = "select version::text from supabase_migrations.schema_migrations"


async def applied_versions(conn: Connection) -> set[str]:
    """Versions recorded as applied in either history table."""
    tables = await (await conn.execute(_HISTORIES)).fetchone() or {}
    queries = [
        q for q, present in ((_RUNNER, tables.get("runner")), (_CLI, tables.get("cli"))) if present
    ]
    if not queries:
        return set()
    rows = await (await conn.execute(" union ".join(queries))).fetchall()
    return {str(row["version"]) for row in rows}


def pending_migrations(applied: set[str]) -> list[str]:
    """Migration files of this package not applied yet, by file name."""
    return [m.path.name for m in migrations.discover() if m.version not in applied]


async def readyz(request: Request) -> JSONResponse:
    if request.app.state.shutdown.begun:
        return _not_ready("shutting_down", "this process is shutting down")
    database: Database = request.app.state.database
    try:
        async with database.pool.connection() as conn:
            applied = await applied_versions(conn)
    except (psycopg.Error, PoolTimeout):
        return _not_ready("database_unavailable", "the database does not answer", database="down")
    pending = pending_migrations(applied)
    if pending:
        return _not_ready(
            "migrations_pending",
            f"{len(pending)} migration(s) not applied: run `python -m service migrate`",
            pending=pending,
        )
    return JSONResponse({"status": "ready", "database": "ok", "migrations": "current"})


def _not_ready(code: str, message: str, *, database: str = "ok", **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"status": "not_ready", "database": database, "code": code}
    body["message"] = message
    body.update(extra)
    return JSONResponse(body, status_code=503, headers={"Cache-Control": "no-store"})
