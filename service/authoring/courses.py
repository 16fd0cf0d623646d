"""The author's courses: list, create, rename and describe, delete. (A course's lessons:
`lessons`; their order: `lesson_order`.)

Every statement runs as the caller, so RLS decides: a course the caller does not own is a 404
whether it exists or not (never a 403 that would tell it exists). Deleting a course deletes
its lessons, and the cleanup outbox (written by the same transaction) deletes their videos at
Mux.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from service.authoring.cleanup_now import clean_up_now
from service.authoring.fields import BODY_LIMIT, assignments, requested_change, written_fields
from service.database.pool import Connection, Database, act_as_service
from service.read_model.queries import COURSE_COLUMNS
from service.read_model.to_json import course_json
from service.request.body import json_object
from service.request.caller import required_claims
from service.request.paths import course_not_found, path_uuid
from service.request.revisions import edit_conflict, etag

log = logging.getLogger(__name__)

STATUSES = ("draft", "uploading", "processing", "published", "errored", "cancelled")

_OWNED_COURSES = f"""
select {COURSE_COLUMNS},
       coalesce((select jsonb_object_agg(s.status, s.n) from (
                   select l.status::text as status, count(*) as n from public.lessons l
                   where l.course_id = courses.id group by 1) s), '{{}}') as statuses,
       (select count(*) from public.lessons l
         where l.course_id = courses.id and l.visibility = 'public') as public_lessons
from public.courses
where courses.owner_id = (select auth.uid())
order by courses.created_at desc, courses.id
"""


def owned_course_json(row: dict[str, Any]) -> dict[str, Any]:
    """A course as its owner's list shows it: its lessons counted, by video status too, and
    how many of them the author made public."""
    counts = {status: int(row["statuses"].get(status, 0)) for status in STATUSES}
    return {
        **course_json(row),
        "lessonCount": sum(counts.values()),
        "lessonsByStatus": counts,
        "publicLessons": int(row["public_lessons"]),
    }


async def list_courses(request: Request) -> JSONResponse:
    """`GET /api/courses`: the caller's own courses, newest first."""
    claims = await required_claims(request)
    db: Database = request.app.state.database
    async with db.user_session(claims) as conn:
        rows = await (await conn.execute(_OWNED_COURSES)).fetchall()
    return JSONResponse({"courses": [owned_course_json(row) for row in rows]})


async def create_course(request: Request) -> JSONResponse:
    """`POST /api/courses` `{title, description?}`: 201 with the course."""
    claims = await required_claims(request)
    fields = written_fields(await json_object(request, BODY_LIMIT), creating=True)
    db: Database = request.app.state.database
    async with db.user_session(claims) as conn:
        cur = await conn.execute(
            "insert into public.courses (title, description) values (%(title)s, %(description)s) "
            f"returning {COURSE_COLUMNS}, '{{}}'::jsonb as statuses, 0 as public_lessons",
            fields,
        )
        row = await cur.fetchone()
    assert row is not None
    log.info("course created", extra={"course_id": str(row["id"])})
    return JSONResponse(
        owned_course_json(row),
        status_code=201,
        headers={"ETag": etag(row["revision"]), "Location": f"/api/courses/{row['id']}"},
    )


async def _owned(conn: Connection, course_id: uuid.UUID) -> dict[str, Any] | None:
    cur = await conn.execute(
        f"select {COURSE_COLUMNS} from public.courses "
        "where courses.id = %s and public.is_course_owner(courses.id)",
        (course_id,),
    )
    return await cur.fetchone()


async def update_course(request: Request) -> JSONResponse:
    """`PATCH /api/courses/{id}` `{title?, description?, visibility?}`: against the revision
    named by `If-Match` (or `revision`); a stale one is 409 `edit_conflict` with the current
    course."""
    change = await requested_change(request, "course_id", course_not_found())
    db: Database = request.app.state.database
    async with db.user_session(change.claims) as conn:
        cur = await conn.execute(
            f"update public.courses set {assignments(change.fields)} where id = %(id)s "
            "and (%(revision)s::integer is null or revision = %(revision)s) "
            f"returning {COURSE_COLUMNS}",
            {**change.fields, "id": change.target, "revision": change.revision},
        )
        row = await cur.fetchone()
        if row is None:
            current = await _owned(conn, change.target)
            if current is None:
                raise course_not_found()
            raise edit_conflict("course", course_json(current))
    return JSONResponse(course_json(row), headers={"ETag": etag(row["revision"])})


async def delete_course(request: Request) -> JSONResponse:
    """`DELETE /api/courses/{id}`: the course and its lessons; their videos are deleted at Mux
    (now, or by the worker's retries)."""
    claims = await required_claims(request)
    course_id = path_uuid(request, "course_id", course_not_found())
    db: Database = request.app.state.database
    async with db.user_session(claims) as conn:
        cur = await conn.execute(
            "select id from public.lessons where course_id = %s and public.is_course_owner(%s)",
            (course_id, course_id),
        )
        lessons = [row["id"] for row in await cur.fetchall()]
        cur = await conn.execute(
            "delete from public.courses where id = %s returning id", (course_id,)
        )
        if await cur.fetchone() is None:
            raise course_not_found()
        await act_as_service(conn)  # the outbox is the service's: count what was scheduled
        cur = await conn.execute(
            "select count(*) as n from public.mux_cleanups "
            "where lesson_id = any(%s) and state = 'pending'",
            (lessons,),
        )
        scheduled = (await cur.fetchone() or {"n": 0})["n"]
    log.info(
        "course deleted",
        extra={"course_id": str(course_id), "lessons": len(lessons), "mux_cleanups": scheduled},
    )
    return JSONResponse(
        {
            "courseId": str(course_id),
            "deleted": True,
            "lessonsDeleted": len(lessons),
            "muxCleanupsScheduled": scheduled,
        },
        background=clean_up_now(request, lessons),
    )
