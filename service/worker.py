"""The inbox worker: retries failed events, re-applies parked ones, carries out the Mux
cleanup outbox, reconciles periodically, and deletes settled events past their retention.

Any number of workers (and service instances) can run against one database: events are
claimed with `FOR UPDATE SKIP LOCKED`, one transaction each, so a worker killed mid-event
leaves it untouched for the next. Stopping (SIGTERM/SIGINT) finishes the event in hand.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta

from service.database.pool import Database
from service.ingest import stored_events
from service.ingest.reconciler import Reconciler
from service.mux import cleanup_outbox
from service.mux.client import MuxClient
from service.settings import Settings

log = logging.getLogger(__name__)

BATCH = 100
SWEEP_INTERVAL_SECONDS = 30.0
# Inbox retention: small deletes (short transactions, no long lock on the inbox), a bounded
# number per sweep so a first run on a large backlog never starves the event work.
PRUNE_BATCH = 500
PRUNE_BATCHES_PER_SWEEP = 20


class Worker:
    def __init__(self, db: Database, settings: Settings, mux: MuxClient | None = None) -> None:
        self.db = db
        self.settings = settings
        self.mux = mux
        self.reconciler = Reconciler(db, mux, settings) if mux is not None else None
        self.processed = 0

    async def run(self, stop: asyncio.Event) -> None:
        log.info("worker started")
        next_sweep = next_reconcile = time.monotonic()
        while not stop.is_set():
            try:
                busy = await self.drain(stop)
                now = time.monotonic()
                if now >= next_sweep:
                    next_sweep = now + SWEEP_INTERVAL_SECONDS
                    rematched, expired = await stored_events.sweep_unmatched(self.db, self.settings)
                    busy = busy or rematched > 0
                    if rematched or expired:
                        log.info(
                            "unmatched events swept",
                            extra={"rematched": rematched, "expired": expired},
                        )
                    await self.prune(stop)
                if self.mux is not None:
                    cleaned = await cleanup_outbox.run(self.db, self.mux, self.settings)
                    busy = busy or any(c.state == "done" for c in cleaned)
                if self.reconciler is not None and now >= next_reconcile:
                    next_reconcile = now + self.settings.reconcile_interval_seconds
                    await self.reconciler.run()
            except Exception:
                log.exception("worker iteration failed; retrying shortly")
                busy = False
            if not busy:
                await _sleep_unless(stop, self.settings.worker_poll_seconds)
        log.info("worker stopped", extra={"processed": self.processed})

    async def prune(self, stop: asyncio.Event | None = None) -> int:
        """Delete settled inbox events older than INBOX_RETENTION_DAYS (0: keep them all),
        PRUNE_BATCH at a time; the number deleted."""
        days = self.settings.inbox_retention_days
        if days == 0:
            return 0
        deleted = 0
        for _ in range(PRUNE_BATCHES_PER_SWEEP):
            if stop is not None and stop.is_set():
                break
            n = await stored_events.prune(self.db, timedelta(days=days), PRUNE_BATCH)
            deleted += n
            if n < PRUNE_BATCH:
                break
        if deleted:
            log.info("settled inbox events deleted", extra={"deleted": deleted, "days": days})
        return deleted

    async def drain(self, stop: asyncio.Event | None = None) -> bool:
        """Apply due events until none is due (or BATCH done, or stop). True if any was."""
        done = 0
        while done < BATCH and not (stop is not None and stop.is_set()):
            result = await stored_events.work_next(self.db, self.settings)
            if result is None:
                break
            done += 1
            self.processed += 1
            fields = {
                "event_id": result.event_id,
                "state": result.state,
                "attempts": result.attempts,
                "lesson_id": str(result.lesson_id) if result.lesson_id else None,
            }
            if result.state in ("failed", "dead"):
                log.error("event not applied", extra={**fields, "error": result.error})
            else:
                log.info("event applied by worker", extra=fields)
        return done > 0


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
