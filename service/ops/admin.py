"""The operator status page: `/admin` (HTML), `/admin/stream` (SSE), event replay, and the
Mux cleanup outbox (retry a failed or dead cleanup now). Who may use it is `access`.
"""

from __future__ import annotations

import asyncio
import html
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)

from service.database.pool import Database
from service.errors import ApiError
from service.ingest import events
from service.live.hub import ALL_LESSONS, RESYNC, LiveHub
from service.live.sse import SHUTTING_DOWN, SSE_HEADERS, end_event, sse
from service.mux import cleanup
from service.ops.access import (
    COOKIE,
    SESSION_SECONDS,
    authorized,
    csrf_token,
    new_session,
    require_admin,
    require_csrf,
    token_matches,
)
from service.ops.shutdown import GracefulShutdown
from service.request.paths import path_bigint, path_text
from service.settings import Settings

PAGE = (Path(__file__).parent / "static" / "admin.html").read_text(encoding="utf-8")
INBOX_REFRESH_SECONDS = 1.0
LOGIN_PAGE = """<!doctype html><meta charset="utf-8"><title>mux-lessons status</title>
<form method="get" action="/admin" style="font:16px system-ui;margin:4em auto;width:20em">
<p>Operator token</p><input name="token" type="password" autofocus style="width:100%">
<p><button>Open status page</button></p></form>"""

_LESSONS_QUERY = """
select l.id, l.title, c.title as course, l.video_version, l.status::text as status,
       l.mux_playback_id, l.playback_policy, l.duration_seconds, l.aspect_ratio, l.video_error,
       l.status_changed_at
from public.lessons l join public.courses c on c.id = l.course_id
order by l.status_changed_at desc
limit 100
"""


async def admin_page(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    if not settings.admin_token:
        raise ApiError(404, "admin_disabled", "The status page is off: set ADMIN_TOKEN.")
    query_token = request.query_params.get("token")
    if query_token is not None:
        if not token_matches(settings, query_token):
            return HTMLResponse(LOGIN_PAGE, status_code=401)
        redirect = RedirectResponse("/admin", status_code=303)
        redirect.set_cookie(
            COOKIE,
            new_session(settings.admin_token),
            max_age=SESSION_SECONDS,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/admin",
        )
        return redirect
    if not authorized(request, settings):
        return HTMLResponse(LOGIN_PAGE, status_code=401)
    session = request.cookies.get(COOKIE, "")
    page = PAGE.replace("{{csrf_token}}", html.escape(csrf_token(settings.admin_token, session)), 1)
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})


async def _snapshot(db: Database) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return await db.call_all(_LESSONS_QUERY), await events.list_events(db, limit=50)


async def _latest_cleanups(db: Database) -> list[dict[str, Any]]:
    return await cleanup.list_cleanups(db, limit=50)


async def admin_stream(request: Request) -> StreamingResponse:
    require_admin(request)
    db: Database = request.app.state.database
    hub: LiveHub = request.app.state.live
    shutdown: GracefulShutdown = request.app.state.shutdown

    async def body() -> AsyncIterator[str]:
        with hub.subscribe(ALL_LESSONS) as queue:
            lessons, recent = await _snapshot(db)
            cleanups = await _latest_cleanups(db)
            yield "retry: 3000\n\n"
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
                    else:
                        yield sse(change, event="lesson")
                except TimeoutError:
                    yield ": heartbeat\n\n"
                recent = await events.list_events(db, limit=50)
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
    result = await events.replay(request.app.state.database, event_id, settings.mux_playback_policy)
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
    row = await cleanup.replay(request.app.state.database, cleanup_id)
    if row is None:
        raise not_found
    return JSONResponse({"cleanupId": row["id"], "state": row["state"]})
