"""`GET /healthz`: is the service able to store what it receives? (503 when the database is not).

`detail` says how it is connected: the pool mode, and whether live status LISTENs or, with no
session-capable connection configured, polls (degraded: changes arrive up to a poll later).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from service.database.pool import Database
from service.live.hub import LiveHub
from service.settings import Settings


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
