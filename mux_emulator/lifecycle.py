"""What happens at Mux after the last byte arrives: an asset is created, then processed."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from mux_emulator.api import Emit
from mux_emulator.config import EmulatorConfig
from mux_emulator.media import probe
from mux_emulator.store import Store, Upload

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
