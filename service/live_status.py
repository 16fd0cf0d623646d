"""`GET /api/lessons/{id}/events`: a lesson's video state as Server-Sent Events.

The current state first, then every change as it commits, a heartbeat comment every 15 s.
Event ids are the lesson's `video_version`, so a reconnecting `EventSource` (Last-Event-ID)
is not sent a state it already has. Visibility is the same as `GET .../video` (RLS); the
token may come as `?access_token=` because `EventSource` cannot send headers.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import StreamingResponse

from service.auth import AuthError, TokenVerifier
from service.author_api import caller_claims, lesson_not_found
from service.db import Database
from service.lesson_video import video_json, visible_video
from service.live import RESYNC, LiveHub
from service.settings import Settings

HEARTBEAT_SECONDS = 15.0
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def _json_default(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def sse(data: dict[str, Any], *, event: str, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, default=_json_default)}\n\n"


def last_event_id(request: Request) -> int:
    raw = request.headers.get("last-event-id", "")
    return int(raw) if raw.isdigit() else -1


async def stream_changes(
    queue: asyncio.Queue[dict[str, Any]],
    reread: Callable[[], Awaitable[dict[str, Any] | None]],
    first: dict[str, Any] | None,
    render: Callable[[dict[str, Any]], str],
    *,
    sent_version: int,
    heartbeat: float = HEARTBEAT_SECONDS,
) -> AsyncIterator[str]:
    """Render `first` and then each newer change from `queue`, with heartbeats in between."""
    yield "retry: 3000\n\n"
    pending = first
    while True:
        if pending is not None and pending["video_version"] > sent_version:
            sent_version = pending["video_version"]
            yield render(pending)
        try:
            item = await asyncio.wait_for(queue.get(), timeout=heartbeat)
        except TimeoutError:
            pending = None
            yield ": heartbeat\n\n"
            continue
        pending = await reread() if item is RESYNC else item


async def lesson_events(request: Request) -> StreamingResponse:
    settings: Settings = request.app.state.settings
    db: Database = request.app.state.database
    hub: LiveHub = request.app.state.live
    try:
        lesson_id = uuid.UUID(request.path_params["lesson_id"])
    except ValueError as exc:
        raise lesson_not_found() from exc
    claims = await _claims(request)

    async def reread() -> dict[str, Any] | None:
        async with db.user_session(claims) as conn:
            return await visible_video(conn, lesson_id)

    current = await reread()
    if current is None:
        raise lesson_not_found()

    def render(row: dict[str, Any]) -> str:
        return sse(video_json(row, settings), event="video", event_id=row["video_version"])

    async def body() -> AsyncIterator[str]:
        # Subscribing here ties the subscription's life to the stream's; re-reading after
        # subscribing catches any change made since the visibility check above.
        with hub.subscribe(lesson_id) as queue:
            latest = await reread() or current
            async for chunk in stream_changes(
                queue, reread, latest, render, sent_version=last_event_id(request)
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
