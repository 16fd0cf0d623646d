"""New events into the inbox: each verified Mux event is stored once, then run through the
state machine.

Storing and applying happen in one database call, in one transaction, so a webhook costs one
round trip and an event is never applied without being stored. Concurrent webhooks share one
transaction (`IngestBatcher`), applied as a set (`mux_ingest_batch_set`: each lesson locked
once, its events folded into one UPDATE, the inbox rows inserted in one statement;
supabase/schemas/20_inbox.sql); an event alone goes through `mux_ingest_event`. This is the
webhook's hot path (and the reconciler's way in); what the worker, the CLI and the status page
do with events already stored is in `stored_events`. Every one of them applies events through
the same SQL state machine.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg

from service.database.pool import Database, unreachable
from service.telemetry import metrics

# The `_bounded` variants limit this transaction's lock waits to the pool's `lock_timeout`, as
# does the set's last argument. One event alone has nothing to fold: it goes the per-event way.
_INGEST = (
    "select inserted, state::text as state, lesson_id, error "
    "from public.mux_ingest_event_bounded(%s::jsonb, %s, %s, %s, %s)"
)
# A batch's payloads and timestamps go in binary (`%b`): psycopg's text format escapes every
# quote of every JSON payload with a regular expression, which was a sixth of the service's
# CPU at concurrency 64 (py-spy; docs/benchmarks.md).
_INGEST_SET = (
    "select idx, inserted, state::text as state, lesson_id, error, per_event "
    "from public.mux_ingest_batch_set(%b::jsonb[], %b::timestamptz[], %s, %s, %s)"
)
_RECORD_FAILED = (
    "select inserted, state::text as state, lesson_id, error "
    "from public.mux_record_failed_event(%s::jsonb, %s, %s, %s)"
)


def mux_time(value: object) -> datetime | None:
    """Mux's timestamps: ISO 8601 in envelopes, epoch seconds (number or string) in objects."""
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str):
            if value.replace(".", "", 1).isdigit():
                return datetime.fromtimestamp(float(value), UTC)
            parsed = datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        pass
    return None


@dataclass(frozen=True)
class Outcome:
    event_id: str
    inserted: bool
    state: str
    lesson_id: uuid.UUID | None
    error: str | None


async def ingest(
    db: Database,
    event_id: str,
    payload_json: str,
    *,
    preferred_policy: str,
    created_at: object = None,
    source: str = "webhook",
) -> Outcome:
    """Store the event (unless already stored) and apply it; raises only if it cannot be stored.

    If applying raises (a lock wait that hit `lock_timeout` included: a long transaction
    holds the lesson), the event is stored `failed` with the error by a second call, for the
    worker to retry. Both calls are idempotent by event id, so a call lost with a broken
    connection is safely retried.
    """
    return await _ingest_one(
        db, event_id, payload_json, preferred_policy, mux_time(created_at), source
    )


async def _ingest_one(
    db: Database,
    event_id: str,
    payload_json: str,
    preferred_policy: str,
    mux_created_at: datetime | None,
    source: str,
) -> Outcome:
    try:
        row = await db.call(
            _INGEST,
            (payload_json, preferred_policy, source, mux_created_at, db.lock_timeout),
            retry_broken=True,
        )
    except psycopg.Error as exc:
        if unreachable(exc):
            raise  # nothing stored
        error = exc.diag.message_primary or str(exc)
        row = await db.call(
            _RECORD_FAILED, (payload_json, error, source, mux_created_at), retry_broken=True
        )
    assert row is not None
    return Outcome(event_id, row["inserted"], row["state"], row["lesson_id"], row["error"])


@dataclass
class _Queued:
    event_id: str
    payload_json: str
    created_at: datetime | None
    future: asyncio.Future[Outcome]


class IngestBatcher:
    """Stores and applies concurrent webhook deliveries together, one transaction per batch.

    Per-request transactions limited ingest (each paid a round trip, statement overhead and a
    commit). A batch starts at once when none is running, so a lone request goes alone and at
    once; under load, requests that arrive meanwhile form the next batch. A second batch (up
    to `max_in_flight`) starts beside a running one only once that one has run `stall_seconds`
    (a lesson held elsewhere, a slow commit): overlapping batches made smaller batches, which
    each paid the call's fixed cost and a commit, and took turns on the same lessons' locks
    (consecutive events of a lesson arrive together), for no gain in throughput
    (docs/benchmarks.md, issue 31). A request is answered only after its batch commits. If a
    batch fails for any reason but an unreachable database, its events are ingested one by
    one, so one bad event cannot fail the others.
    """

    def __init__(
        self,
        db: Database,
        *,
        preferred_policy: str,
        source: str = "webhook",
        max_batch: int = 100,
        max_in_flight: int = 2,
        stall_seconds: float = 0.05,
    ) -> None:
        self._db = db
        self._policy = preferred_policy
        self._source = source
        self._max_batch = max_batch
        self._max_in_flight = max_in_flight
        self._stall_seconds = stall_seconds
        self._queue: list[_Queued] = []
        # each batch running, with when it started (the event loop's clock)
        self._in_flight: dict[asyncio.Task[None], float] = {}
        self._wake: asyncio.TimerHandle | None = None

    async def ingest(self, event_id: str, payload_json: str, *, created_at: object) -> Outcome:
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._queue.append(_Queued(event_id, payload_json, mux_time(created_at), future))
        self._start_batches()
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            # The request gave up (its time limit): the batch still settles this future, and
            # whatever it ends with is read here, so asyncio has nothing left to complain of.
            future.add_done_callback(_retrieve)
            raise

    async def drain(self) -> None:
        """Wait until every batch queued or in flight has committed (or failed): at shutdown,
        before the pool closes."""
        while self._in_flight or self._queue:
            if self._in_flight:
                await asyncio.wait(list(self._in_flight))
            else:
                self._start_batches()

    def _start_batches(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue and self._may_start(loop):
            batch = self._queue[: self._max_batch]
            del self._queue[: self._max_batch]
            task = asyncio.create_task(self._run(batch))
            self._in_flight[task] = loop.time()
            task.add_done_callback(self._finished)

    def _may_start(self, loop: asyncio.AbstractEventLoop) -> bool:
        """Whether another batch may start now; if not only because the running ones are
        young, look again when the youngest has run `stall_seconds`."""
        if not self._in_flight:
            return True
        if len(self._in_flight) >= self._max_in_flight:
            return False
        due = max(self._in_flight.values()) + self._stall_seconds
        if loop.time() >= due:
            return True
        if self._wake is None or self._wake.when() > due:
            if self._wake is not None:
                self._wake.cancel()
            self._wake = loop.call_at(due, self._woken)
        return False

    def _woken(self) -> None:
        self._wake = None
        self._start_batches()

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.pop(task, None)
        self._start_batches()

    async def _run(self, batch: list[_Queued]) -> None:
        try:
            if len(batch) == 1:
                await self._one_by_one(batch)
                return
            try:
                rows = await self._db.call_all(
                    _INGEST_SET,
                    (
                        [item.payload_json for item in batch],
                        [item.created_at for item in batch],
                        self._policy,
                        self._source,
                        self._db.lock_timeout,
                    ),
                )
            except psycopg.Error as exc:
                if unreachable(exc):
                    raise
                # A lesson held elsewhere (lock timeout) or a value the set could not store:
                # each event alone, so the failure stays with its own.
                metrics.INGEST_EVENTS.labels("one_by_one").inc(len(batch))
                await self._one_by_one(batch)
                return
        except Exception as exc:
            waiting: list[_Queued] = []
            if unreachable(exc):
                # The database is unreachable: everything waiting would meet the same fate, so
                # answer it all now (503: Mux retries) rather than after a timeout each.
                waiting, self._queue = self._queue, []
            for item in batch + waiting:
                _settle(item.future, exception=exc)
            return
        _count_paths(rows)
        for row in rows:
            item = batch[row["idx"] - 1]
            _settle(
                item.future,
                Outcome(
                    item.event_id, row["inserted"], row["state"], row["lesson_id"], row["error"]
                ),
            )

    async def _one_by_one(self, batch: list[_Queued]) -> None:
        """Ingest each event alone, a few at a time (so one event stuck behind a locked
        lesson delays the others by nothing); an unreachable database is raised, other
        errors settle the event they belong to."""
        gate = asyncio.Semaphore(max(1, self._db.pool.max_size // (self._max_in_flight + 1)))

        async def one(item: _Queued) -> BaseException | None:
            async with gate:
                try:
                    outcome = await _ingest_one(
                        self._db,
                        item.event_id,
                        item.payload_json,
                        self._policy,
                        item.created_at,
                        self._source,
                    )
                except Exception as exc:
                    if unreachable(exc):
                        return exc
                    _settle(item.future, exception=exc)
                else:
                    _settle(item.future, outcome)
                return None

        lost = [exc for exc in await asyncio.gather(*(one(item) for item in batch)) if exc]
        if lost:
            raise lost[0]


def _count_paths(rows: list[dict[str, Any]]) -> None:
    """Events applied in the set, and those it left to the per-event path (`/metrics`)."""
    per_event = sum(1 for row in rows if row["per_event"])
    if per_event:
        metrics.INGEST_EVENTS.labels("per_event").inc(per_event)
    if len(rows) > per_event:
        metrics.INGEST_EVENTS.labels("set").inc(len(rows) - per_event)


def _settle(
    future: asyncio.Future[Outcome],
    outcome: Outcome | None = None,
    *,
    exception: BaseException | None = None,
) -> None:
    if future.done():
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        assert outcome is not None
        future.set_result(outcome)


def _retrieve(future: asyncio.Future[Outcome]) -> None:
    if not future.cancelled():
        future.exception()
