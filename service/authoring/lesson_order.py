"""The order of a course's lessons: `PUT /api/courses/{id}/lesson-order`.

Positions are the database's: a new lesson goes at the end (`lessons.add_lesson`) and the order
changes only through `reorder_lessons`, each taking the course's row lock, so concurrent
requests leave positions 1..n whatever order they arrive in. As the caller, under RLS: a
course the caller does not own is a 404.
"""

from __future__ import annotations

import psycopg
from starlette.requests import Request
from starlette.responses import JSONResponse

from service.authoring.fields import BODY_LIMIT
from service.database.pool import Database
from service.errors import ApiError
from service.request.body import json_object, only_fields, uuid_list_field
from service.request.caller import required_claims
from service.request.paths import course_not_found, path_uuid

MAX_LESSONS_IN_ORDER = 1000

# What reorder_lessons raises (supabase/migrations/20261202120000_author_workspace.sql).
_NOT_OWNED, _NOT_THE_LESSONS = "ML010", "ML011"


async def reorder_lessons(request: Request) -> JSONResponse:
    """`PUT /api/courses/{id}/lesson-order` `{lessonIds}`: all or nothing. A list that is not
    exactly the course's lessons is 409 `order_mismatch` with the current order."""
    claims = await required_claims(request)
    course_id = path_uuid(request, "course_id", course_not_found())
    body = await json_object(request, BODY_LIMIT)
    only_fields(body, ("lessonIds",))
    lesson_ids = uuid_list_field(body, "lessonIds", max_items=MAX_LESSONS_IN_ORDER)
    db: Database = request.app.state.database
    try:
        async with db.user_session(claims) as conn:
            cur = await conn.execute(
                "select lesson_id from public.reorder_lessons(%s, %s::uuid[]) as lesson_id",
                (course_id, lesson_ids),
            )
            order = [row["lesson_id"] for row in await cur.fetchall()]
    except psycopg.Error as exc:
        if exc.sqlstate == _NOT_OWNED:
            raise course_not_found() from exc
        if exc.sqlstate != _NOT_THE_LESSONS:
            raise
        async with db.user_session(claims) as conn:
            cur = await conn.execute(
                "select id from public.lessons where course_id = %s order by position",
                (course_id,),
            )
            current = [str(row["id"]) for row in await cur.fetchall()]
        raise ApiError(
            409,
            "order_mismatch",
            "The order must name every lesson of the course exactly once; the course has "
            "changed since you loaded it.",
            current=current,
        ) from exc
    return JSONResponse({"courseId": str(course_id), "lessonIds": [str(i) for i in order]})
