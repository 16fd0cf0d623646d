"""Many `EventSource`-like clients in one asyncio process, cheap enough for 10,000 of them.

Each client holds one HTTP/1.1 connection to a stream route, reads the chunked SSE body,
remembers the last event id and the server's `retry:` hint, and reconnects as a browser does:
after a dropped connection it waits `retry` ms and sends `Last-Event-ID`; after a refusal
(503 and the like) it waits `Retry-After` seconds. What every client saw is counted: response
statuses, events, and the newest version of its lesson with the time it arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Tally:
    """Shared by all clients of a run."""

    statuses: Counter[int] = field(default_factory=Counter)
    connects: int = 0
    open_now: int = 0
    errors: Counter[str] = field(default_factory=Counter)


@dataclass
class SseClient:
    host: str
    port: int
    path: str
    tally: Tally
    on_event: Callable[[SseClient, str, dict[str, Any], float], None] | None = None
    last_id: str | None = None
    retry_ms: int = 3000
    version: int = -1  # the newest lesson version seen (lesson streams' event id)
    first_event_at: float | None = None
    ended: str | None = None
    _writer: asyncio.StreamWriter | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Stay connected until `stop` is set, reconnecting as EventSource does."""
        while not stop.is_set():
            wait = self.retry_ms / 1000
            try:
                wait = await self._connect_once(stop)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                self.tally.errors[type(exc).__name__] += 1
            finally:
                self._close()
            if stop.is_set():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)

    def _close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    async def _connect_once(self, stop: asyncio.Event) -> float:
        reader, writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20)
        self._writer = writer
        head = f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nAccept: text/event-stream\r\n"
        if self.last_id is not None:
            head += f"Last-Event-ID: {self.last_id}\r\n"
        writer.write((head + "\r\n").encode())
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionResetError("closed before answering")
        status = int(status_line.split()[1])
        self.tally.statuses[status] += 1
        headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if status != 200:
            retry_after = headers.get("retry-after", "")
            return float(retry_after) if retry_after.isdigit() else self.retry_ms / 1000
        self.tally.connects += 1
        self.tally.open_now += 1
        try:
            await self._read_events(reader, stop)
        finally:
            self.tally.open_now -= 1
        return self.retry_ms / 1000

    async def _read_events(self, reader: asyncio.StreamReader, stop: asyncio.Event) -> None:
        buffer = b""
        while not stop.is_set():
            size_line = await reader.readline()
            if not size_line:
                return  # the server closed the stream
            size = int(size_line.strip() or b"0", 16)
            if size == 0:
                return
            buffer += (await reader.readexactly(size + 2))[:-2]
            while b"\n\n" in buffer:
                block, buffer = buffer.split(b"\n\n", 1)
                self._event(block.decode())

    def _event(self, block: str) -> None:
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
        if "retry" in fields and fields["retry"].isdigit():
            self.retry_ms = int(fields["retry"])
        if "id" in fields:
            self.last_id = fields["id"]
        if "data" not in fields:
            return
        kind = fields.get("event", "message")
        now = time.monotonic()
        data = json.loads(fields["data"])
        if kind == "end":
            self.ended = data.get("reason")
        if kind == "video":
            if self.first_event_at is None:
                self.first_event_at = now
            if fields.get("id", "").isdigit():
                self.version = max(self.version, int(fields["id"]))
        if self.on_event is not None:
            self.on_event(self, kind, data, now)


async def run_clients(
    clients: list[SseClient], stop: asyncio.Event, *, spread_seconds: float = 0.0
) -> list[asyncio.Task[None]]:
    """Start every client (all at once, or spread over `spread_seconds`)."""
    tasks = []
    for index, client in enumerate(clients):
        tasks.append(asyncio.create_task(client.run(stop)))
        if spread_seconds and index % 100 == 99:
            await asyncio.sleep(spread_seconds * 100 / len(clients))
    return tasks


async def stop_clients(stop: asyncio.Event, tasks: list[asyncio.Task[None]]) -> None:
    """Stop every client at once (a client waiting for its next event is cancelled)."""
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def wait_until(predicate: Callable[[], bool], within: float, step: float = 0.05) -> float:
    """Seconds until `predicate()` held (raises TimeoutError past `within` seconds)."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > within:
            raise TimeoutError
        await asyncio.sleep(step)
    return time.monotonic() - start
