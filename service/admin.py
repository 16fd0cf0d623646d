"""The operator status page: `/admin` (HTML), `/admin/stream` (SSE), event replay.

Protected by ADMIN_TOKEN, compared in constant time. Visiting `/admin?token=...` once sets an
HttpOnly, SameSite=Strict cookie and redirects to a URL without the token, so the page's own
requests (EventSource, replay) carry it without exposing it in links or logs.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
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

from service import inbox
from service.db import Database
from service.errors import ApiError
from service.live import ALL_LESSONS, RESYNC, LiveHub
from service.live_status import SSE_HEADERS, sse
from service.settings import Settings

COOKIE = "mux_lessons_admin"
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


def _presented_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        return token.strip()
    return request.cookies.get(COOKIE)


def _authorized(settings: Settings, presented: str | None) -> bool:
    if not settings.admin_token or presented is None:
        return False
    return hmac.compare_digest(
        hashlib.sha256(presented.encode()).digest(),
        hashlib.sha256(settings.admin_token.encode()).digest(),
    )


def _require_admin(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    if not settings.admin_token:
        raise ApiError(404, "admin_disabled", "The status page is off: set ADMIN_TOKEN.")
    if not _authorized(settings, _presented_token(request)):
        raise ApiError(401, "admin_unauthorized", "A valid operator token is required.")
    return settings


async def admin_page(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    if not settings.admin_token:
        raise ApiError(404, "admin_disabled", "The status page is off: set ADMIN_TOKEN.")
    query_token = request.query_params.get("token")
    if query_token is not None:
        if not _authorized(settings, query_token):
            return HTMLResponse(LOGIN_PAGE, status_code=401)
        redirect = RedirectResponse("/admin", status_code=303)
        redirect.set_cookie(COOKIE, query_token, httponly=True, samesite="strict", path="/admin")
        return redirect
    if not _authorized(settings, _presented_token(request)):
        return HTMLResponse(LOGIN_PAGE, status_code=401)
    return HTMLResponse(PAGE, headers={"Cache-Control": "no-store"})


async def _snapshot(db: Database) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return await db.call_all(_LESSONS_QUERY), await inbox.list_events(db, limit=50)


async def admin_stream(request: Request) -> StreamingResponse:
    _require_admin(request)
    db: Database = request.app.state.database
    hub: LiveHub = request.app.state.live

    async def body() -> AsyncIterator[str]:
        with hub.subscribe(ALL_LESSONS) as queue:
            lessons, events = await _snapshot(db)
            yield "retry: 3000\n\n"
            yield sse({"lessons": lessons, "events": events}, event="snapshot")
            shown = json.dumps(events, default=str)
            while True:
                try:
                    change = await asyncio.wait_for(queue.get(), timeout=INBOX_REFRESH_SECONDS)
                    if change is RESYNC:
                        lessons, _ = await _snapshot(db)
                        yield sse({"lessons": lessons}, event="lessons")
                    else:
                        yield sse(change, event="lesson")
                except TimeoutError:
                    yield ": heartbeat\n\n"
                events = await inbox.list_events(db, limit=50)
                latest = json.dumps(events, default=str)
                if latest != shown:
                    shown = latest
                    yield sse({"events": events}, event="events")

    return StreamingResponse(body(), media_type="text/event-stream", headers=SSE_HEADERS)


async def replay_event(request: Request) -> JSONResponse:
    settings = _require_admin(request)
    result = await inbox.replay(
        request.app.state.database, request.path_params["event_id"], settings.mux_playback_policy
    )
    if result is None:
        raise ApiError(404, "event_not_found", "No such event in the inbox.")
    return JSONResponse(
        {
            "eventId": result.event_id,
            "state": result.state,
            "attempts": result.attempts,
            "error": result.error,
        }
    )
