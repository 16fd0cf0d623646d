"""The Mux API the emulator answers, with Mux's paths, envelopes and error shapes: what
mux-python, `@mux/mux-node` and the Mux CLI call for the video workflow (direct uploads,
assets and their playback ids, tracks and static renditions; whoami, signing keys and the
webhook event stream). HTTP Basic auth with the configured access token; `{"data": ...}` on
success, `{"error": {"type", "messages"}}` on error; a route Mux does not have answers 404
`not_found`, as Mux does (see app.py)."""

from __future__ import annotations

from starlette.routing import Route

from mux_emulator.api_assets import asset_api_routes
from mux_emulator.api_base import Emit, Spawn, guard, mux_error, not_found
from mux_emulator.api_system import system_api_routes
from mux_emulator.api_uploads import upload_api_routes
from mux_emulator.config import EmulatorConfig
from mux_emulator.event_stream import EventStream
from mux_emulator.store import Store

__all__ = ["Emit", "api_routes", "mux_error", "not_found"]


def api_routes(
    store: Store, config: EmulatorConfig, emit: Emit, spawn: Spawn, events: EventStream
) -> list[Route]:
    guarded = guard(store, config)
    return [
        *upload_api_routes(store, config, emit, guarded),
        *asset_api_routes(store, config, emit, spawn, guarded),
        *system_api_routes(store, events, guarded),
    ]
