"""What every live stream shares: Server-Sent Events text, `Last-Event-ID`, the `end` event
and `retry:` hints, admitting a stream and joining its group before its first read, the one
loop that follows a stream's queue until it ends (`follow`), and the streaming response that
releases the stream however it ends. The lesson, course, author and status page streams are
built from these; what the lesson, course and author streams show is each one's `StreamView`.
"""

from __future__ import annotations

import json
import random
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import StreamingResponse

from service.errors import ApiError
from service.live.items import CourseChanged, Ended, Heartbeat, Hidden, StreamQueue, stream_items
from service.live.visibility import Claims, Row, expires_at
from service.request.caller import client_address

if TYPE_CHECKING:  # the app's one `Watchers`, from `request.app.state`
    from service.live.watchers import Watch, Watchers

T = TypeVar("T")
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def _json_default(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def sse(data: dict[str, Any], *, event: str, event_id: int | str | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, default=_json_default)}\n\n"


_EVENT_ID = re.compile(r"[0-9]{1,18}")


def last_event_id(request: Request) -> int:
    """The version the reconnecting client has; anything but a plain number is ignored."""
    raw = request.headers.get("last-event-id", "").strip()
    return int(raw) if _EVENT_ID.fullmatch(raw) else -1


SHUTTING_DOWN = "shutting_down"


def end_event(reason: str) -> str:
    """The stream's last event. A process shutting down first tells clients to come back
    soon (1 to 3 s, spread out): another instance is up, and a plain `EventSource`, which
    ignores `end`, reconnects after `retry` when the connection closes."""
    hint = f"retry: {1000 + random.randint(0, 2000)}\n\n" if reason == SHUTTING_DOWN else ""
    return hint + sse({"reason": reason}, event="end")


_RENDERED = "__sse__"


def rendered_once(row: Row, render: Callable[[], str]) -> str:
    """The row's SSE text, made once: every stream of a viewer is handed the same row object,
    so a change watched by a thousand streams is rendered once, not a thousand times. Not for
    signed playback, whose text carries a short-lived token that must be fresh when sent."""
    if row.get("playback_policy") == "signed":
        return render()
    text = row.get(_RENDERED)
    if not isinstance(text, str):
        text = render()
        row[_RENDERED] = text
    return text


def retry_hint() -> str:
    """Reconnect after 3 to 6 s: spread out, so a restart is not met by every client at once."""
    return f"retry: {3000 + random.randint(0, 3000)}\n\n"


class StreamView:
    """What one stream has shown its client, and the SSE text for each thing its queue brings:
    all that differs between the lesson, course and author streams (`follow` is the loop they
    share). A view that is never sent an item shows nothing for it."""

    async def read(self) -> list[Row] | None:
        """The rows the stream shows now, as its caller may see them: first, and again after
        changes were missed (`Resync`); None when the caller may see nothing (404 at first,
        then `end` `not_visible`)."""
        return []

    def reset(self, rows: list[Row]) -> list[str]:
        """What the client is sent of a whole reading: what it does not have yet."""
        return [chunk for row in rows for chunk in self.changed(row)]

    def changed(self, row: Row) -> list[str]:
        """A lesson's row, as the caller may see it now."""
        return []

    def course_changed(self, row: Row) -> list[str]:
        """The course's own row, as the caller may see it now."""
        return []

    async def hidden(self, lesson: uuid.UUID) -> list[str] | None:
        """A lesson the caller may no longer see; None ends the stream (`not_visible`)."""
        return []


HEARTBEAT_TEXT = ": heartbeat\n\n"


async def follow(
    view: StreamView, queue: StreamQueue, rows: list[Row], expires: float | None
) -> AsyncIterator[str]:
    """The one loop of every stream: `retry:`, what `rows` show, then what `view` makes of each
    item the watchers queue (see `stream_items`), heartbeats as they come, until the stream
    ends with an `end` event saying why."""
    yield retry_hint()
    for chunk in view.reset(rows):
        yield chunk
    async for item in stream_items(queue, expires):
        chunks: list[str] | None
        if isinstance(item, Heartbeat):
            chunks = [HEARTBEAT_TEXT]
        elif isinstance(item, Ended):
            chunks = [end_event(item.reason)]
        elif isinstance(item, dict):
            chunks = view.changed(item)
        elif isinstance(item, CourseChanged):
            chunks = view.course_changed(item.row)
        elif isinstance(item, Hidden):
            chunks = await view.hidden(item.lesson_id)
        else:  # Resync: changes were missed, read it all again
            again = await view.read()
            chunks = None if again is None else view.reset(again)
        if chunks is None:
            yield end_event("not_visible")
            return
        for chunk in chunks:
            yield chunk


class NewerVersions(StreamView):
    """One row's versions: each one newer than the client has, rendered by `render` (the
    lesson stream's view, `live/lesson.py`, reads the row too)."""

    def __init__(self, render: Callable[[Row], str], sent_version: int) -> None:
        self.render = render
        self.sent_version = sent_version

    def changed(self, row: Row) -> list[str]:
        if row["video_version"] <= self.sent_version:
            return []
        self.sent_version = row["video_version"]
        return [self.render(row)]


def stream_changes(
    queue: StreamQueue,
    first: Row,
    render: Callable[[Row], str],
    *,
    sent_version: int,
    expires: float | None = None,
) -> AsyncIterator[str]:
    """Render `first`, then each newer row the watchers decide for this viewer, heartbeats as
    they come; ends with an `end` event saying why (see `stream_items`)."""
    return follow(NewerVersions(render, sent_version), queue, [first], expires)


async def open_stream(
    request: Request,
    claims: Claims | None,
    join: Callable[[Watchers], Watch],
    first: Callable[[], Awaitable[T | None]],
    not_found: ApiError,
) -> tuple[Watch, Callable[[], None], T]:
    """Admit a stream (the limits per process, user, client address and anonymous share:
    `Watchers.admit`, for every stream route alike), join its group, then read what it shows
    first: joined before
    reading, so a change from that moment on reaches its queue too. Returns the watch, its
    one release, and that first view; released on any failure, `not_found` when there is
    nothing the caller may see."""
    watchers: Watchers = request.app.state.watchers
    release = watchers.admit(claims, client_address(request))
    try:
        watch = join(watchers)
    except BaseException:
        release()
        raise

    def done() -> None:
        watch.close()
        release()

    try:
        view = await first()
    except BaseException:
        done()
        raise
    if view is None:
        done()
        raise not_found
    return watch, done, view


def event_stream(chunks: AsyncIterator[str], done: Callable[[], None]) -> StreamingResponse:
    """The SSE response; `done` runs once, however the stream ends (even if never started)."""

    async def body() -> AsyncIterator[str]:
        try:
            async for chunk in chunks:
                yield chunk
        finally:
            done()

    return StreamingResponse(
        body(), media_type="text/event-stream", headers=SSE_HEADERS, background=BackgroundTask(done)
    )


async def respond(
    request: Request,
    claims: Claims | None,
    join: Callable[[Watchers], Watch],
    view: StreamView,
    not_found: ApiError,
) -> StreamingResponse:
    """A stream route's answer: admitted, joined, `view.read()` first (`not_found` when the
    caller may see nothing), then `view` followed until the stream ends (`open_stream`,
    `follow`, `event_stream`)."""
    watch, done, rows = await open_stream(request, claims, join, view.read, not_found)
    return event_stream(follow(view, watch.queue, rows, expires_at(claims)), done)
