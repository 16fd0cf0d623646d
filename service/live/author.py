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
from typing import Any

from starlette.requests import Request
from starlette.responses import StreamingResponse

from service.database.pool import Database
from service.errors import ApiError
from service.live.sse import StreamView, respond, sse
from service.live.versions import known_versions, prefix, versions_id
from service.live.visibility import Claims, Row
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


class AuthorView(StreamView):
    """What one author stream has shown its client, and the SSE text for what changes."""

    def __init__(
        self, db: Database, claims: Claims, settings: Settings, known: dict[str, int] | None
    ) -> None:
        """`known`: the versions a reconnecting client had (Last-Event-ID); None for a client
        that has just arrived (the listing is all it needs: it has nothing to catch up on)."""
        self.db = db
        self.claims = claims
        self.settings = settings
        self.known = known
        self.versions: dict[uuid.UUID, int] = {}  # what the client has, lesson by lesson
        self.shown: dict[uuid.UUID, tuple[Any, ...]] = {}  # and their visibility and title
        self.synced = False

    async def read(self) -> list[Row]:
        return await owned_lessons(self.db, self.claims)

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
        lessons = [
            {"lessonId": str(row["id"]), **_about(row), "status": row["status"]} for row in rows
        ]
        listing = sse({"lessons": lessons}, event="lessons", event_id=versions_id(self.versions))
        return [listing, *(self.video(row) for row in changed)]

    def video(self, row: Row) -> str:
        self.versions[row["id"]] = row["video_version"]
        self.shown[row["id"]] = _shown(row)
        payload: dict[str, Any] = {
            **video_json(row, self.settings),
            **_about(row),
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

    def course_changed(self, row: Row) -> list[str]:
        return [sse(course_json(row), event="course")]

    async def hidden(self, lesson: uuid.UUID) -> list[str]:
        """A lesson deleted, or no longer the caller's: `removed`, if the client had it."""
        self.shown.pop(lesson, None)
        if self.versions.pop(lesson, None) is None:
            return []
        return [
            sse({"lessonId": str(lesson)}, event="removed", event_id=versions_id(self.versions))
        ]


_ABOUT = ("title", "revision", "video_version", "visibility", "course_visibility")


def _about(row: Row) -> dict[str, Any]:
    """What the listing and a `video` event say of a lesson besides its video: its course and
    the `_ABOUT` columns (camelCase, as every JSON of the API)."""
    return {"courseId": str(row["course_id"]), **{_camel(c): row[c] for c in _ABOUT}}


def _camel(column: str) -> str:
    first, *rest = column.split("_")
    return first + "".join(word.title() for word in rest)


def _shown(row: Row) -> tuple[Any, ...]:
    """What a `video` event shows besides the video: sent again when it changes (`revision`
    counts edits of the title and the description: an open lesson page reads them again)."""
    return row["visibility"], row["course_visibility"], row["title"], row["revision"]


async def author_events(request: Request) -> StreamingResponse:
    claims = await stream_claims(request)
    if claims is None:
        raise AuthError("missing_token", "Sign in: your notifications need an access token.")
    owner = uuid.UUID(str(claims["sub"]))
    resuming = bool(request.headers.get("last-event-id", "").strip())
    known = known_versions(request) if resuming else None
    view = AuthorView(request.app.state.database, claims, request.app.state.settings, known)
    return await respond(request, claims, lambda w: w.watch_owner(owner, claims), view, _NEVER)
