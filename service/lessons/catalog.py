"""What the front end reads about courses and lessons: a lesson with its video, a course with
its lessons. Every read runs as the caller, so RLS decides what exists: a course or lesson the
caller may not see is a 404, whether it exists or not. `editable` says whether the caller owns
the course (and so may upload), as the database's own `is_course_owner` decides.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from service.database.pool import Database
from service.lessons.view import video_json
from service.request.caller import caller_claims
from service.request.paths import course_not_found, lesson_not_found, path_uuid
from service.settings import Settings

_LESSON_COLUMNS = """
l.id, l.course_id, l.title, l.position, l.video_version, l.status::text as status,
l.mux_playback_id, l.playback_policy, l.duration_seconds, l.aspect_ratio, l.video_error,
l.status_changed_at
"""


def lesson_json(row: dict[str, Any], settings: Settings) -> dict[str, Any]:
    return {
        "lessonId": str(row["id"]),
        "courseId": str(row["course_id"]),
        "title": row["title"],
        "position": row["position"],
        "video": video_json(row, settings),
    }


async def get_lesson(request: Request) -> JSONResponse:
    """`GET /api/lessons/{id}`: the lesson, its video, and whether the caller may edit it."""
    settings: Settings = request.app.state.settings
    db: Database = request.app.state.database
    claims = await caller_claims(request, required=False)
    lesson_id = path_uuid(request, "lesson_id", lesson_not_found())
    async with db.user_session(claims) as conn:
        cur = await conn.execute(
            f"select {_LESSON_COLUMNS}, public.is_course_owner(l.course_id) as editable "
            "from public.lessons l where l.id = %s",
            (lesson_id,),
        )
        row = await cur.fetchone()
    if row is None:
        raise lesson_not_found()
    return JSONResponse({**lesson_json(row, settings), "editable": bool(row["editable"])})


async def get_course(request: Request) -> JSONResponse:
    """`GET /api/courses/{id}`: the course and the lessons the caller may see, in order."""
    settings: Settings = request.app.state.settings
    db: Database = request.app.state.database
    claims = await caller_claims(request, required=False)
    course_id = path_uuid(request, "course_id", course_not_found())
    async with db.user_session(claims) as conn:
        cur = await conn.execute(
            "select id, title, public.is_course_owner(id) as editable "
            "from public.courses where id = %s",
            (course_id,),
        )
        course = await cur.fetchone()
        if course is None:
            raise course_not_found()
        cur = await conn.execute(
            f"select {_LESSON_COLUMNS} from public.lessons l where l.course_id = %s "
            "order by l.position, l.created_at, l.id",
            (course_id,),
        )
        lessons = await cur.fetchall()
    return JSONResponse(
        {
            "courseId": str(course["id"]),
            "title": course["title"],
            "editable": bool(course["editable"]),
            "lessons": [lesson_json(row, settings) for row in lessons],
        }
    )
