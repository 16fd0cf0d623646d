"""A lesson's video state as the front end reads it (the GET route and the live stream)."""

from __future__ import annotations

from typing import Any

from service.lessons.playback import (
    STORYBOARD_AUDIENCE,
    THUMBNAIL_AUDIENCE,
    VIDEO_AUDIENCE,
    playback_token,
)
from service.settings import Settings

STREAM_HOST = "https://stream.mux.com"
IMAGE_HOST = "https://image.mux.com"


def video_json(row: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """The video JSON; `row` is a lesson row or a change notification (same fields)."""
    playback_id = row["mux_playback_id"]
    signed = row["playback_policy"] == "signed" and bool(
        playback_id and settings.mux_signing_key_id and settings.mux_signing_private_key
    )

    def token(audience: str) -> str | None:
        if not signed:
            return None
        assert settings.mux_signing_key_id and settings.mux_signing_private_key
        return playback_token(
            playback_id,
            key_id=settings.mux_signing_key_id,
            private_key=settings.mux_signing_private_key,
            ttl_seconds=settings.playback_token_ttl_seconds,
            audience=audience,
        )

    def url(base: str, audience: str) -> str:
        query = token(audience)
        return f"{base}?token={query}" if query else base

    # Captions and downloads belong to the current asset, which is the one playing only once
    # the lesson is published (during a replace the old video plays while the new processes).
    media = (row.get("media") or {}) if row["status"] == "published" else {}
    video: dict[str, Any] = {
        "lessonId": str(row["id"]),
        "status": row["status"],
        "playbackId": playback_id,
        "playbackPolicy": row["playback_policy"],
        "durationSeconds": row["duration_seconds"],
        "aspectRatio": row["aspect_ratio"],
        "error": row["video_error"],
        "statusChangedAt": _iso(row["status_changed_at"]),
        "thumbnailUrl": None,
        "storyboardUrl": None,
        "captions": media.get("captions", []),
        "downloads": [],
    }
    if playback_id:
        video["thumbnailUrl"] = url(f"{IMAGE_HOST}/{playback_id}/thumbnail.jpg", THUMBNAIL_AUDIENCE)
        video["storyboardUrl"] = url(
            f"{IMAGE_HOST}/{playback_id}/storyboard.vtt", STORYBOARD_AUDIENCE
        )
        video["downloads"] = [
            {
                **download,
                "url": url(f"{STREAM_HOST}/{playback_id}/{download['name']}", VIDEO_AUDIENCE)
                if download["status"] == "ready"
                else None,
            }
            for download in media.get("downloads", [])
        ]
    if signed:
        video["playbackToken"] = token(VIDEO_AUDIENCE)
    return video


def _iso(value: Any) -> str:
    return value if isinstance(value, str) else value.isoformat()
