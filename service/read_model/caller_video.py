"""A lesson's video as the caller may see it, as the API's JSON: what `GET /api/lessons/{id}/video`
answers, and what the author's upload, cancel and remove routes answer with after changing it."""

from __future__ import annotations

import uuid
from typing import Any

from service.database.pool import Database
from service.read_model.queries import visible_video
from service.read_model.to_json import video_json
from service.request.paths import lesson_not_found
from service.settings import Settings


async def caller_video(
    db: Database, claims: dict[str, Any] | None, lesson_id: uuid.UUID, settings: Settings
) -> dict[str, Any]:
    """The video as RLS shows it to `claims`; 404 `lesson_not_found` when it shows nothing."""
    async with db.user_session(claims) as conn:
        row = await visible_video(conn, lesson_id)
    if row is None:
        raise lesson_not_found()
    return video_json(row, settings)
