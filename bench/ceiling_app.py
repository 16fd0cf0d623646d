"""The ceiling of this stack, for the ingest benchmark: a trivial Starlette handler under the
same uvicorn flags. It reads the body and answers, nothing else (no verification, no
database). Whatever the service does costs what it falls short of this. Not part of the service.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def webhook(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse({"received": True})


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


app = Starlette(
    routes=[
        Route("/api/webhooks/mux", webhook, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
)
