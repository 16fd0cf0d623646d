"""Carrying out the cleanup outbox (`mux_cleanups`): Mux assets to delete, uploads to cancel.

The intent is written by the state machine in the same transaction as its cause (a replaced
video published, a video removed, an upload cancelled, a lesson deleted), so it cannot be
lost. Here each due row is claimed `FOR UPDATE SKIP LOCKED` inside a transaction that also
holds it through the Mux call and records the answer: a worker killed mid-call leaves the row
to the next one, and since Mux's 404 counts as done, doing it twice is harmless. Failures are
retried with exponential backoff and become `dead` after WORKER_MAX_ATTEMPTS; each run makes
at most CLEANUP_MAX_MUX_CALLS calls.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from service.database.listing import StateListing
from service.database.pool import Connection, Database
from service.mux.client import MuxClient, MuxError, MuxNotFound, MuxRejected
from service.settings import Settings
from service.telemetry import metrics

log = logging.getLogger(__name__)

COLUMNS = (
    "id, action, object_id, lesson_id, reason, state::text as state, attempts, last_error, "
    "outcome, next_attempt_at, created_at, done_at"
)
# An upload that can no longer be cancelled because it is over: nothing left to cancel.
_UPLOAD_OVER = ("cancelled", "timed_out", "errored")


@dataclass(frozen=True)
class CleanupResult:
    id: int
    action: str
    object_id: str
    state: str
    attempts: int
    error: str | None


@dataclass(frozen=True)
class _Answer:
    done: bool
    message: str
    calls: int
    follow_up_asset: str | None = None


async def run(
    db: Database,
    mux: MuxClient,
    settings: Settings,
    *,
    lesson_id: uuid.UUID | None = None,
    max_calls: int | None = None,
) -> list[CleanupResult]:
    """Carry out due cleanups (only `lesson_id`'s when given) until none is due or the call
    budget is spent."""
    budget = settings.cleanup_max_mux_calls if max_calls is None else max_calls
    results: list[CleanupResult] = []
    while budget > 0:
        async with db.service_session() as conn:
            row = await _claim(conn, settings, lesson_id)
            if row is None:
                break
            answer = await _carry_out(mux, row)
            budget -= answer.calls
            result = await _finish(conn, settings, row, answer)
        results.append(result)
        metrics.CLEANUPS.labels(result.action, result.state).inc()
        fields = {
            "cleanup_id": result.id,
            "action": result.action,
            "object_id": result.object_id,
            "state": result.state,
            "attempts": result.attempts,
        }
        if result.state == "done":
            log.info("Mux cleanup done", extra=fields)
        else:
            log.warning("Mux cleanup not done", extra={**fields, "error": result.error})
    return results


async def _claim(
    conn: Connection, settings: Settings, lesson_id: uuid.UUID | None
) -> dict[str, Any] | None:
    cur = await conn.execute(
        "select id, action, object_id from public.mux_cleanup_claim(%s, %s)",
        (timedelta(seconds=settings.superseded_asset_retention_seconds), lesson_id),
    )
    return await cur.fetchone()


async def _carry_out(mux: MuxClient, row: dict[str, Any]) -> _Answer:
    object_id: str = row["object_id"]
    if row["action"] == "delete_asset":
        try:
            await mux.delete_asset(object_id)
        except MuxNotFound:
            return _Answer(True, "Mux has no such asset (already deleted)", 1)
        except MuxError as exc:
            return _Answer(False, str(exc), 1)
        return _Answer(True, "asset deleted at Mux", 1)
    try:
        await mux.cancel_upload(object_id)
    except MuxNotFound:
        return _Answer(True, "Mux has no such upload", 1)
    except MuxRejected:
        # Mux refuses to cancel an upload that is no longer waiting: the file may already
        # have become an asset, which then has to go instead.
        return await _after_refused_cancel(mux, object_id)
    except MuxError as exc:
        return _Answer(False, str(exc), 1)
    return _Answer(True, "upload cancelled at Mux", 1)


async def _after_refused_cancel(mux: MuxClient, upload_id: str) -> _Answer:
    try:
        upload = await mux.get_upload(upload_id)
    except MuxNotFound:
        return _Answer(True, "Mux has no such upload", 2)
    except MuxError as exc:
        return _Answer(False, str(exc), 2)
    if upload.asset_id:
        return _Answer(True, f"upload already became asset {upload.asset_id}", 2, upload.asset_id)
    if upload.status in _UPLOAD_OVER:
        return _Answer(True, f"upload already {upload.status}", 2)
    return _Answer(False, f"Mux refused to cancel the upload (status {upload.status})", 2)


async def _finish(
    conn: Connection, settings: Settings, row: dict[str, Any], answer: _Answer
) -> CleanupResult:
    cur = await conn.execute(
        "select id, action, object_id, state::text as state, attempts, last_error as error "
        "from public.mux_cleanup_finish(%s, %s, %s, %s, %s, %s, %s)",
        (
            row["id"],
            answer.done,
            answer.message,
            settings.worker_max_attempts,
            settings.worker_retry_base_seconds,
            settings.worker_retry_max_seconds,
            answer.follow_up_asset,
        ),
    )
    finished = await cur.fetchone()
    assert finished is not None
    return CleanupResult(**finished)


list_cleanups = StateListing(
    "mux_cleanups", COLUMNS, "mux_cleanup_state", "created_at desc, id desc"
)


async def replay(db: Database, cleanup_id: int) -> dict[str, Any] | None:
    """Make a failed or dead cleanup due again now; None when there is no such cleanup (or it
    is done already)."""
    return await db.call(f"select {COLUMNS} from public.mux_cleanup_replay(%s)", (cleanup_id,))
