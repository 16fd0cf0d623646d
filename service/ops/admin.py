"""The operator status page: `/admin` (HTML), `/admin/stream` (SSE), event replay, and the
Mux cleanup outbox (retry a failed or dead cleanup now).

Protected by ADMIN_TOKEN, compared in constant time, presented as `Authorization: Bearer`
(scripts) or once as `/admin?token=...` (the login form), which sets a session cookie and
redirects to a URL without the token. The cookie is never the token itself: it is a session
value signed with a key derived from ADMIN_TOKEN (expires after SESSION_SECONDS; changing
ADMIN_TOKEN ends every session), HttpOnly, SameSite=Strict, and Secure when served over
https. Replay changes state, so a cookie-authenticated replay must also carry the page's
CSRF token (`X-CSRF-Token`, derived from the session) and come from the page's own origin:
SameSite alone lets a page on another port of the same host through.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import json
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
from service.ingest import inbox
from service.live.hub import ALL_LESSONS, RESYNC, LiveHub
from service.live.sse import SHUTTING_DOWN, SSE_HEADERS, end_event, sse
from service.mux import cleanup
from service.ops.shutdown import GracefulShutdown
from service.settings import Settings

COOKIE = "mux_lessons_admin"
SESSION_SECONDS = 12 * 3600
CSRF_HEADER = "x-csrf-token"
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


def _key(admin_token: str) -> bytes:
    return hashlib.sha256(b"mux-lessons admin session\0" + admin_token.encode()).digest()


def _mac(admin_token: str, purpose: str, value: str) -> str:
    return hmac.new(_key(admin_token), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def new_session(admin_token: str, now: float | None = None) -> str:
    """`<expiry>.<nonce>.<mac>`: proves a login without containing the token."""
    expiry = int((time.time() if now is None else now) + SESSION_SECONDS)
    body = f"{expiry}.{secrets.token_urlsafe(16)}"
    return f"{body}.{_mac(admin_token, 'session', body)}"


def valid_session(admin_token: str, session: str | None, now: float | None = None) -> bool:
    if not session or session.count(".") != 2:
        return False
    body, _, mac = session.rpartition(".")
    if not hmac.compare_digest(mac.encode(), _mac(admin_token, "session", body).encode()):
        return False
    expiry = body.partition(".")[0]
    return expiry.isascii() and expiry.isdigit() and int(expiry) > (now or time.time())


def csrf_token(admin_token: str, session: str) -> str:
    return _mac(admin_token, "csrf", session)


def _token_matches(settings: Settings, presented: str | None) -> bool:
    if not settings.admin_token or presented is None:
        return False
    return hmac.compare_digest(
        hashlib.sha256(presented.encode()).digest(),
        hashlib.sha256(settings.admin_token.encode()).digest(),
    )


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _authorized(request: Request, settings: Settings) -> bool:
    """Bearer ADMIN_TOKEN, or a valid session cookie."""
    bearer = _bearer(request)
    if bearer is not None:
        return _token_matches(settings, bearer)
    assert settings.admin_token
    return valid_session(settings.admin_token, request.cookies.get(COOKIE))


def _require_admin(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    if not settings.admin_token:
        raise ApiError(404, "admin_disabled", "The status page is off: set ADMIN_TOKEN.")
    if not _authorized(request, settings):
        raise ApiError(401, "admin_unauthorized", "A valid operator token is required.")
    return settings


def _foreign_origin(request: Request) -> bool:
    """An `Origin` naming another host or port than the one this request was sent to. The
    scheme is not compared: behind a TLS-terminating proxy the service sees http."""
    origin = request.headers.get("origin")
    return origin is not None and urlsplit(origin).netloc != request.headers.get("host")


def _require_csrf(request: Request, settings: Settings) -> None:
    """A state change made with the session cookie must come from the status page itself."""
    if _bearer(request) is not None:
        return  # browsers never add Authorization on their own: not forgeable cross-site
    assert settings.admin_token
    presented = request.headers.get(CSRF_HEADER, "")
    expected = csrf_token(settings.admin_token, request.cookies.get(COOKIE, ""))
    if _foreign_origin(request) or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise ApiError(403, "csrf_failed", "Replay must come from the status page itself.")


async def admin_page(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    if not settings.admin_token:
        raise ApiError(404, "admin_disabled", "The status page is off: set ADMIN_TOKEN.")
    query_token = request.query_params.get("token")
    if query_token is not None:
        if not _token_matches(settings, query_token):
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
    if not _authorized(request, settings):
        return HTMLResponse(LOGIN_PAGE, status_code=401)
    session = request.cookies.get(COOKIE, "")
    page = PAGE.replace("{{csrf_token}}", html.escape(csrf_token(settings.admin_token, session)), 1)
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})


async def _snapshot(db: Database) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return await db.call_all(_LESSONS_QUERY), await inbox.list_events(db, limit=50)


async def _latest_cleanups(db: Database) -> list[dict[str, Any]]:
    return await cleanup.list_cleanups(db, limit=50)


async def admin_stream(request: Request) -> StreamingResponse:
    _require_admin(request)
    db: Database = request.app.state.database
    hub: LiveHub = request.app.state.live
    shutdown: GracefulShutdown = request.app.state.shutdown

    async def body() -> AsyncIterator[str]:
        with hub.subscribe(ALL_LESSONS) as queue:
            lessons, events = await _snapshot(db)
            cleanups = await _latest_cleanups(db)
            yield "retry: 3000\n\n"
            yield sse(
                {"lessons": lessons, "events": events, "cleanups": cleanups}, event="snapshot"
            )
            shown = json.dumps(events, default=str)
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
                events = await inbox.list_events(db, limit=50)
                latest = json.dumps(events, default=str)
                if latest != shown:
                    shown = latest
                    yield sse({"events": events}, event="events")
                cleanups = await _latest_cleanups(db)
                latest = json.dumps(cleanups, default=str)
                if latest != shown_cleanups:
                    shown_cleanups = latest
                    yield sse({"cleanups": cleanups}, event="cleanups")
            yield end_event(SHUTTING_DOWN)  # within INBOX_REFRESH_SECONDS of the signal

    return StreamingResponse(body(), media_type="text/event-stream", headers=SSE_HEADERS)


async def replay_event(request: Request) -> JSONResponse:
    settings = _require_admin(request)
    _require_csrf(request, settings)
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


async def replay_cleanup(request: Request) -> JSONResponse:
    """`POST /admin/cleanups/{id}/replay`: a failed or dead cleanup is due again now (the
    worker carries it out on its next pass). Changes state: CSRF-checked like event replay."""
    settings = _require_admin(request)
    _require_csrf(request, settings)
    raw = request.path_params["cleanup_id"]
    row = await cleanup.replay(request.app.state.database, int(raw)) if raw.isdigit() else None
    if row is None:
        raise ApiError(404, "cleanup_not_found", "No failed or dead cleanup with that id.")
    return JSONResponse({"cleanupId": row["id"], "state": row["state"]})
