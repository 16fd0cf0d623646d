"""Live lesson status: ONE listening connection per process, fanned out to subscribers.

A trigger on `lessons` sends `pg_notify('lesson_video', <row as JSON>)` when a lesson's video
changes; notifications arrive at commit, so subscribers never see uncommitted state. Each
subscriber (an SSE client, the status page) gets its own bounded queue; a slow one loses its
oldest queued updates, never the newest.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import psycopg

log = logging.getLogger(__name__)

CHANNEL = "lesson_video"
QUEUE_SIZE = 64
ALL_LESSONS = None
RESYNC: dict[str, Any] = {"resync": True}
"""Queued after a reconnect: changes may have been missed, re-read the current state."""


class LiveHub:
    def __init__(self, url: str, *, reconnect_seconds: float = 1.0) -> None:
        self._url = url
        self._reconnect = reconnect_seconds
        self._subscribers: dict[uuid.UUID | None, set[asyncio.Queue[dict[str, Any]]]] = {}
        self._task: asyncio.Task[None] | None = None

    @property
    def subscriber_count(self) -> int:
        return sum(len(queues) for queues in self._subscribers.values())

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="live-hub")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @contextmanager
    def subscribe(self, lesson_id: uuid.UUID | None) -> Iterator[asyncio.Queue[dict[str, Any]]]:
        """Updates for one lesson (or every lesson, with ALL_LESSONS) while the block runs."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._subscribers.setdefault(lesson_id, set()).add(queue)
        try:
            yield queue
        finally:
            queues = self._subscribers.get(lesson_id)
            if queues is not None:
                queues.discard(queue)
                if not queues:
                    del self._subscribers[lesson_id]

    def publish(self, change: dict[str, Any]) -> None:
        for key in (change["id"], ALL_LESSONS):
            for queue in self._subscribers.get(key, ()):
                _put_latest(queue, change)

    def _resync_all(self) -> None:
        for queues in self._subscribers.values():
            for queue in queues:
                _put_latest(queue, RESYNC)

    async def _listen(self) -> None:
        connected_before = False
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._url, autocommit=True
                ) as conn:
                    await conn.execute(f"listen {CHANNEL}")
                    if connected_before:
                        self._resync_all()
                    connected_before = True
                    log.info("listening for lesson changes")
                    async for notify in conn.notifies():
                        try:
                            self.publish(parse_change(notify.payload))
                        except (ValueError, KeyError):
                            log.error(
                                "unreadable lesson notification", extra={"payload": notify.payload}
                            )
            except psycopg.Error as exc:
                log.warning("live status connection lost; reconnecting", extra={"error": str(exc)})
                await asyncio.sleep(self._reconnect)


def _put_latest(queue: asyncio.Queue[dict[str, Any]], item: dict[str, Any]) -> None:
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(item)


def parse_change(payload: str) -> dict[str, Any]:
    """The notification as a row shaped like `lesson_video.visible_video` returns."""
    change: dict[str, Any] = json.loads(payload)
    change["id"] = uuid.UUID(change["id"])
    change["status_changed_at"] = datetime.fromisoformat(change["status_changed_at"])
    return change
