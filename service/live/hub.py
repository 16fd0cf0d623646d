"""Live lesson status: ONE listening connection per process, fanned out to subscribers.

A trigger on `lessons` sends `pg_notify('lesson_video', <row as JSON>)` when a lesson's video
changes; notifications arrive at commit, so subscribers never see uncommitted state. Each
subscriber (an SSE client, the status page) gets its own bounded queue; a slow one loses its
oldest queued updates, never the newest.

LISTEN needs a session of its own, which a transaction pooler cannot give. Without a
session-capable URL the hub polls instead: one query per process every `poll_seconds`, only
while someone is subscribed, for the `video_version` and visibility of the lessons watched
(and of lessons changed lately, or whose course changed lately: a course made draft).
Subscribers see the same rows either way; course changes (`COURSE_CHANNEL`) need LISTEN.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import KW_ONLY, dataclass
from typing import Any

import psycopg

from service.database.pool import Database
from service.live.queue import latest_queue, put_latest
from service.read_model.queries import VIDEO_COLUMNS

log = logging.getLogger(__name__)

CHANNEL = "lesson_video"
COURSE_CHANNEL = "course_change"
"""A course's own row changed (title, description, visibility) or went: {id, owner_id, deleted}.
Heard only with LISTEN; polling follows lessons alone."""
ALL_LESSONS = None
RESYNC: dict[str, Any] = {"resync": True}
"""Queued after a reconnect: changes may have been missed, re-read the current state."""
RECENT_SECONDS = 10
"""Polling for every lesson looks this far back (commits are not in timestamp order)."""
_POLL_QUERY = f"""
select {VIDEO_COLUMNS},
       (select c.owner_id from public.courses c where c.id = lessons.course_id) as owner_id
from public.lessons
where id = any(%(ids)s::uuid[])
   or (%(all)s and updated_at > now() - make_interval(secs => %(recent)s))
   or (%(all)s and course_id in (
         select c.id from public.courses c
         where c.updated_at > now() - make_interval(secs => %(recent)s)))
"""


@dataclass(eq=False)
class LiveHub:
    """Changes by LISTEN on `session_url`, or by polling through `db` when that is None."""

    db: Database
    session_url: str | None
    _: KW_ONLY
    poll_seconds: float = 0.5
    reconnect_seconds: float = 1.0

    def __post_init__(self) -> None:
        self._subscribers: dict[uuid.UUID | None, set[asyncio.Queue[dict[str, Any]]]] = {}
        self._course_subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._task: asyncio.Task[None] | None = None
        self._versions: dict[uuid.UUID, Any] = {}

    @property
    def mode(self) -> str:
        """`listen`, or `poll` (degraded: no session-capable connection)."""
        return "listen" if self.session_url is not None else "poll"

    async def start(self) -> None:
        if self.session_url is not None:
            self._task = asyncio.create_task(self._listen(self.session_url), name="live-hub")
            return
        log.warning(
            "live status degraded: DATABASE_URL is a transaction pooler and "
            "DATABASE_SESSION_URL is not set, so lesson changes are polled instead of LISTENed "
            "for; set DATABASE_SESSION_URL to the direct connection or the session pooler",
            extra={"live_status": "poll", "poll_seconds": self.poll_seconds},
        )
        self._task = asyncio.create_task(self._poll(), name="live-hub-poll")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @contextmanager
    def subscribe(self, lesson_id: uuid.UUID | None) -> Iterator[asyncio.Queue[dict[str, Any]]]:
        """Updates for one lesson (or every lesson, with ALL_LESSONS) while the block runs."""
        queue: asyncio.Queue[dict[str, Any]] = latest_queue()
        self._subscribers.setdefault(lesson_id, set()).add(queue)
        try:
            yield queue
        finally:
            queues = self._subscribers.get(lesson_id)
            if queues is not None:
                queues.discard(queue)
                if not queues:
                    del self._subscribers[lesson_id]

    @contextmanager
    def subscribe_courses(self) -> Iterator[asyncio.Queue[dict[str, Any]]]:
        """Every course change (`COURSE_CHANNEL`) while the block runs."""
        queue: asyncio.Queue[dict[str, Any]] = latest_queue()
        self._course_subscribers.add(queue)
        try:
            yield queue
        finally:
            self._course_subscribers.discard(queue)

    def publish_course(self, change: dict[str, Any]) -> None:
        for queue in self._course_subscribers:
            put_latest(queue, change)

    def publish(self, change: dict[str, Any]) -> None:
        for key in (change["id"], ALL_LESSONS):
            for queue in self._subscribers.get(key, ()):
                put_latest(queue, change)

    def _resync_all(self) -> None:
        for queues in self._subscribers.values():
            for queue in queues:
                put_latest(queue, RESYNC)

    async def _listen(self, url: str) -> None:
        connected_before = False
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                    await conn.execute(f"listen {CHANNEL}")
                    await conn.execute(f"listen {COURSE_CHANNEL}")
                    if connected_before:
                        self._resync_all()
                    connected_before = True
                    log.info("listening for lesson changes")
                    async for notify in conn.notifies():
                        try:
                            change = parse_change(notify.payload)
                            if notify.channel == COURSE_CHANNEL:
                                self.publish_course(change)
                            else:
                                self.publish(change)
                        except (ValueError, KeyError):
                            log.error(
                                "unreadable lesson notification", extra={"payload": notify.payload}
                            )
            except psycopg.Error as exc:
                log.warning("live status connection lost; reconnecting", extra={"error": str(exc)})
                await asyncio.sleep(self.reconnect_seconds)

    async def _poll(self) -> None:
        failing = False
        while True:
            await asyncio.sleep(self.poll_seconds)
            if not self._subscribers:
                self._versions.clear()
                continue
            try:
                self.publish_new(await self._changed_rows())
            except Exception as exc:
                if not failing:
                    log.warning("live status poll failed; retrying", extra={"error": str(exc)})
                failing = True
                continue
            if failing:
                log.info("live status poll recovered")
                self._resync_all()
            failing = False

    async def _changed_rows(self) -> list[dict[str, Any]]:
        ids = [key for key in self._subscribers if key is not ALL_LESSONS]
        return await self.db.call_all(
            _POLL_QUERY,
            {"ids": ids, "all": ALL_LESSONS in self._subscribers, "recent": RECENT_SECONDS},
        )

    def publish_new(self, rows: list[dict[str, Any]]) -> None:
        """Publish the rows whose video_version (or visibility, text revision or position: what
        LISTEN is notified of) is new to this hub; forget rows not seen."""
        seen: dict[uuid.UUID, Any] = {}
        for row in rows:
            key = (
                row["video_version"],
                row.get("visibility"),
                row.get("course_visibility"),
                row.get("revision"),
                row.get("position"),
            )
            seen[row["id"]] = key
            if self._versions.get(row["id"]) != key:
                self.publish(row)
        self._versions = seen


def parse_change(payload: str) -> dict[str, Any]:
    """The notification: which lesson changed (its course, owner, video version), or that it
    was deleted. Listeners read the row themselves, as the caller they serve."""
    change: dict[str, Any] = json.loads(payload)
    for key in ("id", "course_id", "owner_id"):
        if change.get(key) is not None:
            change[key] = uuid.UUID(change[key])
    return change
