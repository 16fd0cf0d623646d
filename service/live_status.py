"""`GET /api/lessons/{id}/events`: a lesson's video state as Server-Sent Events.

The current state first, then every change as it commits, a heartbeat comment every 15 s.
Event ids are the lesson's `video_version`, so a reconnecting `EventSource` (Last-Event-ID)
is not sent a state it already has. Visibility is the same as `GET .../video` (RLS), and it
is decided again, as the caller, on every change (`viewer_access.visible_to`): what is sent
is what the caller may read at that moment. The stream ends with an `end` event saying why
(`not_visible`, `token_expired`) as soon as the lesson is no longer visible to the caller or
the caller's token expires. The token may come as `?access_token=` because `EventSource`
cannot send headers.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import StreamingResponse

from service.auth import AuthError, TokenVerifier
from service.author_api import caller_claims, lesson_not_found
from service.db import Database
from service.lesson_video import video_json
from service.live import LiveHub
from service.settings import Settings
from service.viewer_access import expires_at, viewer_key, visible_to

HEARTBEAT_SECONDS = 15.0
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def _json_default(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def sse(data: dict[str, Any], *, event: str, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, default=_json_default)}\n\n"


_EVENT_ID = re.compile(r"[0-9]{1,18}")


def last_event_id(request: Request) -> int:
    """The version the reconnecting client has; anything but a plain number is ignored."""
    raw = request.headers.get("last-event-id", "").strip()
    return int(raw) if _EVENT_ID.fullmatch(raw) else -1


def end_event(reason: str) -> str:
    return sse({"reason": reason}, event="end")


async def stream_changes(
    queue: asyncio.Queue[dict[str, Any]],
    reread: Callable[[], Awaitable[dict[str, Any] | None]],
    first: dict[str, Any] | None,
    render: Callable[[dict[str, Any]], str],
    *,
    sent_version: int,
    expires: float | None = None,
    heartbeat: float = HEARTBEAT_SECONDS,
) -> AsyncIterator[str]:
    """Render `first`, then on each change (or resync) re-read the lesson as the caller and
    render it if newer, with heartbeats in between. Ends with an `end` event when the re-read
    finds nothing (no longer visible) or when `expires` (epoch seconds) has passed."""
    yield "retry: 3000\n\n"
    pending = first
    while True:
        if pending is not None and pending["video_version"] > sent_version:
            sent_version = pending["video_version"]
            yield render(pending)
        wait = heartbeat if expires is None else min(heartbeat, expires - time.time())
        if wait <= 0:
            yield end_event("token_expired")
            return
        try:
            await asyncio.wait_for(queue.get(), timeout=wait)
        except TimeoutError:
            pending = None
            if expires is None or time.time() < expires:
                yield ": heartbeat\n\n"
            continue
        if expires is not None and time.time() >= expires:
            yield end_event("token_expired")
            return
        pending = await reread()  # what changed is never sent as is: only what the caller may read
        if pending is None:
            yield end_event("not_visible")
            return


async def lesson_events(request: Request) -> StreamingResponse:
    settings: Settings = request.app.state.settings
    db: Database = request.app.state.database
    hub: LiveHub = request.app.state.live
    try:
        lesson_id = uuid.UUID(request.path_params["lesson_id"])
    except ValueError as exc:
        raise lesson_not_found() from exc
    claims = await _claims(request)
    viewer = viewer_key(claims)

    async def reread() -> dict[str, Any] | None:
        return (await visible_to(db, lesson_id, [claims]))[viewer]

    current = await reread()
    if current is None:
        raise lesson_not_found()

    def render(row: dict[str, Any]) -> str:
        return sse(video_json(row, settings), event="video", event_id=row["video_version"])

    async def body() -> AsyncIterator[str]:
        # Subscribing here ties the subscription's life to the stream's; re-reading after
        # subscribing catches any change made since the visibility check above.
        with hub.subscribe(lesson_id) as queue:
            latest = await reread()
            if latest is None:
                yield end_event("not_visible")
                return
            async for chunk in stream_changes(
                queue,
                reread,
                latest,
                render,
                sent_version=last_event_id(request),
                expires=expires_at(claims),
            ):
                yield chunk

    return StreamingResponse(body(), media_type="text/event-stream", headers=SSE_HEADERS)


async def _claims(request: Request) -> dict[str, Any] | None:
    token = request.query_params.get("access_token")
    if token is None:
        return await caller_claims(request, required=False)
    if request.headers.get("authorization"):
        raise AuthError("invalid_token", "Send the access token once, in the header or the query.")
    verifier: TokenVerifier = request.app.state.verifier
    return await verifier.verify(token)
