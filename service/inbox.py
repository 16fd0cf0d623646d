"""The inbox: verified Mux events are stored once, then run through the state machine.

Both steps happen in one database call (`mux_ingest_event`), in one transaction, so a
webhook costs one round trip and an event is never applied without being stored.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from service.db import Database


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
