"""A learner's progress: `PUT /api/lessons/{id}/progress` stores how far into a lesson's video
the signed-in caller got and whether they finished it (their own row of `lesson_progress`).

As every route, it runs as the caller: a lesson the caller may not see is 404, whether it
exists or not (the insert selects the lesson under RLS, and the table's own policies check it
again), so progress is never recorded for what the caller could not watch.
"""

from __future__ import annotations

import math
from typing import Any

import psycopg
from starlette.requests import Request
from starlette.responses import JSONResponse

from service.database.pool import Database
from service.read_model.to_json import progress_json
from service.request.body import invalid_field, json_object, only_fields
from service.request.caller import required_claims
from service.request.paths import lesson_not_found, path_uuid

BODY_LIMIT = 1024
MAX_POSITION_SECONDS = 86400.0  # the table's own bound; Mux's longest asset is 12 hours

_UPSERT = """
insert into public.lesson_progress (user_id, lesson_id, position_seconds, completed)
select (select auth.uid()), l.id, %(position)s, %(completed)s
from public.lessons l where l.id = %(lesson)s
on conflict (user_id, lesson_id) do update
  set position_seconds = excluded.position_seconds, completed = excluded.completed,
      updated_at = now()
returning lesson_id, position_seconds, completed, updated_at
"""


def progress_fields(body: dict[str, Any]) -> tuple[float, bool]:
    """`positionSeconds` (a number of seconds, 0 to 86,400) and `completed` (a boolean), both
    required; anything else is refused by name."""
    only_fields(body, ("positionSeconds", "completed"))
    position = body.get("positionSeconds")
    if position is None:
        raise invalid_field("positionSeconds", "positionSeconds is required.")
    if isinstance(position, bool) or not isinstance(position, (int, float)):
        raise invalid_field("positionSeconds", "positionSeconds must be a number of seconds.")
    if not math.isfinite(position) or not 0 <= position <= MAX_POSITION_SECONDS:
        raise invalid_field(
            "positionSeconds",
            f"positionSeconds must be between 0 and {MAX_POSITION_SECONDS:.0f} seconds.",
        )
    completed = body.get("completed")
    if completed is None:
        raise invalid_field("completed", "completed is required.")
    if not isinstance(completed, bool):
        raise invalid_field("completed", "completed must be true or false.")
    return float(position), completed


async def put_progress(request: Request) -> JSONResponse:
    """`PUT /api/lessons/{id}/progress` `{positionSeconds, completed}`: 200 with what is stored."""
    claims = await required_claims(request)
    lesson_id = path_uuid(request, "lesson_id", lesson_not_found())
    position, completed = progress_fields(await json_object(request, BODY_LIMIT))
    db: Database = request.app.state.database
    try:
        async with db.user_session(claims) as conn:
            cur = await conn.execute(
                _UPSERT, {"position": position, "completed": completed, "lesson": lesson_id}
            )
            row = await cur.fetchone()
    except psycopg.errors.InsufficientPrivilege as exc:
        raise lesson_not_found() from exc  # the lesson was hidden between the select and the check
    if row is None:
        raise lesson_not_found()
    return JSONResponse(
        {
            "lessonId": str(lesson_id),
            **(progress_json(row) or {}),
            "updatedAt": row["updated_at"].isoformat(),
        }
    )
