"""The bounded queue every live subscriber gets (a hub subscription, a stream): when it is full,
the oldest item makes way, never the newest, so a slow client loses stale states, not the
latest one."""

from __future__ import annotations

import asyncio
from typing import TypeVar

QUEUE_SIZE = 64

T = TypeVar("T")


def latest_queue() -> asyncio.Queue[T]:
    """A queue of QUEUE_SIZE items for `put_latest`."""
    return asyncio.Queue(QUEUE_SIZE)


def put_latest(queue: asyncio.Queue[T], item: T) -> None:
    """Queue `item`, dropping the oldest item when the queue is full."""
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(item)
