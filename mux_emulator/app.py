"""The emulator's ASGI app: the Mux API subset plus `/_emulator/*` controls for tests."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mux_emulator.api import Emit, api_routes
from mux_emulator.config import EmulatorConfig
from mux_emulator.store import Store


def _no_webhooks(event_type: str, data: dict[str, Any]) -> None:
    """Used when nothing listens for webhooks."""


def create_app(config: EmulatorConfig | None = None, *, emit: Emit | None = None) -> Starlette:
    config = config or EmulatorConfig()
    store = Store()

    async def stats(request: Request) -> JSONResponse:
        return JSONResponse(store.stats())

    async def faults(request: Request) -> JSONResponse:
        """Make the next `count` API requests fail with `status` (e.g. 503)."""
        body = await request.json()
        store.fault_status = int(body.get("status", 503))
        store.fault_count = int(body.get("count", 1))
        return JSONResponse({"status": store.fault_status, "count": store.fault_count})

    app = Starlette(
        routes=[
            *api_routes(store, config, emit or _no_webhooks),
            Route("/_emulator/stats", stats, methods=["GET"]),
            Route("/_emulator/faults", faults, methods=["POST"]),
        ]
    )
    app.state.store = store
    app.state.config = config
    return app
