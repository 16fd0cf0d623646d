"""The live feed behind `mux webhooks listen`: every event the emulator sends, to every
client connected to `GET /system/v1/webhook-events/stream` at the time."""

from __future__ import annotations

import asyncio
from typing import Any


class EventStream:
    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[dict[str, Any]]] = set()

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._queues.discard(queue)

    def publish(self, envelope: dict[str, Any]) -> None:
        for queue in self._queues:
            queue.put_nowait(envelope)

    @property
    def listeners(self) -> int:
        return len(self._queues)
