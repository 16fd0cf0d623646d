"""What a live stream's queue carries, and how a stream reads it until it ends.

A lesson's row (newer or not: the stream compares versions), `Hidden(lesson_id)` for a lesson
the viewer may no longer see (course and author streams), `CourseChanged(row)` when a course's
own row changed (course streams and the author's), `Resync` when changes may have been missed,
`Heartbeat` every `HEARTBEAT_SECONDS`, or `Ended(reason)` after which the stream ends. The
watchers put them in; `stream_items` takes them out.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from service.live.queue import put_latest
from service.live.visibility import Row


@dataclass(frozen=True)
class Hidden:
    lesson_id: uuid.UUID


@dataclass(frozen=True)
class Ended:
    reason: str


@dataclass(frozen=True)
class CourseChanged:
    """The course's own row (title, description, visibility...) as the stream's viewer sees it."""

    row: Row


@dataclass(frozen=True)
class Resync:
    """The hub lost notifications: course streams re-read what they show."""


@dataclass(frozen=True)
class Heartbeat:
    """Time for a stream to show it is alive (every HEARTBEAT_SECONDS)."""


HEARTBEAT = Heartbeat()
HEARTBEAT_SECONDS = 15

Item = Row | Hidden | CourseChanged | Ended | Resync | Heartbeat
StreamQueue = asyncio.Queue[Item]


async def stream_items(queue: StreamQueue, expires: float | None) -> AsyncIterator[Item]:
    """What a stream's queue brings, until `Ended` (which is yielded last). At `expires`
    (epoch seconds) the stream ends with `token_expired`, change or not, and nothing that
    arrives after that moment is yielded. Waiting costs nothing per stream: no timer but
    the one expiry, heartbeats arriving through the queue like everything else."""
    timer = None
    if expires is not None:
        timer = asyncio.get_running_loop().call_later(
            max(0.0, expires - time.time()), put_latest, queue, Ended("token_expired")
        )
    try:
        while True:
            item = await queue.get()
            if expires is not None and time.time() >= expires:
                yield Ended("token_expired")
                return
            yield item
            if isinstance(item, Ended):
                return
    finally:
        if timer is not None:
            timer.cancel()
