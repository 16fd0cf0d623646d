"""What every emulated Mux API route shares: HTTP Basic auth with the configured access token,
injected faults and delay, Mux's envelopes (`{"data": ...}`) and error bodies
(`{"error": {"type", "messages"}}`), request bodies, and page parameters."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mux_emulator.config import EmulatorConfig
from mux_emulator.store import Listed, Store, newest_first

Emit = Callable[[str, dict[str, Any]], None]
"""Called with (event type, object) whenever Mux would send a webhook."""

Spawn = Callable[[Coroutine[Any, Any, None]], None]
"""Runs a coroutine in the background (what Mux does after answering)."""

Handler = Callable[[Request], Awaitable[Response]]

NOT_FOUND = "The requested resource either doesn't exist or you don't have access to it."
DEFAULT_LIMIT = 25
MAX_LIMIT = 100


class MuxApiError(Exception):
    """Raised by a handler to answer with Mux's error body."""

    def __init__(self, status: int, error_type: str, *messages: str) -> None:
        super().__init__(*messages)
        self.response = mux_error(status, error_type, *messages)


def mux_error(status: int, error_type: str, *messages: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"type": error_type, "messages": list(messages)}}, status_code=status
    )


def not_found() -> JSONResponse:
    """Mux's answer for an unknown id, and for a route it does not have."""
    return mux_error(404, "not_found", NOT_FOUND)


def invalid(message: str) -> MuxApiError:
    return MuxApiError(400, "invalid_parameters", message)


def data(value: Any, status: int = 200) -> JSONResponse:
    return JSONResponse({"data": value}, status_code=status)


def no_content() -> Response:
    return Response(status_code=204)


def authorized(request: Request, config: EmulatorConfig) -> bool:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return hmac.compare_digest(user, config.token_id) & hmac.compare_digest(
        password, config.token_secret
    )


def guard(store: Store, config: EmulatorConfig) -> Callable[[Handler, str], Handler]:
    """Wraps a route handler: counts the call (as `name`), answers injected faults, checks the
    access token, waits the configured API delay, and turns MuxApiError into its answer."""

    def guarded(handler: Handler, name: str) -> Handler:
        async def endpoint(request: Request) -> Response:
            store.requests[name] += 1
            if store.fault_count > 0:
                store.fault_count -= 1
                return mux_error(store.fault_status, "server_error", "Injected failure")
            if not authorized(request, config):
                return mux_error(401, "unauthorized", "Unauthorized request")
            if config.api_delay:
                await asyncio.sleep(config.api_delay * config.time_scale)
            try:
                return await handler(request)
            except MuxApiError as error:
                return error.response

        return endpoint

    return guarded


def api_route(
    guarded: Callable[[Handler, str], Handler],
    path: str,
    handler: Handler,
    method: str,
    name: str | None = None,
) -> Route:
    """A guarded route; its calls are counted under the handler's name (or `name`)."""
    return Route(path, guarded(handler, name or handler.__name__), methods=[method])


async def json_object(request: Request) -> dict[str, Any]:
    """The request body, which must be a JSON object."""
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise invalid("Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise invalid("Request body must be an object")
    return body


def page_params(request: Request) -> tuple[int, int]:
    """`limit` (1-100, default 25) and `page` (from 1, default 1) of a list request."""
    limit = _positive(request, "limit", DEFAULT_LIMIT)
    if limit > MAX_LIMIT:
        raise invalid(f"limit must be between 1 and {MAX_LIMIT}")
    return limit, _positive(request, "page", 1)


class MuxObject(Listed, Protocol):
    def as_mux(self) -> dict[str, Any]: ...


def listed(request: Request, items: Iterable[MuxObject]) -> JSONResponse:
    """A page-numbered list, newest first, as Mux lists uploads and signing keys."""
    limit, page = page_params(request)
    start = (page - 1) * limit
    return data([item.as_mux() for item in newest_first(items)[start : start + limit]])


def _positive(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise invalid(f"{name} must be a positive integer")
    return int(raw)


def path_param(request: Request, name: str) -> str:
    value: str = request.path_params[name]
    return value
