"""A course's lessons: `POST /api/courses/{id}/lessons` (a draft lesson at the end),
`PATCH /api/lessons/{id}` (title, description, visibility) and `DELETE /api/lessons/{id}`.

As the caller, under RLS: a lesson whose course the caller does not own is a 404. A change
names the revision it was made against (`If-Match`, or `revision`); a stale one is 409
`edit_conflict` with the current lesson. Deleting a lesson moves the ones after it up and
deletes its video at Mux (the cleanup outbox, carried out right after answering).
"""

from __future__ import annotations

import logging

import psycopg
from starlette.requests import Request
from starlette.responses import JSONResponse

from service.authoring.cleanup_now import clean_up_now
from service.authoring.fields import BODY_LIMIT, assignments, requested_change, written_fields
from service.database.pool import Database
from service.read_model.queries import LESSON_COLUMNS, visible_lesson
from service.read_model.to_json import lesson_json
from service.request.body import json_object
from service.request.caller import required_claims
from service.request.paths import course_not_found, lesson_not_found, path_uuid
from service.request.revisions import edit_conflict, etag
from service.settings import Settings

log = logging.getLogger(__name__)

_OWNED_LESSON = (
    f"select {LESSON_COLUMNS} from public.lessons "
    "where lessons.id = %s and public.is_course_owner(lessons.course_id)"
)


async def update_lesson(request: Request) -> JSONResponse:
    """`PATCH /api/lessons/{id}` `{title?, description?, visibility?}`: the lesson, or 409
    `edit_conflict` when it was changed since the revision the caller names."""
    change = await requested_change(request, "lesson_id", lesson_not_found())
    settings: Settings = request.app.state.settings
    db: Database = request.app.state.database
    async with db.user_session(change.claims) as conn:
        cur = await conn.execute(
            f"update public.lessons set {assignments(change.fields)} where id = %(id)s "
            "and (%(revision)s::integer is null or revision = %(revision)s) returning id",
            {**change.fields, "id": change.target, "revision": change.revision},
        )
        changed = await cur.fetchone() is not None
        row = await (await conn.execute(_OWNED_LESSON, (change.target,))).fetchone()
    if row is None:
        raise lesson_not_found()
    if not changed:
        raise edit_conflict("lesson", lesson_json(row, settings))
    return JSONResponse(lesson_json(row, settings), headers={"ETag": etag(row["revision"])})


async def delete_lesson(request: Request) -> JSONResponse:
    """`DELETE /api/lessons/{id}`: the lesson, its place in the course, and its video at Mux."""
    claims = await required_claims(request)
    lesson_id = path_uuid(request, "lesson_id", lesson_not_found())
    db: Database = request.app.state.database
    async with db.user_session(claims) as conn:
        cur = await conn.execute(
            "delete from public.lessons where id = %s returning course_id", (lesson_id,)
        )
        row = await cur.fetchone()
    if row is None:
        raise lesson_not_found()
    log.info(
        "lesson deleted", extra={"lesson_id": str(lesson_id), "course_id": str(row["course_id"])}
    )
    return JSONResponse(
        {"lessonId": str(lesson_id), "courseId": str(row["course_id"]), "deleted": True},
        background=clean_up_now(request, [lesson_id]),
    )


async def add_lesson(request: Request) -> JSONResponse:
    """`POST /api/courses/{id}/lessons` `{title, description?}`: a draft lesson at the end."""
    claims = await required_claims(request)
    course_id = path_uuid(request, "course_id", course_not_found())
    fields = written_fields(await json_object(request, BODY_LIMIT), creating=True)
    settings: Settings = request.app.state.settings
    db: Database = request.app.state.database
    try:
        async with db.user_session(claims) as conn:
            cur = await conn.execute(
                "insert into public.lessons (course_id, title, description) "
                "values (%(course)s, %(title)s, %(description)s) returning id",
                {**fields, "course": course_id},
            )
            created = await cur.fetchone()
            assert created is not None
            row = await visible_lesson(conn, created["id"])
    except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ForeignKeyViolation) as exc:
        raise course_not_found() from exc  # not the caller's course (RLS), or no such course
    assert row is not None
    log.info("lesson added", extra={"course_id": str(course_id), "lesson_id": str(row["id"])})
    return JSONResponse(
        lesson_json(row, settings),
        status_code=201,
        headers={"ETag": etag(row["revision"]), "Location": f"/api/lessons/{row['id']}"},
    )
