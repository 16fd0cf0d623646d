"""Right after an author's route answers, carry out at Mux what its change scheduled (the
cleanup outbox, `mux/cleanup_outbox.py`: assets to delete, uploads to cancel), so a removed
video or a deleted lesson is gone from Mux at once. Whatever cannot be done now (Mux
unavailable, more than a few calls) the worker retries; the outbox row was written in the
same transaction as the change, so nothing is lost.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from starlette.background import BackgroundTask
from starlette.requests import Request

from service.database.pool import Database
from service.mux import cleanup_outbox
from service.mux.client import MuxClient
from service.settings import Settings

log = logging.getLogger(__name__)

CALLS_PER_LESSON = 4
MAX_CALLS = 40  # a whole course's lessons at once: the rest is the worker's


def clean_up_now(request: Request, lesson_ids: Iterable[uuid.UUID]) -> BackgroundTask:
    """A background task for the response: the lessons' due cleanups, bounded in Mux calls."""
    db: Database = request.app.state.database
    mux: MuxClient = request.app.state.mux
    settings: Settings = request.app.state.settings
    lessons = list(lesson_ids)

    async def run() -> None:
        budget = MAX_CALLS
        for lesson_id in lessons:
            if budget <= 0:
                return
            try:
                done = await cleanup_outbox.run(
                    db, mux, settings, lesson_id=lesson_id, max_calls=min(CALLS_PER_LESSON, budget)
                )
            except Exception:
                log.exception("immediate Mux cleanup failed; the worker will retry")
                return
            budget -= max(1, len(done))

    return BackgroundTask(run)
