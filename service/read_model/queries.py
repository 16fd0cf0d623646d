"""What every reader selects of a lesson and a course (the SQL side of the read model): the GET
routes, the live streams and the polled lesson changes read the same video columns, so
`to_json.video_json` renders any of them; the author's routes read the lesson's own fields with
them (`LESSON_COLUMNS`)."""

from __future__ import annotations

import uuid
from typing import Any

from service.database.pool import Connection

VIDEO_COLUMNS = """
lessons.id, lessons.course_id, lessons.title, lessons.position, lessons.created_at,
lessons.video_version, lessons.visibility, lessons.revision,
(select c.visibility from public.courses c where c.id = lessons.course_id) as course_visibility,
public.lesson_reaches_learners(lessons.status, lessons.visibility, lessons.course_id)
  as visible_to_learners,
lessons.status::text as status, lessons.mux_playback_id, lessons.playback_policy,
lessons.duration_seconds, lessons.aspect_ratio, lessons.video_error, lessons.status_changed_at,
public.lesson_media_json(lessons.mux_asset_id) as media
"""
"""What the GET route, the live streams and the polled lesson changes carry, for one lesson
(as a caller) or many (viewer_access). `media` is the current asset's captions and downloads;
`visibility` and `course_visibility` are the author's decisions (issue 28), and
`visible_to_learners` what they mean together with the video's status (the database's rule,
the one its RLS policies apply)."""
_VIDEO_QUERY = f"select {VIDEO_COLUMNS} from public.lessons where id = %s"


async def visible_video(conn: Connection, lesson_id: uuid.UUID) -> dict[str, Any] | None:
    """The lesson's video row if the session's role may see it (RLS decides), else None."""
    cur = await conn.execute(_VIDEO_QUERY, (lesson_id,))
    return await cur.fetchone()


LESSON_COLUMNS = f"{VIDEO_COLUMNS}, lessons.description"
"""A whole lesson as the author and catalog routes show it (`to_json.lesson_json`)."""
_LESSON_QUERY = f"select {LESSON_COLUMNS} from public.lessons where id = %s"

COURSE_COLUMNS = (
    "courses.id, courses.title, courses.description, courses.visibility, courses.revision, "
    "courses.created_at, courses.updated_at"
)
"""A course's own fields (`to_json.course_json`)."""


async def visible_lesson(conn: Connection, lesson_id: uuid.UUID) -> dict[str, Any] | None:
    """The whole lesson if the session's role may see it (RLS decides), else None."""
    cur = await conn.execute(_LESSON_QUERY, (lesson_id,))
    return await cur.fetchone()


async def learner_progress(
    conn: Connection, lesson_ids: list[uuid.UUID]
) -> dict[str, dict[str, Any]]:
    """The signed-in caller's progress rows for these lessons, by lesson id (RLS: only the
    caller's own rows are visible; a session without a user has no access at all)."""
    if not lesson_ids:
        return {}
    cur = await conn.execute(
        "select lesson_id, position_seconds, completed, updated_at from public.lesson_progress "
        "where user_id = (select auth.uid()) and lesson_id = any(%s)",
        (lesson_ids,),
    )
    return {str(row["lesson_id"]): row for row in await cur.fetchall()}
