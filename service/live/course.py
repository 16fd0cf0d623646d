"""`GET /api/courses/{id}/events`: the video state of every lesson of a course the caller may
see, on one Server-Sent Events connection (a course page with live badges).

Events:
- `lessons` `{courseId, title, lessons: [{lessonId, title, position, visibility}]}`: the
  lessons the caller may see, in order; first, and again whenever that list changes (a lesson
  published to a student or made draft again, one added, deleted, renamed or moved, or its
  visibility changed).
- `course`: the course's own JSON (as `GET /api/courses/{id}` without its lessons: courseId,
  title, description, visibility, revision, ...) as the caller may see it, whenever its row
  changes (renamed, described, published or made draft).
- `video`: one lesson's video JSON (as `GET /api/lessons/{id}/video`), first for each lesson
  and then on each change.
- `end` `{reason}`: `not_visible` (the course is no longer visible to the caller: made draft,
  deleted, or its last lesson they could see gone),
  `token_expired`, `unavailable`; the stream then ends.

Visibility is decided again on every change, as the caller, together with every other viewer
of the course (one statement). Resuming follows per-lesson versions: each event's id lists the
version of every lesson the client has been sent, and a reconnecting `EventSource` (whose
`Last-Event-ID` is that list) is sent only the lessons that changed since.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import StreamingResponse

from service.database.pool import Database
from service.live.sse import StreamView, respond, sse
from service.live.versions import known_versions, prefix, versions_id
from service.live.visibility import Claims, Row
from service.read_model.queries import VIDEO_COLUMNS
from service.read_model.to_json import course_json, video_json
from service.request.caller import stream_claims
from service.request.paths import course_not_found, path_uuid
from service.settings import Settings


async def course_snapshot(
    db: Database, course_id: uuid.UUID, claims: Claims | None
) -> tuple[dict[str, Any], list[Row]] | None:
    """The course and its lessons as the caller may see them (RLS), or None."""
    async with db.user_session(claims) as conn:
        cur = await conn.execute("select id, title from public.courses where id = %s", (course_id,))
        course = await cur.fetchone()
        if course is None:
            return None
        cur = await conn.execute(
            f"select {VIDEO_COLUMNS} from public.lessons "
            "where course_id = %s order by lessons.position, lessons.created_at, lessons.id",
            (course_id,),
        )
        return course, await cur.fetchall()


class CourseView(StreamView):
    """What one course stream has shown its client, and the SSE text for what changes."""

    def __init__(
        self,
        db: Database,
        course_id: uuid.UUID,
        claims: Claims | None,
        settings: Settings,
        known: dict[str, int],
    ) -> None:
        self.db = db
        self.course_id = course_id
        self.claims = claims
        self.settings = settings
        self.known = known  # prefix -> version the client already had when it connected
        self.course: dict[str, Any] = {}  # id and title, from the first read
        self.lessons: dict[uuid.UUID, Row] = {}
        self.versions: dict[uuid.UUID, int] = {}

    async def read(self) -> list[Row] | None:
        snapshot = await course_snapshot(self.db, self.course_id, self.claims)
        if snapshot is None:
            return None
        self.course = self.course or snapshot[0]  # then renamed by `course` changes alone
        return snapshot[1]

    def listing(self) -> str:
        ordered = sorted(
            self.lessons.values(), key=lambda r: (r["position"], r["created_at"], str(r["id"]))
        )
        return sse(
            {
                "courseId": str(self.course["id"]),
                "title": self.course["title"],
                "lessons": [
                    {
                        "lessonId": str(r["id"]),
                        "title": r["title"],
                        "position": r["position"],
                        "visibility": r["visibility"],
                    }
                    for r in ordered
                ],
            },
            event="lessons",
            event_id=versions_id(self.versions),
        )

    def reset(self, rows: list[Row]) -> list[str]:
        """A whole snapshot: the listing, then each lesson the client does not have yet."""
        self.lessons = {row["id"]: row for row in rows}
        chunks: list[str] = []
        pending = []
        for row in rows:
            had = self.known.get(prefix(row["id"]), self.versions.get(row["id"], -1))
            if row["video_version"] > had:
                pending.append(row)
            else:
                self.versions[row["id"]] = row["video_version"]
        self.versions = {
            lesson: version for lesson, version in self.versions.items() if lesson in self.lessons
        }
        chunks.append(self.listing())
        chunks += [self.video(row) for row in pending]
        self.known = {}
        return chunks

    def video(self, row: Row) -> str:
        self.versions[row["id"]] = row["video_version"]
        return sse(
            video_json(row, self.settings), event="video", event_id=versions_id(self.versions)
        )

    def changed(self, row: Row) -> list[str]:
        lesson = row["id"]
        if row["course_id"] != self.course["id"]:  # moved to another course
            return self._drop(lesson)
        before = self.lessons.get(lesson)
        self.lessons[lesson] = row
        relist = before is None or _listed(before) != _listed(row)
        chunks = [self.listing()] if relist else []
        if row["video_version"] > self.versions.get(lesson, -1):
            chunks.append(self.video(row))
        return chunks

    def course_changed(self, row: Row) -> list[str]:
        """The course's own row changed: sent as `course`; later listings carry its title."""
        self.course = {**self.course, "title": row["title"]}
        return [sse(course_json(row), event="course")]

    async def hidden(self, lesson: uuid.UUID) -> list[str] | None:
        chunks = self._drop(lesson)
        if (
            chunks
            and not self.lessons
            and not await _still_visible(self.db, self.course_id, self.claims)
        ):
            return None  # its last lesson this viewer could see is gone
        return chunks

    def _drop(self, lesson: uuid.UUID) -> list[str]:
        if self.lessons.pop(lesson, None) is None:
            return []
        self.versions.pop(lesson, None)
        return [self.listing()]


async def course_events(request: Request) -> StreamingResponse:
    course_id = path_uuid(request, "course_id", course_not_found())
    claims = await stream_claims(request)
    state = request.app.state
    view = CourseView(state.database, course_id, claims, state.settings, known_versions(request))
    return await respond(
        request, claims, lambda w: w.watch_course(course_id, claims), view, course_not_found()
    )


def _listed(row: Row) -> tuple[Any, ...]:
    """What a lesson's entry in `lessons` shows."""
    return row["title"], row["position"], row["visibility"]


async def _still_visible(db: Database, course_id: uuid.UUID, claims: Claims | None) -> bool:
    async with db.user_session(claims) as conn:
        cur = await conn.execute("select 1 from public.courses where id = %s", (course_id,))
        return await cur.fetchone() is not None
