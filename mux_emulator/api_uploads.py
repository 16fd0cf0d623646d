"""Mux's Direct Uploads API: `POST /video/v1/uploads` (201), `GET /video/v1/uploads`
(newest first, `limit` and `page`), `GET /video/v1/uploads/{id}`,
`PUT /video/v1/uploads/{id}/cancel` (a `waiting` upload only; `video.upload.cancelled`)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mux_emulator.api_base import (
    Emit,
    Handler,
    api_route,
    data,
    invalid,
    json_object,
    listed,
    not_found,
    path_param,
)
from mux_emulator.config import EmulatorConfig
from mux_emulator.store import Store


def upload_api_routes(
    store: Store, config: EmulatorConfig, emit: Emit, guarded: Callable[[Handler, str], Handler]
) -> list[Route]:
    async def create_upload(request: Request) -> Response:
        body = await json_object(request)
        settings = body.get("new_asset_settings") or {}
        timeout = body.get("timeout", 3600)
        if not isinstance(settings, dict):
            raise invalid("new_asset_settings must be an object")
        if not isinstance(timeout, int) or not 60 <= timeout <= 604800:
            raise invalid("timeout must be between 60 and 604800")
        upload = store.new_upload(
            cors_origin=str(body.get("cors_origin") or "*"),
            new_asset_settings={k: v for k, v in settings.items() if v is not None},
            timeout=timeout,
            test=bool(body.get("test")),
            public_url=config.public_url,
        )
        emit("video.upload.created", upload.as_mux())
        return data(upload.as_mux(), status=201)

    async def list_uploads(request: Request) -> Response:
        return listed(request, store.uploads.values())

    async def get_upload(request: Request) -> Response:
        upload = store.uploads.get(path_param(request, "upload_id"))
        return data(upload.as_mux()) if upload else not_found()

    async def cancel_upload(request: Request) -> Response:
        upload = store.uploads.get(path_param(request, "upload_id"))
        if upload is None:
            return not_found()
        if upload.status != "waiting":
            raise invalid(f"Upload cannot be cancelled in status {upload.status}")
        upload.status = "cancelled"
        emit("video.upload.cancelled", upload.as_mux())
        return data(upload.as_mux())

    return [
        api_route(guarded, "/video/v1/uploads", create_upload, "POST"),
        api_route(guarded, "/video/v1/uploads", list_uploads, "GET"),
        api_route(guarded, "/video/v1/uploads/{upload_id}", get_upload, "GET"),
        api_route(guarded, "/video/v1/uploads/{upload_id}/cancel", cancel_upload, "PUT"),
    ]
