"""The inbox: verified Mux events are stored once, then run through the state machine.

Storing and applying happen in one database call (`mux_ingest_event`), in one transaction,
so a webhook costs one round trip and an event is never applied without being stored. The
worker, the reconciler, the CLI and the status page use the other calls here; every one of
them applies events through the same SQL state machine.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from service.db import Database
from service.settings import Settings


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
    source: str = "webhook",
) -> Outcome:
    """Store the event (unless already stored) and apply it; raises only if it cannot be stored."""
    async with db.service_session() as conn:
        cur = await conn.execute(
            "select inserted, state::text as state, lesson_id, error "
            "from public.mux_ingest_event(%s::jsonb, %s, %s)",
            (payload_json, preferred_policy, source),
        )
        row = await cur.fetchone()
    assert row is not None
    return Outcome(event_id, row["inserted"], row["state"], row["lesson_id"], row["error"])


@dataclass(frozen=True)
class WorkResult:
    event_id: str
    state: str
    lesson_id: uuid.UUID | None
    error: str | None
    attempts: int


async def work_next(db: Database, settings: Settings) -> WorkResult | None:
    """Claim and apply the most overdue pending/failed event; None when nothing is due."""
    async with db.service_session() as conn:
        cur = await conn.execute(
            "select event_id, state::text as state, lesson_id, error, attempts "
            "from public.mux_work_next(%s, %s, %s, %s)",
            (
                settings.mux_playback_policy,
                settings.worker_max_attempts,
                settings.worker_retry_base_seconds,
                settings.worker_retry_max_seconds,
            ),
        )
        row = await cur.fetchone()
    return WorkResult(**row) if row else None


async def sweep_unmatched(db: Database, settings: Settings) -> tuple[int, int]:
    """Apply parked events a lesson now claims; expire old ones. Returns (rematched, expired)."""
    async with db.service_session() as conn:
        cur = await conn.execute(
            "select rematched, expired from public.mux_sweep_unmatched(%s, %s)",
            (settings.mux_playback_policy, timedelta(seconds=settings.unmatched_max_age_seconds)),
        )
        row = await cur.fetchone()
    assert row is not None
    return row["rematched"], row["expired"]


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


async def list_events(
    db: Database, *, state: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    async with db.service_session() as conn:
        cur = await conn.execute(
            f"select {EVENT_COLUMNS} from public.mux_events "
            "where %(state)s::public.mux_event_state is null or state = %(state)s "
            "order by received_at desc limit %(limit)s",
            {"state": state, "limit": limit},
        )
        return await cur.fetchall()


async def get_event(db: Database, event_id: str) -> dict[str, Any] | None:
    async with db.service_session() as conn:
        cur = await conn.execute(
            f"select {EVENT_COLUMNS}, payload from public.mux_events where id = %s", (event_id,)
        )
        return await cur.fetchone()
