"""Lessons and courses as the front end reads them (the JSON side of the read model, from the
rows `queries` selects): a lesson's video state (the GET routes and the live streams), a whole
lesson, a course, a learner's progress."""

from __future__ import annotations

from typing import Any

from service.mux.playback_tokens import (
    STORYBOARD_AUDIENCE,
    THUMBNAIL_AUDIENCE,
    VIDEO_AUDIENCE,
    playback_token,
)
from service.settings import Settings


def _signed(policy: str | None, playback_id: str | None, settings: Settings) -> bool:
    return policy == "signed" and bool(
        playback_id and settings.mux_signing_key_id and settings.mux_signing_private_key
    )


def _token(playback_id: str, audience: str, settings: Settings) -> str:
    assert settings.mux_signing_key_id and settings.mux_signing_private_key
    return playback_token(
        playback_id,
        key_id=settings.mux_signing_key_id,
        private_key=settings.mux_signing_private_key,
        ttl_seconds=settings.playback_token_ttl_seconds,
        audience=audience,
    )


def thumbnail_url(playback_id: str, policy: str | None, settings: Settings) -> str:
    """The video's thumbnail, with its own token when playback is signed."""
    base = f"{settings.mux_image_base_url}/{playback_id}/thumbnail.jpg"
    if _signed(policy, playback_id, settings):
        return f"{base}?token={_token(playback_id, THUMBNAIL_AUDIENCE, settings)}"
    return base


def video_json(row: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """The video JSON; `row` is a lesson row or a change notification (same fields)."""
    playback_id = row["mux_playback_id"]
    signed = _signed(row["playback_policy"], playback_id, settings)

    def url(base: str, audience: str) -> str:
        return f"{base}?token={_token(playback_id, audience, settings)}" if signed else base

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
        video["thumbnailUrl"] = thumbnail_url(playback_id, row["playback_policy"], settings)
        video["storyboardUrl"] = url(
            f"{settings.mux_image_base_url}/{playback_id}/storyboard.vtt", STORYBOARD_AUDIENCE
        )
        video["downloads"] = [
            {
                **download,
                "url": url(
                    f"{settings.mux_stream_base_url}/{playback_id}/{download['name']}",
                    VIDEO_AUDIENCE,
                )
                if download["status"] == "ready"
                else None,
            }
            for download in media.get("downloads", [])
        ]
    if signed:
        video["playbackToken"] = _token(playback_id, VIDEO_AUDIENCE, settings)
    return video


def lesson_json(row: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """A whole lesson (`queries.LESSON_COLUMNS`); `revision` is what a change names (If-Match)."""
    return {
        "lessonId": str(row["id"]),
        "courseId": str(row["course_id"]),
        "title": row["title"],
        "description": row.get("description"),
        "position": row["position"],
        "revision": row.get("revision"),
        "visibility": row["visibility"],
        "video": video_json(row, settings),
    }


def course_json(row: dict[str, Any]) -> dict[str, Any]:
    """A course's own fields (`queries.COURSE_COLUMNS`)."""
    return {
        "courseId": str(row["id"]),
        "title": row["title"],
        "description": row["description"],
        "visibility": row["visibility"],
        "revision": row["revision"],
        "createdAt": _iso(row["created_at"]),
        "updatedAt": _iso(row["updated_at"]),
    }


def _iso(value: Any) -> str:
    return value if isinstance(value, str) else value.isoformat()


def progress_json(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """A learner's progress in a lesson (`queries.learner_progress`); None when there is none."""
    if row is None:
        return None
    return {"positionSeconds": row["position_seconds"], "completed": row["completed"]}
