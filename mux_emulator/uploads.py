"""The direct-upload URL: what a browser uploader PUTs the file to.

Either one PUT of the whole file, or resumable chunks as @mux/upchunk sends them
(`Content-Range: bytes a-b/total`): each accepted chunk that is not the last is answered
308 with `Range: bytes=0-<last byte stored>`; a chunk that does not start where the stored
bytes end (out of order, or a repeat) is not stored and gets the same 308, so the uploader
resends from the right place. CORS answers follow the upload's `cors_origin`.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
import weakref
from collections.abc import Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mux_emulator.api_base import Emit
from mux_emulator.config import EmulatorConfig
from mux_emulator.lifecycle import process_upload
from mux_emulator.store import Store, Upload

_CONTENT_RANGE = re.compile(r"bytes (?:(\d+)-(\d+)|\*)/(\d+)")


def _cors_headers(upload: Upload, origin: str | None) -> dict[str, str] | None:
    """CORS headers for this origin, or None when the upload does not allow it."""
    if origin is None:
        return {}
    if upload.cors_origin not in ("*", origin):
        return None
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Expose-Headers": "Range",
        "Vary": "Origin",
    }


class UploadFiles:
    """Where uploaded files are kept: a temporary folder made at the first upload and removed
    when the emulator stops (its lifespan ends), or at the latest when the process exits."""

    def __init__(self) -> None:
        self._folder: Path | None = None
        self._remove: weakref.finalize[..., object] | None = None

    def path(self, name: str) -> Path:
        if self._folder is None:
            folder = Path(tempfile.mkdtemp(prefix="mux-emulator-"))
            self._folder = folder
            self._remove = weakref.finalize(self, shutil.rmtree, folder, ignore_errors=True)
        return self._folder / name

    def remove(self) -> None:
        if self._remove is not None:
            self._remove()
        self._folder, self._remove = None, None


def upload_routes(
    store: Store,
    config: EmulatorConfig,
    emit: Emit,
    spawn: Callable[..., None],
    files: UploadFiles,
) -> list[Route]:

    def stored_range(upload: Upload) -> dict[str, str]:
        return {"Range": f"bytes=0-{len(upload.received) - 1}"} if upload.received else {}

    async def preflight(request: Request) -> Response:
        upload = store.uploads.get(request.path_params["upload_id"])
        cors = _cors_headers(upload, request.headers.get("origin")) if upload else None
        if not cors:
            return Response(status_code=403)
        return Response(
            status_code=200,
            headers={
                **cors,
                "Access-Control-Allow-Methods": "PUT, OPTIONS",
                "Access-Control-Allow-Headers": "Content-Type, Content-Range, Content-Length",
                "Access-Control-Max-Age": "3600",
            },
        )

    async def put(request: Request) -> Response:
        store.requests["upload_put"] += 1
        upload = store.uploads.get(request.path_params["upload_id"])
        if upload is None:
            return Response("Unknown upload", status_code=404)
        cors = _cors_headers(upload, request.headers.get("origin"))
        if cors is None:
            return Response("Origin not allowed", status_code=403)
        if upload.status != "waiting":
            done = upload.total_size is not None and len(upload.received) == upload.total_size
            return Response(status_code=200 if done else 400, headers=cors)
        declared = request.headers.get("content-range")
        body = await request.body()
        if declared is None:  # a single PUT of the whole file
            start, total = 0, len(body)
            upload.received.clear()
        else:
            match = _CONTENT_RANGE.fullmatch(declared.strip())
            if not match:
                return Response("Bad Content-Range", status_code=400, headers=cors)
            total = int(match.group(3))
            if match.group(1) is None:  # `bytes */total`: how much is stored?
                return Response(status_code=308, headers={**cors, **stored_range(upload)})
            start, end = int(match.group(1)), int(match.group(2))
            if end < start or end >= total or len(body) != end - start + 1:
                return Response("Content-Range does not match the body", 400, headers=cors)
            if start != len(upload.received):
                return Response(status_code=308, headers={**cors, **stored_range(upload)})
        if total > config.max_upload_bytes:
            return Response("File too large", status_code=413, headers=cors)
        upload.total_size = total
        upload.received.extend(body)
        if len(upload.received) < total:
            return Response(status_code=308, headers={**cors, **stored_range(upload)})
        file = files.path(f"{upload.id}.bin")
        await asyncio.to_thread(file.write_bytes, bytes(upload.received))
        spawn(process_upload(store, config, emit, upload, file))
        return Response(status_code=200, headers=cors)

    return [
        Route("/upload/{upload_id}", preflight, methods=["OPTIONS"]),
        Route("/upload/{upload_id}", put, methods=["PUT"]),
    ]
