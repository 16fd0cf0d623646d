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

import uuid

from starlette.requests import Request
from starlette.responses import StreamingResponse

from service.live.sse import NewerVersions, last_event_id, rendered_once, respond, sse
from service.live.visibility import Claims, Row
from service.live.watchers import Watchers
from service.read_model.to_json import video_json
from service.request.caller import stream_claims
from service.request.paths import lesson_not_found, path_uuid
from service.settings import Settings


class LessonView(NewerVersions):
    """One lesson's video as the caller may see it: read once the stream is joined, then each
    version newer than the client has. (The watchers decide the lesson again for every change,
    and end the stream when the caller may no longer see it.)"""

    def __init__(
        self,
        watchers: Watchers,
        lesson_id: uuid.UUID,
        claims: Claims | None,
        settings: Settings,
        sent_version: int,
    ) -> None:
        super().__init__(self._render, sent_version)
        self.watchers = watchers
        self.lesson_id = lesson_id
        self.claims = claims
        self.settings = settings

    async def read(self) -> list[Row] | None:
        row = await self.watchers.lesson_view(self.lesson_id, self.claims)
        return None if row is None else [row]

    def _render(self, row: Row) -> str:
        return rendered_once(
            row,
            lambda: sse(
                video_json(row, self.settings), event="video", event_id=row["video_version"]
            ),
        )


async def lesson_events(request: Request) -> StreamingResponse:
    lesson_id = path_uuid(request, "lesson_id", lesson_not_found())
    claims = await stream_claims(request)
    view = LessonView(
        request.app.state.watchers,
        lesson_id,
        claims,
        request.app.state.settings,
        last_event_id(request),
    )
    return await respond(
        request, claims, lambda w: w.watch_lesson(lesson_id, claims), view, lesson_not_found()
    )
