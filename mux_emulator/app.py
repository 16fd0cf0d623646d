"""The emulator's ASGI app: the Mux API subset, the upload URL, playback, and test controls."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from mux_emulator.api import api_routes, mux_error, not_found
from mux_emulator.config import EmulatorConfig
from mux_emulator.event_stream import EventStream
from mux_emulator.images import image_routes
from mux_emulator.store import Store
from mux_emulator.uploads import UploadFiles, upload_routes
from mux_emulator.webhooks import WebhookSender

log = logging.getLogger(__name__)

STREAM_CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Content-Length, Content-Range, Accept-Ranges",
}


def create_app(config: EmulatorConfig | None = None) -> Starlette:
    config = config or EmulatorConfig()
    store = Store()
    events = EventStream()
    sender = WebhookSender(config, store, events)
    tasks: set[asyncio.Task[None]] = set()
    files = UploadFiles()

    def spawn(coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def stats(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                **store.stats(),
                "webhooks_in_flight": sender.pending,
                "event_stream_listeners": events.listeners,
            }
        )

    async def faults(request: Request) -> JSONResponse:
        """Make the next `count` API requests fail with `status` (e.g. 503)."""
        body = await request.json()
        store.fault_status = int(body.get("status", 503))
        store.fault_count = int(body.get("count", 1))
        return JSONResponse({"status": store.fault_status, "count": store.fault_count})

    async def playback(request: Request) -> Response:
        """The uploaded file, at a URL derived from the playback id (the demo's player).

        Open to every origin, as Mux's stream host is: mux-player always loads media with
        `crossorigin`. Range requests are answered 206 (FileResponse), as a player seeks.
        """
        asset = store.asset_by_playback_id(request.path_params["playback_id"])
        if asset is None or asset.status != "ready" or asset.file is None:
            response: Response = mux_error(404, "not_found", "No ready asset has that playback id")
        else:
            response = FileResponse(asset.file, media_type="video/mp4")
        response.headers.update(STREAM_CORS_HEADERS)
        return response

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            for task in list(tasks):
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await sender.aclose()
            files.remove()

    app = Starlette(
        routes=[
            *api_routes(store, config, sender.emit, spawn, events),
            *upload_routes(store, config, sender.emit, spawn, files),
            Route("/stream/{playback_id}.mp4", playback, methods=["GET"]),
            *image_routes(store, config),
            Route("/_emulator/stats", stats, methods=["GET"]),
            Route("/_emulator/faults", faults, methods=["POST"]),
        ],
        lifespan=lifespan,
        exception_handlers={HTTPException: _no_such_route, Exception: _server_error},
    )
    app.state.store = store
    app.state.config = config
    app.state.sender = sender
    app.state.events = events
    return app


async def _no_such_route(request: Request, exc: Exception) -> Response:
    """Any path or method the emulator does not have answers as Mux does: 404 `not_found`."""
    return not_found()


async def _server_error(request: Request, exc: Exception) -> Response:
    """An emulator bug answers Mux's error shape; the trace goes to the emulator's log only."""
    log.error("emulator error on %s %s", request.method, request.url.path, exc_info=exc)
    return mux_error(500, "server_error", "Internal server error")
