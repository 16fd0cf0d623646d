"""How the webhook's batcher groups concurrent deliveries (issue 31): one batch at a time, so
deliveries that arrive while it runs form one larger next batch; a second batch beside it only
once the running one has taken `stall_seconds` (a lesson held elsewhere), so a stuck batch
holds up nobody. A stand-in database records each call and holds it until told."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any

from service.ingest.new_events import IngestBatcher


class HeldDatabase:
    """Each call waits until released; records the batch sizes in the order calls began."""

    lock_timeout = "2s"

    def __init__(self) -> None:
        self.pool = SimpleNamespace(max_size=10)
        self.sizes: list[int] = []
        self.started = asyncio.Event()
        self.releases: list[asyncio.Event] = []

    async def _hold(self, size: int) -> None:
        self.sizes.append(size)
        release = asyncio.Event()
        self.releases.append(release)
        self.started.set()
        await release.wait()

    async def call(self, query: str, params: Any, **_: Any) -> dict[str, Any]:
        await self._hold(1)
        return {"inserted": True, "state": "applied", "lesson_id": None, "error": None}

    async def call_all(self, query: str, params: Any, **_: Any) -> list[dict[str, Any]]:
        await self._hold(len(params[0]))
        return [
            {
                "idx": i + 1,
                "inserted": True,
                "state": "applied",
                "lesson_id": None,
                "error": None,
                "per_event": False,
            }
            for i in range(len(params[0]))
        ]

    async def next_call(self) -> None:
        self.started.clear()
        await asyncio.wait_for(self.started.wait(), 5)


def _deliver(batcher: IngestBatcher, name: str) -> asyncio.Task[Any]:
    payload = json.dumps({"id": name, "type": "video.upload.created", "data": {}})
    return asyncio.ensure_future(batcher.ingest(name, payload, created_at=None))


async def test_deliveries_arriving_during_a_batch_form_one_next_batch() -> None:
    db = HeldDatabase()
    batcher = IngestBatcher(db, preferred_policy="public", stall_seconds=5)  # type: ignore[arg-type]
    first = _deliver(batcher, "evt_first")
    await db.next_call()
    waiting = [_deliver(batcher, f"evt_{i}") for i in range(10)]
    await asyncio.sleep(0.05)
    assert db.sizes == [1]  # no second batch beside a young one
    db.releases[0].set()
    await db.next_call()
    assert db.sizes == [1, 10]  # all that waited, together
    db.releases[1].set()
    outcomes = await asyncio.gather(first, *waiting)
    assert [o.event_id for o in outcomes] == ["evt_first", *(f"evt_{i}" for i in range(10))]


async def test_a_stalled_batch_lets_the_next_one_start_beside_it() -> None:
    db = HeldDatabase()
    batcher = IngestBatcher(db, preferred_policy="public", stall_seconds=0.05)  # type: ignore[arg-type]
    stuck = _deliver(batcher, "evt_stuck")
    await db.next_call()
    others = [_deliver(batcher, f"evt_{i}") for i in range(3)]
    await db.next_call()  # once the first has run 50 ms
    assert db.sizes == [1, 3] and not stuck.done()
    db.releases[1].set()
    assert len(await asyncio.gather(*others)) == 3  # answered while the first is still held
    assert not stuck.done()
    db.releases[0].set()
    assert (await stuck).event_id == "evt_stuck"
    await batcher.drain()
