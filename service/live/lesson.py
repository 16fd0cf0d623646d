"""`GET /api/lessons/{id}/events`: a lesson's video state as Server-Sent Events.

The current state first, then every change as it commits, a heartbeat comment every 15 s.
Event ids are the lesson's `video_version`, so a reconnecting `EventSource` (Last-Event-ID)
is not sent a state it already has. Visibility is the same as `GET .../video` (RLS), and it
is decided again, as the caller, on every change (`watchers`, one statement for all viewers
of the lesson): what is sent is what the caller may read at that moment. The stream ends
with an `end` event saying why (`not_visible`, `token_expired`, `unavailable`) as soon as
the lesson is no longer visible to the caller, the caller's token expires, or visibility
cannot be decided. The token may come as `?access_token=` because `EventSource` cannot send
headers. `retry:` is jittered, so clients dropped together do not come back together.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import StreamingResponse

from service.live.sse import (
    event_stream,
    last_event_id,
    open_stream,
    rendered_once,
    sse,
    stream_changes,
)
from service.live.visibility import Row, expires_at
from service.live.watchers import Watchers
from service.read_model.to_json import video_json
from service.request.caller import stream_claims
from service.request.paths import lesson_not_found, path_uuid
from service.settings import Settings


async def lesson_events(request: Request) -> StreamingResponse:
    settings: Settings = request.app.state.settings
    watchers: Watchers = request.app.state.watchers
    lesson_id = path_uuid(request, "lesson_id", lesson_not_found())
    claims = await stream_claims(request)
    watch, done, current = await open_stream(
        request,
        claims,
        lambda w: w.watch_lesson(lesson_id, claims),
        lambda: watchers.lesson_view(lesson_id, claims),
        lesson_not_found(),
    )

    def render(row: Row) -> str:
        return rendered_once(
            row,
            lambda: sse(video_json(row, settings), event="video", event_id=row["video_version"]),
        )

    chunks = stream_changes(
        watch.queue,
        current,
        render,
        sent_version=last_event_id(request),
        expires=expires_at(claims),
    )
    return event_stream(chunks, done)
