"""A lesson's video state as the front end reads it (the GET route and the live stream)."""

from __future__ import annotations

import uuid
from typing import Any

from service.db import Connection
from service.playback_tokens import playback_token
from service.settings import Settings

VIDEO_COLUMNS = """id, title, video_version, status::text as status, mux_playback_id,
       playback_policy, duration_seconds, aspect_ratio, video_error, status_changed_at"""
"""What the GET route, the live stream and the lesson change notification carry."""
_VIDEO_QUERY = f"select {VIDEO_COLUMNS} from public.lessons where id = %s"


async def visible_video(conn: Connection, lesson_id: uuid.UUID) -> dict[str, Any] | None:
    """The lesson's video row if the session's role may see it (RLS decides), else None."""
    cur = await conn.execute(_VIDEO_QUERY, (lesson_id,))
    return await cur.fetchone()


def video_json(row: dict[str, Any], settings: Settings) -> dict[str, Any]:
    video: dict[str, Any] = {
        "lessonId": str(row["id"]),
        "status": row["status"],
        "playbackId": row["mux_playback_id"],
        "playbackPolicy": row["playback_policy"],
        "durationSeconds": row["duration_seconds"],
        "aspectRatio": row["aspect_ratio"],
        "error": row["video_error"],
        "statusChangedAt": row["status_changed_at"].isoformat(),
    }
    if (
        row["playback_policy"] == "signed"
        and row["mux_playback_id"]
        and settings.mux_signing_key_id
        and settings.mux_signing_private_key
    ):
        video["playbackToken"] = playback_token(
            row["mux_playback_id"],
            key_id=settings.mux_signing_key_id,
            private_key=settings.mux_signing_private_key,
            ttl_seconds=settings.playback_token_ttl_seconds,
        )
    return video
