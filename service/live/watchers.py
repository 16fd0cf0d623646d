"""Live status at scale: which streams of this process watch which lesson, course or author's
lessons, and what each of their viewers may see.

Streams are grouped per lesson, per course and per owner (an author's stream of every lesson
they own: changes are routed to it by the course owner the change notification names), their
viewers by claims (`viewer_key`). The
process's one `LiveHub` subscription brings each change; for a watched lesson it costs ONE
statement deciding, for every distinct viewer at once, what each may see now (RLS as each
viewer), and then reaches every stream without further work. Decisions are kept per lesson and
viewer until the lesson changes, so a stream opened on a watched lesson by a viewer already
decided (every anonymous student of a published lesson) costs no database round trip, and
decisions asked at the same time (a reconnect storm) share statements (`ViewDecider`).

What each stream's queue is then sent is `items`; a slow stream loses its oldest queued items,
never the newest. Which streams the process takes at all is `admission`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Unpack

from service.live.admission import Admission, StreamLimits
from service.live.hub import ALL_LESSONS, RESYNC, LiveHub
from service.live.items import (
    HEARTBEAT,
    HEARTBEAT_SECONDS,
    CourseChanged,
    Ended,
    Hidden,
    Item,
    Resync,
    StreamQueue,
)
from service.live.queue import latest_queue, put_latest
from service.live.visibility import (
    Claims,
    Row,
    ViewDecider,
    ViewerKey,
    course_views,
    is_owner,
    viewer_key,
)

log = logging.getLogger(__name__)


@dataclass
class _Viewer:
    claims: Claims | None
    queues: set[StreamQueue] = field(default_factory=set)


@dataclass
class _Group:
    """The streams on one lesson (or course), by viewer; decisions for the current version."""

    viewers: dict[ViewerKey, _Viewer] = field(default_factory=dict)
    views: dict[ViewerKey, Row | None] = field(default_factory=dict)
    version: int = 0  # changes seen; a decision made across a change is not kept


class Watchers(Admission):
    """The process's streams in groups, and each change routed to the groups it concerns."""

    def __init__(self, hub: LiveHub, decider: ViewDecider, **limits: Unpack[StreamLimits]) -> None:
        super().__init__(**limits)
        self._hub = hub
        self.decider = decider
        self._lessons: dict[uuid.UUID, _Group] = {}
        self._courses: dict[uuid.UUID, _Group] = {}
        self._owners: dict[uuid.UUID, _Group] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._decisions: set[asyncio.Task[None]] = set()
        # Streams take turns for heartbeats: one bucket a second, each stream every 15 s,
        # so 10,000 streams never all wake in the same instant.
        self._buckets: list[set[StreamQueue]] = [set() for _ in range(HEARTBEAT_SECONDS)]
        self._next_bucket = itertools.cycle(range(HEARTBEAT_SECONDS))

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._follow(), name="watchers"),
            asyncio.create_task(self._follow_courses(), name="course-watchers"),
            asyncio.create_task(self._beat(), name="heartbeats"),
        ]

    async def _beat(self) -> None:
        for bucket in itertools.cycle(self._buckets):
            await asyncio.sleep(1)
            for queue in bucket:
                if not queue.full():  # a heartbeat never pushes out a change
                    queue.put_nowait(HEARTBEAT)

    async def stop(self) -> None:
        for task in [*self._tasks, *self._decisions]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def end_all(self, reason: str) -> int:
        """End every stream of this process with `reason` (its `end` event), and refuse new
        ones from now on. Returns how many streams were told."""
        self.closing = True
        ended = Ended(reason)
        told = 0
        for groups in (self._lessons, self._courses, self._owners):
            for group in groups.values():
                for viewer in group.viewers.values():
                    for queue in viewer.queues:
                        put_latest(queue, ended)
                        told += 1
        return told

    # --- streams come and go ------------------------------------------------------------

    def watch_lesson(self, lesson_id: uuid.UUID, claims: Claims | None) -> Watch:
        return Watch(self, self._lessons, lesson_id, claims)

    def watch_course(self, course_id: uuid.UUID, claims: Claims | None) -> Watch:
        return Watch(self, self._courses, course_id, claims)

    def watch_owner(self, owner_id: uuid.UUID, claims: Claims) -> Watch:
        """Every lesson of the courses `owner_id` owns (the stream's viewer is that user)."""
        return Watch(self, self._owners, owner_id, claims)

    async def lesson_view(self, lesson_id: uuid.UUID, claims: Claims | None) -> Row | None:
        """The lesson as this viewer may see it now: kept while the lesson is watched and
        unchanged, else decided (with whatever else is being decided)."""
        key = viewer_key(claims)
        group = self._lessons.get(lesson_id)
        if group is not None and key in group.views:
            return group.views[key]
        version = group.version if group is not None else None
        row = (await self.decider.decide(claims, [lesson_id]))[lesson_id]
        group = self._lessons.get(lesson_id)
        if group is not None and group.version == version and key in group.viewers:
            group.views[key] = row
        return row

    # --- changes ------------------------------------------------------------------------

    async def _follow(self) -> None:
        with self._hub.subscribe(ALL_LESSONS) as changes:
            while True:
                change = await changes.get()
                if change is RESYNC:
                    self._resync()
                    continue
                self._changed(
                    change["id"],
                    change.get("course_id"),
                    bool(change.get("deleted")),
                    change.get("owner_id"),
                )

    def _changed(
        self, lesson_id: uuid.UUID, course_id: Any, deleted: bool, owner_id: Any = None
    ) -> None:
        group = self._lessons.get(lesson_id)
        if group is not None:
            group.version += 1
            group.views.clear()
            if deleted:
                self._deliver(group, dict.fromkeys(group.viewers), lambda _: Ended("not_visible"))
            else:
                self._decide(group, lesson_id, lambda row: row if row else Ended("not_visible"))
        course_key = _uuid(course_id) if course_id else None
        course = self._courses.get(course_key) if course_key is not None else None
        if course is not None:
            if deleted:
                self._deliver(course, dict.fromkeys(course.viewers), lambda _: Hidden(lesson_id))
            else:
                self._decide(course, lesson_id, lambda row: row if row else Hidden(lesson_id))
        self._owner_changed(lesson_id, _uuid(owner_id) if owner_id else None, deleted)

    async def _follow_courses(self) -> None:
        with self._hub.subscribe_courses() as changes:
            while True:
                change = await changes.get()
                if "id" in change:
                    self._course_changed(
                        change["id"], change.get("owner_id"), bool(change.get("deleted"))
                    )

    def _course_changed(self, course_id: uuid.UUID, owner_id: Any, deleted: bool) -> None:
        """A course's own row changed: its streams are sent it as each viewer sees it (its
        owner the author's view, everyone else the learners'), or end when a viewer may no
        longer see it (made draft, deleted); its owner's stream is sent it too."""
        course = self._courses.get(course_id)
        owned = self._owners.get(owner_id) if isinstance(owner_id, uuid.UUID) else None
        if deleted:
            if course is not None:
                self._deliver(course, dict.fromkeys(course.viewers), lambda _: Ended("not_visible"))
            return
        if course is None and owned is None:
            return

        async def decide() -> None:
            try:
                as_owner, as_learner = await course_views(self.decider.db, course_id)
            except Exception as exc:
                log.warning("live status decision failed", extra={"error": str(exc)})
                if course is not None:
                    ended = dict.fromkeys(course.viewers)
                    self._deliver(course, ended, lambda _: Ended("unavailable"))
                return
            if course is not None:
                for viewer in list(course.viewers.values()):
                    row = as_owner if is_owner(viewer.claims, owner_id) else as_learner
                    message: Item = CourseChanged(row) if row else Ended("not_visible")
                    for queue in viewer.queues:
                        put_latest(queue, message)
            if owned is not None and as_owner is not None:
                self._deliver(
                    owned, dict.fromkeys(owned.viewers), lambda _: CourseChanged(as_owner)
                )

        task = asyncio.create_task(decide())
        self._decisions.add(task)
        task.add_done_callback(self._decisions.discard)

    def _owner_changed(self, lesson_id: uuid.UUID, owner: uuid.UUID | None, deleted: bool) -> None:
        """An owner's stream hears of each change to their lessons (the notification names the
        owner at commit, so a lesson given to someone else stops reaching its old owner). A
        deletion whose owner is unknown (its course went with it) is told to every owner's
        stream: one that never had the lesson ignores it."""
        if deleted:
            told = list(self._owners.values()) if owner is None else [self._owners.get(owner)]
            for group in told:
                if group is not None:
                    self._deliver(group, dict.fromkeys(group.viewers), lambda _: Hidden(lesson_id))
            return
        owned = self._owners.get(owner) if owner is not None else None
        if owned is not None:
            self._decide(owned, lesson_id, lambda row: row if row else Hidden(lesson_id))

    def _decide(
        self, group: _Group, lesson_id: uuid.UUID, item: Callable[[Row | None], Item]
    ) -> None:
        version = group.version

        async def decide() -> None:
            viewers = list(group.viewers.items())
            try:
                answers = await asyncio.gather(
                    *(self.decider.decide(v.claims, [lesson_id]) for _, v in viewers)
                )
            except Exception as exc:
                # Cannot tell who may see the change now: every stream on it ends (clients
                # reconnect, and are then answered 503 until the database is back).
                log.warning("live status decision failed", extra={"error": str(exc)})
                self._deliver(group, dict.fromkeys(group.viewers), lambda _: Ended("unavailable"))
                return
            if group.version != version:
                return  # a newer change is being decided; it will deliver
            views = {
                key: answer[lesson_id] for (key, _), answer in zip(viewers, answers, strict=True)
            }
            if group is self._lessons.get(lesson_id):
                group.views.update(views)
            self._deliver(group, views, item)

        task = asyncio.create_task(decide())
        self._decisions.add(task)
        task.add_done_callback(self._decisions.discard)

    def _deliver(
        self,
        group: _Group,
        views: dict[ViewerKey, Row | None],
        item: Callable[[Row | None], Item],
    ) -> None:
        for key, row in views.items():
            viewer = group.viewers.get(key)
            if viewer is None:
                continue
            message = item(row)
            for queue in viewer.queues:
                put_latest(queue, message)

    def _resync(self) -> None:
        for lesson_id, group in list(self._lessons.items()):
            group.version += 1
            group.views.clear()
            self._decide(group, lesson_id, lambda row: row if row else Ended("not_visible"))
        for group in [*self._courses.values(), *self._owners.values()]:
            for viewer in group.viewers.values():
                for queue in viewer.queues:
                    put_latest(queue, Resync())

    # --- bookkeeping for Watch ------------------------------------------------------------

    def _join(
        self, groups: dict[uuid.UUID, _Group], key: uuid.UUID, claims: Claims | None
    ) -> StreamQueue:
        group = groups.setdefault(key, _Group())
        viewer = group.viewers.setdefault(viewer_key(claims), _Viewer(claims))
        queue: StreamQueue = latest_queue()
        viewer.queues.add(queue)
        self._buckets[next(self._next_bucket)].add(queue)
        return queue

    def _leave(
        self,
        groups: dict[uuid.UUID, _Group],
        key: uuid.UUID,
        claims: Claims | None,
        queue: StreamQueue,
    ) -> None:
        for bucket in self._buckets:
            bucket.discard(queue)
        group = groups.get(key)
        if group is None:
            return
        vkey = viewer_key(claims)
        viewer = group.viewers.get(vkey)
        if viewer is not None:
            viewer.queues.discard(queue)
            if not viewer.queues:
                del group.viewers[vkey]
                group.views.pop(vkey, None)
        if not group.viewers:
            del groups[key]

    @property
    def watched_lessons(self) -> int:
        return len(self._lessons)


class Watch:
    """One stream's place in a group: joined at once, left exactly once (`close`)."""

    def __init__(
        self,
        watchers: Watchers,
        groups: dict[uuid.UUID, _Group],
        key: uuid.UUID,
        claims: Claims | None,
    ) -> None:
        self._watchers = watchers
        self._groups = groups
        self.key = key
        self.claims = claims
        self.queue = watchers._join(groups, key, claims)
        self._closed = False

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._watchers._leave(self._groups, self.key, self.claims, self.queue)


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None
