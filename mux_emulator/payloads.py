"""Mux objects and webhook events, in the shapes Mux documents and sends.

Upload events carry the upload as `data` (upload id at `data.id`, asset id at
`data.asset_id`); asset events carry the asset (`data.upload_id`, `data.passthrough`,
`data.playback_ids`), except `video.asset.track.*` and `video.asset.static_rendition.*`,
which carry the track or the rendition with its asset at `data.asset_id` (the older
`video.asset.static_renditions.*` carry the asset). Object timestamps are epoch seconds,
as strings (`"created_at": "1609869152"`, as Mux's API reference shows them); envelope
`created_at` is ISO 8601.
"""

from __future__ import annotations

import secrets
import string
import time
import uuid
from datetime import UTC, datetime
from typing import Any

ENVIRONMENT = {"name": "Development", "id": "emu01"}
_ID_ALPHABET = string.ascii_letters + string.digits


def mux_id(length: int = 44) -> str:
    """An identifier in the style of Mux upload, asset and playback ids."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def iso_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_asset_settings(passthrough: str | None, playback_policy: str = "public") -> dict[str, Any]:
    settings: dict[str, Any] = {"playback_policies": [playback_policy], "video_quality": "basic"}
    if passthrough is not None:
        settings["passthrough"] = passthrough
    return settings


def upload_object(
    upload_id: str,
    *,
    new_asset_settings: dict[str, Any],
    status: str = "waiting",
    cors_origin: str = "*",
    timeout: int = 3600,
    asset_id: str | None = None,
    error: dict[str, str] | None = None,
    url: str | None = None,
    test: bool = False,
) -> dict[str, Any]:
    upload: dict[str, Any] = {
        "id": upload_id,
        "timeout": timeout,
        "status": status,
        "new_asset_settings": new_asset_settings,
        "cors_origin": cors_origin,
    }
    if url is not None:
        upload["url"] = url
    if asset_id is not None:
        upload["asset_id"] = asset_id
    if error is not None:
        upload["error"] = error
    if test:
        upload["test"] = True
    return upload


def asset_object(
    asset_id: str,
    *,
    status: str = "preparing",
    upload_id: str | None = None,
    passthrough: str | None = None,
    playback_ids: list[dict[str, str]] | None = None,
    duration: float | None = None,
    aspect_ratio: str | None = None,
    errors: dict[str, Any] | None = None,
    created_at: int | None = None,
    text_tracks: list[dict[str, Any]] | None = None,
    static_renditions: list[dict[str, Any]] | None = None,
    primary_track_ids: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """An asset; `primary_track_ids` are its video and audio tracks' ids (new ones if None)."""
    video_track, audio_track = primary_track_ids or (mux_id(), mux_id())
    asset: dict[str, Any] = {
        "id": asset_id,
        "status": status,
        "created_at": str(created_at if created_at is not None else int(time.time())),
        "playback_ids": playback_ids or [],
        "mp4_support": "none",
        "master_access": "none",
        "video_quality": "basic",
        "max_resolution_tier": "1080p",
        "encoding_tier": "baseline",
        "ingest_type": "on_demand_direct_upload" if upload_id else "on_demand_url",
    }
    if upload_id is not None:
        asset["upload_id"] = upload_id
    if passthrough is not None:
        asset["passthrough"] = passthrough
    if duration is not None:
        asset["duration"] = duration
    if aspect_ratio is not None:
        asset["aspect_ratio"] = aspect_ratio
    if status == "ready" and duration is not None:
        asset["tracks"] = [
            {"type": "video", "id": video_track, "duration": duration, "max_frame_rate": 30},
            {"type": "audio", "id": audio_track, "status": "ready", "primary": True},
            *(text_tracks or []),
        ]
    if static_renditions:
        asset["static_renditions"] = {"files": static_renditions}
    if errors is not None:
        asset["errors"] = errors
    return asset


def text_track(
    track_id: str,
    asset_id: str,
    *,
    language_code: str,
    name: str | None,
    status: str = "preparing",
    passthrough: str | None = None,
    text_source: str = "generated_vod",
    closed_captions: bool = False,
) -> dict[str, Any]:
    """A subtitle track, as in asset and track events: one Mux generates
    (`generated_subtitles`), or one added from a file (`text_source: "uploaded"`)."""
    track: dict[str, Any] = {
        "type": "text",
        "text_type": "subtitles",
        "text_source": text_source,
        "id": track_id,
        "asset_id": asset_id,
        "language_code": language_code,
        "name": name or language_code,
        "closed_captions": closed_captions,
        "status": status,
    }
    if passthrough is not None:
        track["passthrough"] = passthrough
    return track


def static_rendition(
    rendition_id: str, asset_id: str, *, resolution: str, status: str = "preparing"
) -> dict[str, Any]:
    """A static MP4/M4A rendition (`static_renditions[]`), as in rendition events."""
    audio = resolution == "audio-only"
    return {
        "type": "standard",
        "id": rendition_id,
        "asset_id": asset_id,
        "name": "audio.m4a" if audio else f"{resolution}.mp4",
        "ext": "m4a" if audio else "mp4",
        "resolution": resolution,
        "status": status,
    }


# Events whose `data` is a part of an asset (a track, a rendition), not the asset itself.
_ASSET_PARTS = ("video.asset.track.", "video.asset.static_rendition.")


def event(
    event_type: str,
    data: dict[str, Any],
    *,
    event_id: str | None = None,
    created_at: str | None = None,
    attempts: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A webhook envelope: `type`, `id`, `created_at`, `object`, `environment`, `data`, ..."""
    return {
        "type": event_type,
        "id": event_id or str(uuid.uuid4()),
        "created_at": created_at or iso_now(),
        "object": (
            {"type": "asset", "id": data["asset_id"]}
            if event_type.startswith(_ASSET_PARTS)
            else {"type": event_type.split(".")[1], "id": data["id"]}
        ),
        "environment": ENVIRONMENT,
        "data": data,
        "attempts": attempts or [],
        "request_id": None,
        "accessor_source": None,
        "accessor": None,
    }
