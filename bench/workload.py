"""Deterministic benchmark workloads: lessons with known upload/asset ids and their events."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from mux_emulator.payloads import asset_object, event, new_asset_settings, upload_object
from mux_emulator.signing import signature_header

BENCH_SECRET = "bench-webhook-secret"
BENCH_JWT_SECRET = "bench-jwt-secret-with-at-least-32-characters"


def ids(index: int) -> tuple[str, str, str]:
    """(upload id, asset id, playback id) of benchmark lesson `index`."""
    return f"bench-upload-{index}", f"bench-asset-{index}", f"bench-playback-{index}"


def lesson_events(index: int, lesson_id: str | None = None) -> list[dict[str, Any]]:
    """The four events Mux sends for one successful direct upload, in Mux's shapes."""
    upload_id, asset_id, playback_id = ids(index)
    settings = new_asset_settings(lesson_id, "public")
    return [
        event("video.upload.created", upload_object(upload_id, new_asset_settings=settings)),
        event(
            "video.upload.asset_created",
            upload_object(
                upload_id, new_asset_settings=settings, status="asset_created", asset_id=asset_id
            ),
        ),
        event(
            "video.asset.created",
            asset_object(asset_id, upload_id=upload_id, passthrough=lesson_id),
        ),
        event(
            "video.asset.ready",
            asset_object(
                asset_id,
                status="ready",
                playback_ids=[{"id": playback_id, "policy": "public"}],
                duration=23.857167,
                aspect_ratio="16:9",
                upload_id=upload_id,
                passthrough=lesson_id,
            ),
        ),
    ]


def signed_requests(
    host: str, path: str, bodies: Iterable[bytes], secret: str = BENCH_SECRET
) -> Iterator[bytes]:
    """Complete HTTP/1.1 keep-alive POST requests, each signed as it is taken (so a long run
    never sends a signature older than Mux's tolerance)."""
    for body in bodies:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nMux-Signature: {signature_header(body, secret)}\r\n"
            "User-Agent: bench\r\n\r\n"
        )
        yield head.encode() + body
