"""Mux's image and download URLs for the emulator's assets: thumbnails and storyboards (as
`image.mux.com/{playback_id}/thumbnail.jpg`, `storyboard.vtt`, `storyboard.jpg`) under
`/image`, and static renditions (as `stream.mux.com/{playback_id}/{name}`) under `/stream`.

Pictures are a frame of the upload when `ffmpeg` is installed, else a plain grey 8x8 JPEG:
the shapes (paths, content types, a WebVTT storyboard of `#xywh` tiles) are what matter.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from mux_emulator.api import mux_error
from mux_emulator.config import EmulatorConfig
from mux_emulator.store import Asset, Store

# A baseline greyscale 8x8 JPEG of mid grey: one block, DC difference 0, then end-of-block.
GREY_JPEG = bytes.fromhex(
    "ffd8"
    "ffe000104a46494600010100000100010000"
    "ffdb004300" + "01" * 64 + "ffc0000b080008000801011100"
    "ffc400140001" + "00" * 15 + "00"
    "ffc400141001" + "00" * 15 + "00"
    "ffda0008010100003f00"
    "3f"
    "ffd9"
)
STORYBOARD_TILE_SECONDS = 5.0


def _ready(store: Store, playback_id: str) -> Asset | None:
    asset = store.asset_by_playback_id(playback_id)
    return asset if asset is not None and asset.status == "ready" else None


def _frame(file: Path | None, seconds: float) -> bytes:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None or file is None:
        return GREY_JPEG
    result = subprocess.run(  # noqa: S603 - the installed ffmpeg on a file we stored
        [ffmpeg, "-v", "error", "-ss", str(seconds), "-i", str(file), "-frames:v", "1",
         "-f", "image2", "-c:v", "mjpeg", "-"],
        capture_output=True,
        timeout=20,
        check=False,
    )  # fmt: skip
    return result.stdout if result.returncode == 0 and result.stdout else GREY_JPEG


def image_routes(store: Store, config: EmulatorConfig) -> list[Route]:
    def not_found() -> Response:
        return mux_error(404, "not_found", "No ready asset has that playback id")

    async def thumbnail(request: Request) -> Response:
        asset = _ready(store, request.path_params["playback_id"])
        if asset is None:
            return not_found()
        try:
            seconds = float(request.query_params.get("time", "0"))
        except ValueError:
            return mux_error(400, "invalid_parameters", "time must be a number")
        jpeg = await asyncio.to_thread(_frame, asset.file, max(0.0, seconds))
        return Response(jpeg, media_type="image/jpeg")

    async def storyboard_image(request: Request) -> Response:
        if _ready(store, request.path_params["playback_id"]) is None:
            return not_found()
        return Response(GREY_JPEG, media_type="image/jpeg")

    async def storyboard_vtt(request: Request) -> Response:
        playback_id = request.path_params["playback_id"]
        asset = _ready(store, playback_id)
        if asset is None:
            return not_found()
        image = f"{config.public_url}/image/{playback_id}/storyboard.jpg"
        lines = ["WEBVTT", ""]
        start, duration = 0.0, asset.duration or STORYBOARD_TILE_SECONDS
        while start < duration:
            end = min(duration, start + STORYBOARD_TILE_SECONDS)
            lines += [f"{_vtt_time(start)} --> {_vtt_time(end)}", f"{image}#xywh=0,0,8,8", ""]
            start = end
        return PlainTextResponse("\n".join(lines), media_type="text/vtt")

    async def download(request: Request) -> Response:
        asset = _ready(store, request.path_params["playback_id"])
        name = request.path_params["name"]
        ready = asset is not None and any(
            r["name"] == name and r["status"] == "ready" for r in asset.static_renditions
        )
        if asset is None or asset.file is None or not ready:
            return mux_error(404, "not_found", "No ready static rendition by that name")
        media_type = "audio/mp4" if name.endswith(".m4a") else "video/mp4"
        return FileResponse(asset.file, media_type=media_type)

    return [
        Route("/image/{playback_id}/thumbnail.jpg", thumbnail, methods=["GET"]),
        Route("/image/{playback_id}/storyboard.jpg", storyboard_image, methods=["GET"]),
        Route("/image/{playback_id}/storyboard.vtt", storyboard_vtt, methods=["GET"]),
        Route("/stream/{playback_id}/{name}", download, methods=["GET"]),
    ]


def _vtt_time(seconds: float) -> str:
    whole, millis = divmod(round(seconds * 1000), 1000)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}.{millis:03d}"
