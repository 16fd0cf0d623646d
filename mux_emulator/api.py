"""The Mux Video API subset mux-lessons uses, with Mux's paths, envelopes and error shapes.

`POST /video/v1/uploads`, `GET /video/v1/uploads/{id}`, `PUT /video/v1/uploads/{id}/cancel`,
`GET /video/v1/assets` (paginated: `limit`, `cursor` / `next_cursor`),
`GET /video/v1/assets/{id}`, `DELETE /video/v1/assets/{id}`; HTTP Basic auth with the
configured access token; `{"data": ...}` on success, `{"error": {"type", "messages"}}` on error.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mux_emulator.config import EmulatorConfig
from mux_emulator.store import Store

Emit = Callable[[str, dict[str, Any]], None]
"""Called with (event type, object) whenever Mux would send a webhook."""


def mux_error(status: int, error_type: str, *messages: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"type": error_type, "messages": list(messages)}}, status_code=status
    )


def _authorized(request: Request, config: EmulatorConfig) -> bool:
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


def api_routes(store: Store, config: EmulatorConfig, emit: Emit) -> list[Route]:
    def guarded(handler: Callable[[Request], Any], name: str) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            store.requests[name] += 1
            if store.fault_count > 0:
                store.fault_count -= 1
                return mux_error(store.fault_status, "server_error", "Injected failure")
            if not _authorized(request, config):
                return mux_error(401, "unauthorized", "Unauthorized request")
            if config.api_delay:
                await asyncio.sleep(config.api_delay * config.time_scale)
            response: Response = await handler(request)
            return response

        return endpoint

    async def create_upload(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return mux_error(400, "invalid_parameters", "Request body is not valid JSON")
        if not isinstance(body, dict):
            return mux_error(400, "invalid_parameters", "Request body must be an object")
        settings = body.get("new_asset_settings") or {}
        timeout = body.get("timeout", 3600)
        if not isinstance(settings, dict):
            return mux_error(400, "invalid_parameters", "new_asset_settings must be an object")
        if not isinstance(timeout, int) or not 60 <= timeout <= 604800:
            return mux_error(400, "invalid_parameters", "timeout must be between 60 and 604800")
        upload = store.new_upload(
            cors_origin=str(body.get("cors_origin") or "*"),
            new_asset_settings={k: v for k, v in settings.items() if v is not None},
            timeout=timeout,
            test=bool(body.get("test")),
            public_url=config.public_url,
        )
        emit("video.upload.created", upload.as_mux())
        return JSONResponse({"data": upload.as_mux()}, status_code=201)

    async def get_upload(request: Request) -> Response:
        upload = store.uploads.get(request.path_params["upload_id"])
        if upload is None:
            return _not_found()
        return JSONResponse({"data": upload.as_mux()})

    async def cancel_upload(request: Request) -> Response:
        upload = store.uploads.get(request.path_params["upload_id"])
        if upload is None:
            return _not_found()
        if upload.status != "waiting":
            return mux_error(
                400, "invalid_parameters", f"Upload cannot be cancelled in status {upload.status}"
            )
        upload.status = "cancelled"
        emit("video.upload.cancelled", upload.as_mux())
        return JSONResponse({"data": upload.as_mux()})

    async def list_assets(request: Request) -> Response:
        raw_limit = request.query_params.get("limit", "25")
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 100:
            return mux_error(400, "invalid_parameters", "limit must be between 1 and 100")
        page, next_cursor = store.assets_page(int(raw_limit), request.query_params.get("cursor"))
        return JSONResponse({"data": [a.as_mux() for a in page], "next_cursor": next_cursor})

    async def get_asset(request: Request) -> Response:
        asset = store.assets.get(request.path_params["asset_id"])
        if asset is None:
            return _not_found()
        return JSONResponse({"data": asset.as_mux()})

    async def delete_asset(request: Request) -> Response:
        asset = store.assets.pop(request.path_params["asset_id"], None)
        if asset is None:
            return _not_found()
        emit("video.asset.deleted", asset.as_mux())
        return Response(status_code=204)

    return [
        Route("/video/v1/uploads", guarded(create_upload, "create_upload"), methods=["POST"]),
        Route(
            "/video/v1/uploads/{upload_id}",
            guarded(get_upload, "get_upload"),
            methods=["GET"],
        ),
        Route(
            "/video/v1/uploads/{upload_id}/cancel",
            guarded(cancel_upload, "cancel_upload"),
            methods=["PUT"],
        ),
        Route("/video/v1/assets", guarded(list_assets, "list_assets"), methods=["GET"]),
        Route("/video/v1/assets/{asset_id}", guarded(get_asset, "get_asset"), methods=["GET"]),
        Route(
            "/video/v1/assets/{asset_id}",
            guarded(delete_asset, "delete_asset"),
            methods=["DELETE"],
        ),
    ]


def _not_found() -> JSONResponse:
    return mux_error(
        404,
        "not_found",
        "The requested resource either doesn't exist or you don't have access to it.",
    )
