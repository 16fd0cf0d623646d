"""The author's video: create, attach and cancel uploads, remove a video. (Reading a lesson's
video is `learning.catalog.get_video`.)

Who may touch a lesson is decided by the database: ownership is checked by locking the row
as the caller (`SELECT ... FOR UPDATE` applies the RLS UPDATE policy), so a lesson the caller
may not change is a 404, whether it exists or not. Video columns are then changed by the
service through `mux_attach_upload`, in the same transaction as the check.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

import psycopg
from starlette.requests import Request
from starlette.responses import JSONResponse

from service.authoring.cleanup_now import clean_up_now
from service.database.pool import Connection, Database, act_as_service, act_as_user
from service.errors import ApiError
from service.mux.budget import look_up_upload, take_mux_call
from service.mux.client import MuxClient, MuxError, MuxRejected
from service.read_model.caller_video import caller_video
from service.request.body import id_field, json_object, uuid_field
from service.request.caller import required_claims, uploader_claims
from service.request.paths import lesson_not_found, path_uuid
from service.settings import Settings

log = logging.getLogger(__name__)

BODY_LIMIT = 16 * 1024
UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{1,255}")


async def _owned_lesson(conn: Connection, lesson_id: uuid.UUID) -> dict[str, Any] | None:
    """The lesson if the session's user may change it (RLS UPDATE policy), else None."""
    cur = await conn.execute(
        "select id, mux_upload_id from public.lessons where id = %s for update", (lesson_id,)
    )
    return await cur.fetchone()


async def _attach(
    db: Database, claims: dict[str, Any], lesson_id: uuid.UUID, upload_id: str, policy: str
) -> None:
    """In one transaction: re-check ownership as the caller, then attach as the service."""
    async with db.service_session() as conn:
        # The upload lock comes before the row lock, as in the state machine (no deadlock).
        await conn.execute("select public.mux_lock_upload(%s)", (upload_id,))
        await act_as_user(conn, claims)
        if await _owned_lesson(conn, lesson_id) is None:
            raise lesson_not_found()
        await act_as_service(conn)
        try:
            await conn.execute(
                "select public.mux_attach_upload(%s, %s, %s)", (lesson_id, upload_id, policy)
            )
        except psycopg.errors.UniqueViolation as exc:
            raise ApiError(
                409, "upload_in_use", "That upload already belongs to another lesson."
            ) from exc


def _mux_failure(exc: MuxError) -> ApiError:
    if isinstance(exc, MuxRejected):
        return ApiError(502, "mux_rejected", "Mux refused the request; check the Mux credentials.")
    return ApiError(502, "mux_unavailable", "Mux could not be reached; try again shortly.")


def _upload_cors_origin(request: Request, settings: Settings) -> str:
    """Where the browser will PUT the file from: the caller's origin when it is allowed."""
    origin = request.headers.get("origin")
    if origin and origin in settings.cors_allowed_origins:
        return origin
    return settings.cors_allowed_origins[0] if settings.cors_allowed_origins else "*"


async def create_upload(request: Request) -> JSONResponse:
    """`POST /api/mux/upload {"lessonId"}`: a Mux direct-upload URL, already tied to the lesson."""
    settings: Settings = request.app.state.settings
    db: Database = request.app.state.database
    mux: MuxClient = request.app.state.mux
    claims = await uploader_claims(request)
    lesson_id = uuid_field(await json_object(request, BODY_LIMIT), "lessonId")

    async with db.user_session(claims) as conn:
        if await _owned_lesson(conn, lesson_id) is None:
            raise lesson_not_found()
    await take_mux_call(db, claims["sub"], settings.upload_rate_limit_per_minute)
    try:
        upload = await mux.create_upload(
            passthrough=str(lesson_id),
            cors_origin=_upload_cors_origin(request, settings),
            playback_policy=settings.mux_playback_policy,
            generated_subtitles=settings.mux_generated_subtitles,
            static_renditions=settings.mux_static_renditions,
        )
    except MuxError as exc:
        log.error(
            "Mux upload creation failed", extra={"lesson_id": str(lesson_id), "error": str(exc)}
        )
        raise _mux_failure(exc) from exc
    await _attach(db, claims, lesson_id, upload.id, settings.mux_playback_policy)
    log.info("upload issued", extra={"lesson_id": str(lesson_id), "upload_id": upload.id})
    # The video as it now is (`uploading`): the page shows it at once, whatever its live
    # stream later folds together (a small file can be `processing` before the stream's next
    # message).
    video = await caller_video(db, claims, lesson_id, settings)
    return JSONResponse(
        {
            "uploadId": upload.id,
            "url": upload.url,
            "lessonId": str(lesson_id),
            "status": "uploading",
            "video": video,
        },
        status_code=201,
    )


async def update_upload_id(request: Request) -> JSONResponse:
    """`POST /api/lessons/update-upload-id`: the old flow, where the browser reports the upload."""
    settings: Settings = request.app.state.settings
    db: Database = request.app.state.database
    mux: MuxClient = request.app.state.mux
    claims = await uploader_claims(request)
    body = await json_object(request, BODY_LIMIT)
    lesson_id = uuid_field(body, "lessonId")
    upload_id = id_field(body, "muxUploadId", UPLOAD_ID)

    async with db.user_session(claims) as conn:
        lesson = await _owned_lesson(conn, lesson_id)
    if lesson is None:
        raise lesson_not_found()
    if lesson["mux_upload_id"] != upload_id:
        try:
            upload = await look_up_upload(
                db, mux, claims["sub"], upload_id, settings.upload_rate_limit_per_minute
            )
        except MuxError as exc:
            raise _mux_failure(exc) from exc
        if not upload.found:
            raise ApiError(404, "upload_not_found", "Mux has no such upload.")
        if _names_another_lesson(upload.passthrough, lesson_id):
            raise ApiError(409, "upload_mismatch", "That upload was made for another lesson.")
    await _attach(db, claims, lesson_id, upload_id, settings.mux_playback_policy)
    return JSONResponse(await caller_video(db, claims, lesson_id, settings))


def _names_another_lesson(passthrough: str | None, lesson_id: uuid.UUID) -> bool:
    try:
        return passthrough is not None and uuid.UUID(passthrough) != lesson_id
    except ValueError:
        return False  # a passthrough that is not a lesson id names no lesson


# What the video-changing SQL functions raise when there is nothing to change.
_NOTHING_TO_CHANGE = {
    "ML001": ("no_upload_in_progress", "This lesson has no upload in progress to cancel."),
    "ML002": ("no_video", "This lesson has no video to remove."),
}


async def _change_video(
    db: Database, claims: dict[str, Any], lesson_id: uuid.UUID, function: str
) -> None:
    """In one transaction: check as the caller that they may change the lesson (the RLS
    UPDATE policy's test, without locking the row before the state machine's upload lock),
    then change its video as the service through `function`."""
    async with db.service_session() as conn:
        await act_as_user(conn, claims)
        cur = await conn.execute(
            "select id from public.lessons where id = %s and public.is_course_owner(course_id)",
            (lesson_id,),
        )
        if await cur.fetchone() is None:
            raise lesson_not_found()
        await act_as_service(conn)
        try:
            async with conn.transaction():
                await conn.execute(f"select public.{function}(%s)", (lesson_id,))
        except psycopg.Error as exc:
            known = _NOTHING_TO_CHANGE.get(exc.sqlstate or "")
            if known is None:
                raise
            raise ApiError(409, *known) from exc


async def _changed_video(
    request: Request, function: str, done: str, status_code: int
) -> JSONResponse:
    """Change the caller's lesson's video through `function` (see `_change_video`), log
    `done`, and answer with the video as it now is; what it scheduled at Mux is carried out
    right after answering."""
    claims = await required_claims(request)
    lesson_id = path_uuid(request, "lesson_id", lesson_not_found())
    db: Database = request.app.state.database
    await _change_video(db, claims, lesson_id, function)
    log.info(done, extra={"lesson_id": str(lesson_id)})
    return JSONResponse(
        await caller_video(db, claims, lesson_id, request.app.state.settings),
        status_code=status_code,
        background=clean_up_now(request, [lesson_id]),
    )


async def cancel_upload(request: Request) -> JSONResponse:
    """`DELETE /api/lessons/{id}/upload`: give up the upload in flight; the lesson returns to
    the video it played before (or draft), and the upload is cancelled at Mux."""
    return await _changed_video(request, "mux_cancel_upload", "upload cancelled", 200)


async def remove_video(request: Request) -> JSONResponse:
    """`DELETE /api/lessons/{id}/video`: the lesson is draft at once; its assets are deleted
    at Mux (now, or by the worker's retries)."""
    return await _changed_video(request, "mux_remove_video", "video removed", 202)
