"""`GET /api/me/events`: every video change of every lesson the caller owns, on one Server-Sent
Events connection (an author's notifications, on any page of the app).

Events:
- `lessons` `{lessons: [{lessonId, courseId, title, revision, status, videoVersion, visibility,
  courseVisibility}]}`: every lesson the caller owns, first (and again after the service lost
  track of changes).
- `video`: a lesson's video JSON with its `courseId`, `title`, `revision`, `videoVersion`,
  `visibility`, `courseVisibility` and `visibleToLearners` (public, in a public course, video
  published), whenever it changes: created, uploading, processing, published, errored,
  removed (back to draft)... or its or its course's visibility, its title or its description
  changes (same `videoVersion` then; `revision` counts the text edits).
- `course`: one of the caller's courses (the author's course JSON, without lessons) whenever
  its row changes: renamed, described, published or made draft.
- `removed` `{lessonId}`: a lesson deleted, or no longer the caller's.
- `end` `{reason}`: `token_expired`, `unavailable`, `shutting_down`; the stream then ends.

Signed-in callers only (401 `missing_token` otherwise). Changes reach the stream by the owner
their notification names, and are decided again as the caller (RLS), so nothing about a lesson
the caller no longer owns is sent. Resuming follows per-lesson versions (`versions`): a
reconnecting `EventSource` is sent a `video` event for each lesson that changed meanwhile,
`removed` for each that went, and nothing it already had. The same limits as every stream
apply (`LIVE_MAX_STREAMS`, `LIVE_MAX_STREAMS_PER_USER`).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import StreamingResponse

from service.database.pool import Database
from service.errors import ApiError
from service.live.sse import end_event, event_stream, open_stream, retry_hint, sse
from service.live.versions import known_versions, prefix, versions_id
from service.live.visibility import Claims, Row, expires_at
from service.live.watchers import (
    CourseChanged,
    Ended,
    Heartbeat,
    Hidden,
    StreamQueue,
    stream_items,
)
from service.read_model.queries import VIDEO_COLUMNS
from service.read_model.to_json import course_json, video_json
from service.request.auth import AuthError
from service.request.caller import stream_claims
from service.settings import Settings

_OWNED = f"""
select {VIDEO_COLUMNS} from public.lessons
join public.courses on courses.id = lessons.course_id
where courses.owner_id = (select auth.uid())
order by lessons.course_id, lessons.position
"""


_NEVER = ApiError(404, "not_found", "Nothing to follow.")  # the snapshot is never missing


async def owned_lessons(db: Database, claims: Claims) -> list[Row]:
    async with db.user_session(claims) as conn:
        return await (await conn.execute(_OWNED)).fetchall()


class AuthorView:
    """What one author stream has shown its client, and the SSE text for what changes."""

    def __init__(self, settings: Settings, known: dict[str, int] | None) -> None:
        """`known`: the versions a reconnecting client had (Last-Event-ID); None for a client
        that has just arrived (the listing is all it needs: it has nothing to catch up on)."""
        self.settings = settings
        self.known = known
        self.versions: dict[uuid.UUID, int] = {}  # what the client has, lesson by lesson
        self.shown: dict[uuid.UUID, tuple[Any, ...]] = {}  # and their visibility and title
        self.synced = False

    def _had(self, row: Row) -> int | None:
        if self.synced:
            return self.versions.get(row["id"])
        if self.known is None:
            return int(row["video_version"])
        return self.known.get(prefix(row["id"]))

    def reset(self, rows: list[Row]) -> list[str]:
        """A whole snapshot: the listing (the set of lessons), then a `video` event for each
        lesson that changed since the client last heard of it."""
        changed: list[Row] = []
        versions: dict[uuid.UUID, int] = {}
        for row in rows:
            had = self._had(row)
            if had is not None:
                versions[row["id"]] = min(had, row["video_version"])
            if had is None or row["video_version"] > had:
                changed.append(row)
        self.versions, self.known, self.synced = versions, None, True
        self.shown = {row["id"]: _shown(row) for row in rows}
        listing = sse(
            {
                "lessons": [
                    {
                        "lessonId": str(row["id"]),
                        "courseId": str(row["course_id"]),
                        "title": row["title"],
                        "revision": row["revision"],
                        "status": row["status"],
                        "videoVersion": row["video_version"],
                        "visibility": row["visibility"],
                        "courseVisibility": row["course_visibility"],
                    }
                    for row in rows
                ]
            },
            event="lessons",
            event_id=versions_id(self.versions),
        )
        return [listing, *(self.video(row) for row in changed)]

    def video(self, row: Row) -> str:
        self.versions[row["id"]] = row["video_version"]
        self.shown[row["id"]] = _shown(row)
        payload: dict[str, Any] = {
            **video_json(row, self.settings),
            "courseId": str(row["course_id"]),
            "title": row["title"],
            "revision": row["revision"],
            "videoVersion": row["video_version"],
            "visibility": row["visibility"],
            "courseVisibility": row["course_visibility"],
            "visibleToLearners": bool(row["visible_to_learners"]),
        }
        return sse(payload, event="video", event_id=versions_id(self.versions))

    def changed(self, row: Row) -> list[str]:
        """A change to one of the caller's lessons (a new one included), to who may see it, or
        to its title or description (an open lesson page shows them); moves that leave the rest
        as it was are not news here."""
        if row["video_version"] > self.versions.get(row["id"], -1) or (
            row["id"] in self.versions and self.shown.get(row["id"]) != _shown(row)
        ):
            return [self.video(row)]
        return []

    def removed(self, lesson: uuid.UUID) -> list[str]:
        self.shown.pop(lesson, None)
        if self.versions.pop(lesson, None) is None:
            return []
        return [
            sse({"lessonId": str(lesson)}, event="removed", event_id=versions_id(self.versions))
        ]


def _shown(row: Row) -> tuple[Any, ...]:
    """What a `video` event shows besides the video: sent again when it changes (`revision`
    counts edits of the title and the description: an open lesson page reads them again)."""
    return row["visibility"], row["course_visibility"], row["title"], row["revision"]


async def author_events(request: Request) -> StreamingResponse:
    settings: Settings = request.app.state.settings
    db: Database = request.app.state.database
    claims = await stream_claims(request)
    if claims is None:
        raise AuthError("missing_token", "Sign in: your notifications need an access token.")
    owner = uuid.UUID(str(claims["sub"]))

    async def first() -> tuple[list[Row]]:
        return (await owned_lessons(db, claims),)

    watch, done, (rows,) = await open_stream(
        request, claims, lambda w: w.watch_owner(owner, claims), first, _NEVER
    )
    resuming = bool(request.headers.get("last-event-id", "").strip())
    view = AuthorView(settings, known_versions(request) if resuming else None)
    return event_stream(follow_owner(db, claims, watch.queue, view, rows), done)


async def follow_owner(
    db: Database, claims: Claims, queue: StreamQueue, view: AuthorView, rows: list[Row]
) -> AsyncIterator[str]:
    yield retry_hint()
    for chunk in view.reset(rows):
        yield chunk
    async for item in stream_items(queue, expires_at(claims)):
        chunks: list[str] = []
        if isinstance(item, Heartbeat):
            chunks = [": heartbeat\n\n"]
        elif isinstance(item, Ended):
            chunks = [end_event(item.reason)]
        elif isinstance(item, dict):
            chunks = view.changed(item)
        elif isinstance(item, CourseChanged):
            chunks = [sse(course_json(item.row), event="course")]
        elif isinstance(item, Hidden):
            chunks = view.removed(item.lesson_id)
        else:  # Resync: changes were missed, read it all again
            chunks = view.reset(await owned_lessons(db, claims))
        for chunk in chunks:
            yield chunk
