"""The live feed behind `mux webhooks listen`: every event the emulator sends, to every
client connected to `GET /system/v1/webhook-events/stream` at the time. `close()` (the
emulator shutting down) ends every stream, so no client holds the server open."""

from __future__ import annotations

import asyncio
from typing import Any

Feed = asyncio.Queue[dict[str, Any] | None]
"""Events for one client, in order; None: the stream is over."""


class EventStream:
    def __init__(self) -> None:
        self._queues: set[Feed] = set()
        self.closed = False

    def subscribe(self) -> Feed:
        queue: Feed = asyncio.Queue()
        if self.closed:
            queue.put_nowait(None)
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: Feed) -> None:
        self._queues.discard(queue)

    def publish(self, envelope: dict[str, Any]) -> None:
        for queue in self._queues:
            queue.put_nowait(envelope)

    def close(self) -> None:
        self.closed = True
        for queue in self._queues:
            queue.put_nowait(None)

    @property
    def listeners(self) -> int:
        return len(self._queues)
