"""The durable floor, for the ingest benchmark: the least a verified, durable webhook receiver
can do on this stack. Not part of the service.

A plain ASGI app (no framework, no middleware) that reads the body, checks `Mux-Signature`
(HMAC-SHA256, with the service's own `verify`), reads the event id, and inserts the raw event
into a one-table inbox keyed by event id (a duplicate changes nothing), concurrent requests in
one batched transaction with `synchronous_commit = on`, and answers 200 only after its batch
commits. It applies nothing, notifies nothing and logs nothing: whatever the service does
beyond this is what it pays for applying events and telling browsers.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from service.ingest.signature import InvalidSignature, verify

SECRETS = tuple(s.strip() for s in os.environ.get("MUX_WEBHOOK_SECRET", "").split(",") if s)
TOLERANCE_SECONDS = 300
MAX_BODY = 1024 * 1024
MAX_BATCH = 100
MAX_IN_FLIGHT = 2
_TABLE = (
    "create table if not exists floor_inbox "
    "(id text primary key, payload text not null, received_at timestamptz not null default now())"
)
_INSERT = (
    "insert into floor_inbox (id, payload) select * from unnest(%s::text[], %s::text[]) "
    "on conflict (id) do nothing"
)

Send = Any
Receive = Any


async def _configure(conn: AsyncConnection[Any]) -> None:
    await conn.execute("set synchronous_commit = on")


class Batcher:
    """Concurrent events share one insert (one transaction, one commit), as the service's."""

    def __init__(self) -> None:
        self.pool: AsyncConnectionPool[AsyncConnection[Any]] | None = None
        self._queue: list[tuple[str, str, asyncio.Future[None]]] = []
        self._in_flight = 0

    async def store(self, event_id: str, payload: str) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((event_id, payload, future))
        self._start()
        await future

    def _start(self) -> None:
        while self._queue and self._in_flight < MAX_IN_FLIGHT:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            self._in_flight += 1
            asyncio.get_running_loop().create_task(self._run(batch))

    async def _run(self, batch: list[tuple[str, str, asyncio.Future[None]]]) -> None:
        assert self.pool is not None
        try:
            async with self.pool.connection() as conn:
                await conn.execute(_INSERT, ([b[0] for b in batch], [b[1] for b in batch]))
        except Exception as exc:
            for _, _, future in batch:
                future.set_exception(exc)
        else:
            for _, _, future in batch:
                future.set_result(None)
        finally:
            self._in_flight -= 1
            self._start()


batcher = Batcher()


async def _answer(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _read(receive: Receive) -> bytes | None:
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                pool_max = int(os.environ.get("DB_POOL_MAX", "10"))
                batcher.pool = AsyncConnectionPool(
                    os.environ["DATABASE_URL"],
                    min_size=pool_max,
                    max_size=pool_max,
                    kwargs={"autocommit": True},
                    configure=_configure,
                    open=False,
                )
                await batcher.pool.open()
                async with batcher.pool.connection() as conn:
                    await conn.execute(_TABLE)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if batcher.pool is not None:
                    await batcher.pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    if scope["path"] == "/healthz":
        await _answer(send, 200, b'{"status":"ok"}')
        return
    if scope["path"] != "/api/webhooks/mux" or scope["method"] != "POST":
        await _answer(send, 404, b'{"error":"not_found"}')
        return
    body = await _read(receive)
    if body is None:
        await _answer(send, 413, b'{"error":"payload_too_large"}')
        return
    header = next((v for k, v in scope["headers"] if k == b"mux-signature"), b"").decode("latin-1")
    try:
        verify(body, header, SECRETS, tolerance_seconds=TOLERANCE_SECONDS)
        event_id = json.loads(body)["id"]
        if not isinstance(event_id, str):
            raise ValueError("id")
    except InvalidSignature:
        await _answer(send, 401, b'{"error":"invalid_signature"}')
        return
    except (ValueError, KeyError, TypeError):
        await _answer(send, 400, b'{"error":"malformed_event"}')
        return
    await batcher.store(event_id, body.decode("utf-8"))
    await _answer(send, 200, b'{"received":true}')
