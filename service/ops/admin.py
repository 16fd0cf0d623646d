"""The operator status page: `/admin` (HTML; signing in is a POST of its login form),
`/admin/stream` (SSE), event replay, and the Mux cleanup outbox (retry a failed or dead
cleanup now). Who may use it is `access`; the pages and their security policy are `pages`.
"""

from __future__ import annotations

import asyncio
import html
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse

from service.database.pool import Database
from service.errors import ApiError
from service.ingest import stored_events
from service.live.hub import ALL_LESSONS, RESYNC, LiveHub
from service.live.sse import (
    HEARTBEAT_TEXT,
    SHUTTING_DOWN,
    SSE_HEADERS,
    end_event,
    retry_hint,
    sse,
)
from service.mux import cleanup_outbox
from service.ops.access import (
    COOKIE,
    SESSION_SECONDS,
    authorized,
    csrf_token,
    foreign_origin,
    new_session,
    require_admin,
    require_csrf,
    token_matches,
)
from service.ops.pages import LOGIN_PAGE, STATUS_PAGE
from service.ops.shutdown import GracefulShutdown
from service.request.body import read_body
from service.request.paths import path_bigint, path_text
from service.settings import Settings

INBOX_REFRESH_SECONDS = 1.0
LOGIN_BODY_LIMIT = 4096
WRONG_SIGN_IN = '<p class="error" role="alert">That is not the operator token.</p>'

_LESSON_COLUMNS = """
select l.id, l.title, c.title as course, l.video_version, l.status::text as status,
       l.mux_playback_id, l.playback_policy, l.duration_seconds, l.aspect_ratio, l.video_error,
       l.status_changed_at
from public.lessons l join public.courses c on c.id = l.course_id
"""
_LESSONS_QUERY = f"{_LESSON_COLUMNS} order by l.status_changed_at desc limit 100"
_LESSON_QUERY = f"{_LESSON_COLUMNS} where l.id = %s"


def _enabled(request: Request) -> tuple[Settings, str]:
    """The settings and ADMIN_TOKEN; 404 while there is none (the status page is off)."""
    settings: Settings = request.app.state.settings
    if not settings.admin_token:
        raise ApiError(404, "admin_disabled", "The status page is off: set ADMIN_TOKEN.")
    return settings, settings.admin_token


async def admin_page(request: Request) -> Response:
    """`GET /admin`: the status page when signed in, else the login form. A token in the URL
    is ignored: URLs end up in proxies' logs, so signing in is a POST (`admin_login`)."""
    settings, admin_token = _enabled(request)
    if not authorized(request, settings):
        return LOGIN_PAGE.response(401, message="")
    session = request.cookies.get(COOKIE, "")
    return STATUS_PAGE.response(csrf_token=html.escape(csrf_token(admin_token, session)))


async def admin_login(request: Request) -> Response:
    """`POST /admin` with the login form (`token=...`, form-encoded, from this page itself):
    a session cookie and 303 to `/admin`; the login form again (401) for a wrong token."""
    settings, admin_token = _enabled(request)
    if foreign_origin(request):
        raise ApiError(403, "csrf_failed", "Sign in from the status page itself.")
    content_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise ApiError(
            415, "unsupported_media_type", "Sign in with the login form (a form-encoded token)."
        )
    body = (await read_body(request, LOGIN_BODY_LIMIT)).decode("utf-8", "replace")
    try:
        tokens = parse_qs(body, max_num_fields=4).get("token", [])
    except ValueError:
        tokens = []
    if len(tokens) != 1 or not token_matches(settings, tokens[0]):
        return LOGIN_PAGE.response(401, message=WRONG_SIGN_IN)
    redirect = RedirectResponse("/admin", status_code=303)
    redirect.set_cookie(
        COOKIE,
        new_session(admin_token),
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/admin",
    )
    return redirect


async def _snapshot(db: Database) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return await db.call_all(_LESSONS_QUERY), await stored_events.list_events(db, limit=50)


async def _latest_cleanups(db: Database) -> list[dict[str, Any]]:
    return await cleanup_outbox.list_cleanups(db, limit=50)


async def admin_stream(request: Request) -> StreamingResponse:
    require_admin(request)
    db: Database = request.app.state.database
    hub: LiveHub = request.app.state.live
    shutdown: GracefulShutdown = request.app.state.shutdown

    async def body() -> AsyncIterator[str]:
        with hub.subscribe(ALL_LESSONS) as queue:
            lessons, recent = await _snapshot(db)
            cleanups = await _latest_cleanups(db)
            yield retry_hint()
            yield sse(
                {"lessons": lessons, "events": recent, "cleanups": cleanups}, event="snapshot"
            )
            shown = json.dumps(recent, default=str)
            shown_cleanups = json.dumps(cleanups, default=str)
            while not shutdown.begun:
                try:
                    change = await asyncio.wait_for(queue.get(), timeout=INBOX_REFRESH_SECONDS)
                    if change is RESYNC:
                        lessons, _ = await _snapshot(db)
                        yield sse({"lessons": lessons}, event="lessons")
                    elif change.get("deleted"):
                        yield sse({"id": change["id"], "deleted": True}, event="lesson")
                    else:  # the notification names the lesson: show it as it is now
                        row = await db.call(_LESSON_QUERY, (change["id"],))
                        if row is not None:
                            yield sse(row, event="lesson")
                except TimeoutError:
                    yield HEARTBEAT_TEXT
                recent = await stored_events.list_events(db, limit=50)
                latest = json.dumps(recent, default=str)
                if latest != shown:
                    shown = latest
                    yield sse({"events": recent}, event="events")
                cleanups = await _latest_cleanups(db)
                latest = json.dumps(cleanups, default=str)
                if latest != shown_cleanups:
                    shown_cleanups = latest
                    yield sse({"cleanups": cleanups}, event="cleanups")
            yield end_event(SHUTTING_DOWN)  # within INBOX_REFRESH_SECONDS of the signal

    return StreamingResponse(body(), media_type="text/event-stream", headers=SSE_HEADERS)


async def replay_event(request: Request) -> JSONResponse:
    settings = require_admin(request)
    require_csrf(request, settings)
    not_found = ApiError(404, "event_not_found", "No such event in the inbox.")
    event_id = path_text(request, "event_id", not_found)
    result = await stored_events.replay(
        request.app.state.database, event_id, settings.mux_playback_policy
    )
    if result is None:
        raise not_found
    return JSONResponse(
        {
            "eventId": result.event_id,
            "state": result.state,
            "attempts": result.attempts,
            "error": result.error,
        }
    )


async def replay_cleanup(request: Request) -> JSONResponse:
    """`POST /admin/cleanups/{id}/replay`: a failed or dead cleanup is due again now (the
    worker carries it out on its next pass). Changes state: CSRF-checked like event replay."""
    settings = require_admin(request)
    require_csrf(request, settings)
    not_found = ApiError(404, "cleanup_not_found", "No failed or dead cleanup with that id.")
    cleanup_id = path_bigint(request, "cleanup_id", not_found)
    row = await cleanup_outbox.replay(request.app.state.database, cleanup_id)
    if row is None:
        raise not_found
    return JSONResponse({"cleanupId": row["id"], "state": row["state"]})
