"""What the front end reads about courses and lessons: a lesson with its video, its video
alone, a course with its lessons, and the catalog of published courses. Every read runs as
the caller, so RLS decides what exists: a course or lesson the caller may not see is a 404,
whether it exists or not. `editable` says whether the caller owns the course (and so may
change it), as the database's own `is_course_owner` decides.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from service.database.pool import Connection, Database
from service.errors import ApiError
from service.read_model.caller_video import caller_video
from service.read_model.queries import (
    COURSE_COLUMNS,
    LESSON_COLUMNS,
    learner_progress,
)
from service.read_model.to_json import (
    course_json,
    lesson_json,
    progress_json,
    thumbnail_url,
)
from service.request.caller import caller_claims
from service.request.paths import course_not_found, lesson_not_found, path_uuid
from service.request.revisions import etag
from service.settings import Settings

CATALOG_LIMIT = 200

_CATALOG = f"""
select {COURSE_COLUMNS},
       (select count(*) from public.lessons l
         where l.course_id = courses.id and l.status = 'published') as published_lessons,
       first.id as first_lesson_id, first.title as first_lesson_title,
       first.mux_playback_id as first_playback_id, first.playback_policy as first_policy
from public.courses
cross join lateral (
  select l.id, l.title, l.mux_playback_id, l.playback_policy from public.lessons l
  where l.course_id = courses.id and l.status = 'published'
  order by l.position
  limit 1
) first
order by courses.created_at desc, courses.id
limit {CATALOG_LIMIT}
"""


_LESSON = (
    f"select {LESSON_COLUMNS}, public.is_course_owner(lessons.course_id) as editable "
    "from public.lessons where lessons.id = %s"
)
_COURSE = (
    f"select {COURSE_COLUMNS}, public.is_course_owner(courses.id) as editable "
    "from public.courses where courses.id = %s"
)
_COURSE_LESSONS = (
    f"select {LESSON_COLUMNS} from public.lessons where lessons.course_id = %s "
    "order by lessons.position, lessons.created_at, lessons.id"
)


async def _as_caller(
    request: Request, path_name: str, not_found: ApiError
) -> tuple[dict[str, Any] | None, uuid.UUID]:
    """The caller's claims (none for an anonymous caller; a bad token is refused) and the id
    in the path."""
    claims = await caller_claims(request, required=False)
    return claims, path_uuid(request, path_name, not_found)


Row = dict[str, Any]


async def _one(conn: Connection, query: str, target: uuid.UUID, not_found: ApiError) -> Row:
    """The row `query` selects for `target` as the session's caller, or `not_found`."""
    row = await (await conn.execute(query, (target,))).fetchone()
    if row is None:
        raise not_found
    return row


async def get_lesson(request: Request) -> JSONResponse:
    """`GET /api/lessons/{id}`: the lesson, its video, and whether the caller may edit it."""
    claims, lesson_id = await _as_caller(request, "lesson_id", lesson_not_found())
    db: Database = request.app.state.database
    async with db.user_session(claims) as conn:
        row = await _one(conn, _LESSON, lesson_id, lesson_not_found())
    return JSONResponse(
        {
            **lesson_json(row, request.app.state.settings),
            "editable": bool(row["editable"]),
            "courseVisibility": row["course_visibility"],
        },
        headers={"ETag": etag(row["revision"])},
    )


async def get_video(request: Request) -> JSONResponse:
    """`GET /api/lessons/{id}/video`: to the owner always, to anyone once published."""
    claims, lesson_id = await _as_caller(request, "lesson_id", lesson_not_found())
    db: Database = request.app.state.database
    return JSONResponse(await caller_video(db, claims, lesson_id, request.app.state.settings))


async def get_course(request: Request) -> JSONResponse:
    """`GET /api/courses/{id}`: the course and the lessons the caller may see, in order (its
    owner every lesson; anyone else the published ones), each with the signed-in caller's
    `progress` in it (null when none, and for an anonymous caller)."""
    settings: Settings = request.app.state.settings
    claims, course_id = await _as_caller(request, "course_id", course_not_found())
    db: Database = request.app.state.database
    async with db.user_session(claims) as conn:
        course = await _one(conn, _COURSE, course_id, course_not_found())
        lessons = await (await conn.execute(_COURSE_LESSONS, (course_id,))).fetchall()
        progress = await learner_progress(conn, [row["id"] for row in lessons]) if claims else {}
    return JSONResponse(
        {
            **course_json(course),
            "editable": bool(course["editable"]),
            "lessons": [
                {
                    **lesson_json(row, settings),
                    "progress": progress_json(progress.get(str(row["id"]))),
                }
                for row in lessons
            ],
        },
        headers={"ETag": etag(course["revision"])},
    )


async def get_catalog(request: Request) -> JSONResponse:
    """`GET /api/catalog`: the courses learners may open (public, with at least one lesson they
    may watch), newest first, each with its count of those lessons and its first one's
    thumbnail. Read as a learner whoever asks (RLS as `anon`: every learner sees the same), so
    an author finds here exactly what learners find, never their own drafts."""
    settings: Settings = request.app.state.settings
    db: Database = request.app.state.database
    await caller_claims(request, required=False)  # a bad token is still refused
    async with db.user_session(None) as conn:
        rows = await (await conn.execute(_CATALOG)).fetchall()
    courses = [
        {
            **course_json(row),
            "publishedLessons": row["published_lessons"],
            "firstLesson": {
                "lessonId": str(row["first_lesson_id"]),
                "title": row["first_lesson_title"],
                "thumbnailUrl": thumbnail_url(
                    row["first_playback_id"], row["first_policy"], settings
                )
                if row["first_playback_id"]
                else None,
            },
        }
        for row in rows
    ]
    return JSONResponse({"courses": courses})
