"""Stored inbox events, for the worker, the CLI and the status page: claim and apply the next
due event, apply parked events a lesson now claims, replay one, list and show them. Every one
applies events through the same SQL state machine as the webhook route (`new_events`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from service.database.listing import StateListing
from service.database.pool import Database
from service.settings import Settings


@dataclass(frozen=True)
class WorkResult:
    event_id: str
    state: str
    lesson_id: uuid.UUID | None
    error: str | None
    attempts: int


async def work_next(db: Database, settings: Settings) -> WorkResult | None:
    """Claim and apply the most overdue pending/failed event; None when nothing is due."""
    row = await db.call(
        "select event_id, state::text as state, lesson_id, error, attempts "
        "from public.mux_work_next_bounded(%s, %s, %s, %s, %s)",
        (
            settings.mux_playback_policy,
            settings.worker_max_attempts,
            settings.worker_retry_base_seconds,
            settings.worker_retry_max_seconds,
            db.lock_timeout,
        ),
    )
    return WorkResult(**row) if row else None


async def sweep_unmatched(db: Database, settings: Settings) -> tuple[int, int]:
    """Apply parked events a lesson now claims; expire old ones. Returns (rematched, expired)."""
    row = await db.call(
        "select rematched, expired from public.mux_sweep_unmatched_bounded(%s, %s, %s)",
        (
            settings.mux_playback_policy,
            timedelta(seconds=settings.unmatched_max_age_seconds),
            db.lock_timeout,
        ),
    )
    assert row is not None
    return row["rematched"], row["expired"]


async def prune(db: Database, older_than: timedelta, limit: int) -> int:
    """Delete up to `limit` settled events (applied, ignored) received before `older_than`
    ago, oldest first; the number deleted. Pending, failed, unmatched and dead stay."""
    row = await db.call("select public.mux_events_prune(%s, %s) as deleted", (older_than, limit))
    assert row is not None
    return int(row["deleted"])


async def replay(db: Database, event_id: str, preferred_policy: str) -> WorkResult | None:
    """Apply a stored event again now (an operator's choice); None when there is no such event."""
    async with db.service_session() as conn:
        cur = await conn.execute(
            "select id from public.mux_events where id = %s for update", (event_id,)
        )
        if await cur.fetchone() is None:
            return None
        await conn.execute("select public.mux_process_event(%s, %s)", (event_id, preferred_policy))
        cur = await conn.execute(
            "select state::text as state, lesson_id, last_error as error, attempts "
            "from public.mux_events where id = %s",
            (event_id,),
        )
        row = await cur.fetchone()
    assert row is not None
    return WorkResult(event_id=event_id, **row)


EVENT_COLUMNS = (
    "id, type, state::text as state, attempts, last_error, outcome, lesson_id, source, "
    "upload_id, asset_id, received_at, mux_created_at, processed_at, next_attempt_at"
)


list_events = StateListing("mux_events", EVENT_COLUMNS, "mux_event_state", "received_at desc")


async def get_event(db: Database, event_id: str) -> dict[str, Any] | None:
    return await db.call(
        f"select {EVENT_COLUMNS}, payload from public.mux_events where id = %s", (event_id,)
    )
