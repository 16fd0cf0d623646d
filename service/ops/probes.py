"""The probes: liveness, readiness and metrics.

- `GET /healthz`: is the service able to store what it receives? (503 when the database is
  not). `detail` says how it is connected: the pool mode, and whether live status LISTENs or,
  with no session-capable connection configured, polls (degraded: changes arrive up to a poll
  later).
- `GET /readyz`: may this process take traffic? Ready means the database answers and every
  migration shipped in this package (never none) is applied (by `mux-lessons migrate` or by
  `supabase db push`), and the process is not shutting down. Otherwise 503 saying what is
  missing, so a deploy whose migrations did not run never gets traffic. A schema *newer*
  than this package (a later release migrated it: the normal state while a rolling deploy
  replaces this process) is ready, `migrations: "newer"`; `schema` names both versions.
- `GET /metrics`: Prometheus text (`telemetry.metrics`), with `Authorization: Bearer
  <METRICS_TOKEN>`; 404 while that is unset.
"""

from __future__ import annotations

import hmac
from typing import Any

import psycopg
from prometheus_client import CONTENT_TYPE_LATEST
from psycopg_pool import PoolTimeout
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from service.database.migrations import MigrationError, applied_versions, schema_versions
from service.database.pool import Database
from service.errors import ApiError
from service.live.hub import LiveHub
from service.settings import Settings
from service.telemetry.metrics import DatabaseFigures, database_metrics, process_metrics


def _detail(request: Request) -> dict[str, Any]:
    settings: Settings = request.app.state.settings
    hub: LiveHub = request.app.state.live
    live: dict[str, Any] = {"mode": hub.mode, "degraded": hub.mode == "poll"}
    if hub.mode == "poll":
        live["reason"] = "no session-capable connection: set DATABASE_SESSION_URL"
        live["pollSeconds"] = settings.live_poll_seconds
    return {"poolMode": settings.db_pool_mode, "liveStatus": live}


async def healthz(request: Request) -> JSONResponse:
    database: Database = request.app.state.database
    if await database.ping():
        return JSONResponse({"status": "ok", "database": "ok", "detail": _detail(request)})
    return JSONResponse(
        {"status": "unavailable", "database": "unreachable", "detail": _detail(request)},
        status_code=503,
    )


async def readyz(request: Request) -> JSONResponse:
    if request.app.state.shutdown.begun:
        return _not_ready("shutting_down", "this process is shutting down")
    database: Database = request.app.state.database
    try:
        async with database.pool.connection() as conn:
            applied = await applied_versions(conn)
    except (psycopg.Error, PoolTimeout):
        return _not_ready("database_unavailable", "the database does not answer", database="down")
    try:
        versions = schema_versions(applied)
    except MigrationError as exc:  # the installation itself lacks migrations: never ready
        return _not_ready("migrations_missing", str(exc))
    if versions.pending:
        return _not_ready(
            "migrations_pending",
            f"{len(versions.pending)} migration(s) not applied: run `mux-lessons migrate`",
            pending=versions.pending,
            schema=versions.detail(),
        )
    return JSONResponse(
        {
            "status": "ready",
            "database": "ok",
            "migrations": "newer" if versions.newer else "current",
            "schema": versions.detail(),
        }
    )


def _not_ready(code: str, message: str, *, database: str = "ok", **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"status": "not_ready", "database": database, "code": code}
    body["message"] = message
    body.update(extra)
    return JSONResponse(body, status_code=503, headers={"Cache-Control": "no-store"})


async def metrics(request: Request) -> Response:
    token: str | None = request.app.state.settings.metrics_token
    if token is None:
        raise ApiError(404, "not_found", "Metrics are off: set METRICS_TOKEN to serve them.")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
        raise ApiError(
            401,
            "invalid_token",
            "Send `Authorization: Bearer <METRICS_TOKEN>`.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    figures: DatabaseFigures = request.app.state.metrics
    await figures.refresh()
    body = process_metrics() + database_metrics(figures)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
