"""`GET /healthz`: is the service able to store what it receives? (503 when the database is not)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from service.db import Database


async def healthz(request: Request) -> JSONResponse:
    database: Database = request.app.state.database
    if await database.ping():
        return JSONResponse({"status": "ok", "database": "ok"})
    return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
