"""Mux's Assets API, as the SDKs and the CLI call it.

`GET /video/v1/assets` (newest first; `limit`, then `cursor` from `next_cursor` or `page`;
filters `upload_id`, `live_stream_id`), `GET` and `DELETE /video/v1/assets/{id}`
(`video.asset.deleted`); playback ids: `POST /video/v1/assets/{id}/playback-ids` (201),
`GET` and `DELETE .../playback-ids/{pid}`, `GET /video/v1/playback-ids/{pid}` (which asset);
text tracks: `POST .../tracks` (201, a ready asset; `video.asset.track.created`, then
`.ready`), `POST .../tracks/{audio track id}/generate-subtitles` (201, the same events per
track), `DELETE .../tracks/{tid}` (`.deleted`); static renditions:
`POST .../static-renditions` (201; `video.asset.static_rendition.created`, then `.ready`),
`DELETE .../static-renditions/{rid}` (`.deleted`). Deletes answer 204.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mux_emulator.api_base import (
    NOT_FOUND,
    Emit,
    Handler,
    MuxApiError,
    Spawn,
    api_route,
    data,
    invalid,
    json_object,
    no_content,
    not_found,
    page_params,
    path_param,
)
from mux_emulator.config import EmulatorConfig
from mux_emulator.lifecycle import prepare_part
from mux_emulator.payloads import mux_id, static_rendition, text_track
from mux_emulator.store import Asset, Store

PLAYBACK_POLICIES = ("public", "signed", "drm")
RESOLUTIONS = (
    "highest",
    "audio-only",
    "2160p",
    "1440p",
    "1080p",
    "720p",
    "540p",
    "480p",
    "360p",
    "270p",
)


def asset_api_routes(
    store: Store,
    config: EmulatorConfig,
    emit: Emit,
    spawn: Spawn,
    guarded: Callable[[Handler, str], Handler],
) -> list[Route]:
    def asset_of(request: Request) -> Asset:
        asset = store.assets.get(path_param(request, "asset_id"))
        if asset is None:
            raise MuxApiError(404, "not_found", NOT_FOUND)
        return asset

    async def list_assets(request: Request) -> Response:
        limit, page = page_params(request)
        try:
            assets, next_cursor = store.assets_page(
                limit,
                cursor=request.query_params.get("cursor") or None,
                page=page,
                upload_id=request.query_params.get("upload_id") or None,
                live_stream_id=request.query_params.get("live_stream_id") or None,
            )
        except ValueError:
            raise invalid("cursor is not one this API returned") from None
        return JSONResponse({"data": [a.as_mux() for a in assets], "next_cursor": next_cursor})

    async def get_asset(request: Request) -> Response:
        return data(asset_of(request).as_mux())

    async def delete_asset(request: Request) -> Response:
        asset = asset_of(request)
        del store.assets[asset.id]
        emit("video.asset.deleted", asset.as_mux())
        return no_content()

    async def create_playback_id(request: Request) -> Response:
        asset = asset_of(request)
        body = await json_object(request)
        policy = body.get("policy")
        if policy not in PLAYBACK_POLICIES:
            raise invalid(f"policy must be one of {', '.join(PLAYBACK_POLICIES)}")
        playback_id = {"id": mux_id(), "policy": str(policy)}
        if policy == "drm":
            if not isinstance(body.get("drm_configuration_id"), str):
                raise invalid("drm_configuration_id is required for the drm policy")
            playback_id["drm_configuration_id"] = body["drm_configuration_id"]
        asset.playback_ids.append(playback_id)
        return data(playback_id, status=201)

    async def get_playback_id(request: Request) -> Response:
        playback_id = asset_of(request).playback_id(path_param(request, "playback_id"))
        return data(playback_id) if playback_id else not_found()

    async def delete_playback_id(request: Request) -> Response:
        asset = asset_of(request)
        playback_id = asset.playback_id(path_param(request, "playback_id"))
        if playback_id is None:
            return not_found()
        asset.playback_ids.remove(playback_id)
        return no_content()

    async def lookup_playback_id(request: Request) -> Response:
        wanted = path_param(request, "playback_id")
        asset = store.asset_by_playback_id(wanted)
        playback_id = asset.playback_id(wanted) if asset else None
        if asset is None or playback_id is None:
            return not_found()
        return data({**playback_id, "object": {"type": "asset", "id": asset.id}})

    async def create_track(request: Request) -> Response:
        asset = asset_of(request)
        body = await json_object(request)
        if body.get("type") != "text":
            raise invalid("type must be text (the emulator adds subtitle tracks only)")
        for required in ("url", "language_code"):
            if not isinstance(body.get(required), str) or not body[required]:
                raise invalid(f"{required} is required")
        if body.get("text_type") not in (None, "subtitles"):
            raise invalid("text_type must be subtitles")
        if asset.status != "ready":
            raise invalid("Assets must be in the ready state before tracks can be added")
        track = text_track(
            mux_id(),
            asset.id,
            language_code=body["language_code"],
            name=_optional_str(body, "name"),
            passthrough=_optional_str(body, "passthrough"),
            text_source="uploaded",
            closed_captions=bool(body.get("closed_captions")),
        )
        asset.text_tracks.append(track)
        emit("video.asset.track.created", track)
        spawn(prepare_part(store, config, emit, asset, "track", track))
        return data(track, status=201)

    async def generate_subtitles(request: Request) -> Response:
        asset = asset_of(request)
        if path_param(request, "track_id") != asset.primary_track_ids[1]:
            return not_found()  # only the primary audio track is emulated
        if asset.status != "ready":
            raise invalid("Assets must be in the ready state before subtitles can be generated")
        wanted = (await json_object(request)).get("generated_subtitles")
        if not isinstance(wanted, list) or not all(isinstance(w, dict) for w in wanted):
            raise invalid("generated_subtitles must be a list of objects")
        tracks = [
            text_track(
                mux_id(),
                asset.id,
                language_code=str(w.get("language_code") or "en"),
                name=_optional_str(w, "name"),
                passthrough=_optional_str(w, "passthrough"),
            )
            for w in wanted
        ]
        for track in tracks:
            asset.text_tracks.append(track)
            emit("video.asset.track.created", track)
            spawn(prepare_part(store, config, emit, asset, "track", track))
        return data(tracks, status=201)

    async def delete_track(request: Request) -> Response:
        asset = asset_of(request)
        track = _find(asset.text_tracks, path_param(request, "track_id"))
        asset.text_tracks.remove(track)
        emit("video.asset.track.deleted", track)
        return no_content()

    async def create_static_rendition(request: Request) -> Response:
        asset = asset_of(request)
        body = await json_object(request)
        resolution = body.get("resolution")
        if resolution not in RESOLUTIONS:
            raise invalid(f"resolution must be one of {', '.join(RESOLUTIONS)}")
        rendition = static_rendition(mux_id(), asset.id, resolution=str(resolution))
        passthrough = _optional_str(body, "passthrough")
        if passthrough is not None:
            rendition["passthrough"] = passthrough
        asset.static_renditions.append(rendition)
        emit("video.asset.static_rendition.created", rendition)
        if asset.status == "ready":  # otherwise it is made with the asset's other parts
            spawn(prepare_part(store, config, emit, asset, "static_rendition", rendition))
        return data(rendition, status=201)

    async def delete_static_rendition(request: Request) -> Response:
        asset = asset_of(request)
        rendition = _find(asset.static_renditions, path_param(request, "rendition_id"))
        asset.static_renditions.remove(rendition)
        emit("video.asset.static_rendition.deleted", rendition)
        return no_content()

    one = "/video/v1/assets/{asset_id}"
    return [
        api_route(guarded, "/video/v1/assets", list_assets, "GET"),
        api_route(guarded, one, get_asset, "GET"),
        api_route(guarded, one, delete_asset, "DELETE"),
        api_route(guarded, f"{one}/playback-ids", create_playback_id, "POST"),
        api_route(guarded, f"{one}/playback-ids/{{playback_id}}", get_playback_id, "GET"),
        api_route(guarded, f"{one}/playback-ids/{{playback_id}}", delete_playback_id, "DELETE"),
        api_route(guarded, "/video/v1/playback-ids/{playback_id}", lookup_playback_id, "GET"),
        api_route(guarded, f"{one}/tracks", create_track, "POST"),
        api_route(guarded, f"{one}/tracks/{{track_id}}", delete_track, "DELETE"),
        api_route(
            guarded, f"{one}/tracks/{{track_id}}/generate-subtitles", generate_subtitles, "POST"
        ),
        api_route(guarded, f"{one}/static-renditions", create_static_rendition, "POST"),
        api_route(
            guarded, f"{one}/static-renditions/{{rendition_id}}", delete_static_rendition, "DELETE"
        ),
    ]


def _find(parts: list[dict[str, Any]], part_id: str) -> dict[str, Any]:
    part = next((p for p in parts if p["id"] == part_id), None)
    if part is None:
        raise MuxApiError(404, "not_found", NOT_FOUND)
    return part


def _optional_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise invalid(f"{name} must be a string")
    return value
