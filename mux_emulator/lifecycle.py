"""What happens at Mux after the last byte arrives: an asset is created, then processed;
then the subtitles and static renditions the upload's `new_asset_settings` asked for are
made, each announced by its `created` and `ready` events."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

from mux_emulator.api_base import Emit
from mux_emulator.config import EmulatorConfig
from mux_emulator.media import probe
from mux_emulator.payloads import mux_id, static_rendition, text_track
from mux_emulator.store import Asset, Store, Upload

NOT_A_VIDEO = {
    "type": "invalid_input",
    "messages": ["The uploaded file could not be read as a video"],
}


async def process_upload(
    store: Store, config: EmulatorConfig, emit: Emit, upload: Upload, file: Path
) -> None:
    asset = store.new_asset(upload)
    asset.file = file
    emit("video.upload.asset_created", upload.as_mux())
    emit("video.asset.created", asset.as_mux())
    processing = config.processing_seconds + random.uniform(0, config.processing_jitter)
    info, _ = await asyncio.gather(
        asyncio.to_thread(probe, file), asyncio.sleep(processing * config.time_scale)
    )
    if asset.id not in store.assets:
        return  # deleted while preparing
    if info is None:
        asset.status = "errored"
        asset.errors = NOT_A_VIDEO
        emit("video.asset.errored", asset.as_mux())
        return
    asset.status = "ready"
    asset.duration = info.duration
    asset.aspect_ratio = info.aspect_ratio
    emit("video.asset.ready", asset.as_mux())
    await _make_parts(store, config, emit, asset, upload)


async def _make_parts(
    store: Store, config: EmulatorConfig, emit: Emit, asset: Asset, upload: Upload
) -> None:
    settings = upload.new_asset_settings
    for wanted in _generated_subtitles(settings):
        track = text_track(
            mux_id(),
            asset.id,
            language_code=str(wanted.get("language_code") or "en"),
            name=wanted.get("name"),
            passthrough=wanted.get("passthrough"),
        )
        asset.text_tracks.append(track)
        emit("video.asset.track.created", track)
    for wanted in settings.get("static_renditions") or []:
        if isinstance(wanted, dict) and wanted.get("resolution"):
            rendition = static_rendition(mux_id(), asset.id, resolution=str(wanted["resolution"]))
            asset.static_renditions.append(rendition)
            emit("video.asset.static_rendition.created", rendition)
    if not (asset.text_tracks or asset.static_renditions):
        return
    await asyncio.sleep(config.processing_seconds / 2 * config.time_scale)
    if asset.id not in store.assets:
        return  # deleted meanwhile
    for track in asset.text_tracks:
        track["status"] = "ready"
        emit("video.asset.track.ready", track)
    for rendition in asset.static_renditions:
        rendition["status"] = "ready"
        emit("video.asset.static_rendition.ready", rendition)


def _generated_subtitles(settings: dict[str, object]) -> list[dict[str, str]]:
    """`new_asset_settings.inputs[].generated_subtitles[]`, as Mux's API takes them."""
    inputs = settings.get("inputs")
    found: list[dict[str, str]] = []
    for item in inputs if isinstance(inputs, list) else []:
        subtitles = item.get("generated_subtitles") if isinstance(item, dict) else None
        found += [s for s in subtitles or [] if isinstance(s, dict)]
    return found


async def prepare_part(
    store: Store, config: EmulatorConfig, emit: Emit, asset: Asset, kind: str, part: dict[str, Any]
) -> None:
    """A track or static rendition added to a ready asset through the API: `ready` (with its
    `video.asset.<kind>.ready` event) after half the processing time, unless deleted first."""
    await asyncio.sleep(config.processing_seconds / 2 * config.time_scale)
    parts = asset.text_tracks if kind == "track" else asset.static_renditions
    if asset.id in store.assets and any(p is part for p in parts):
        part["status"] = "ready"
        emit(f"video.asset.{kind}.ready", part)
