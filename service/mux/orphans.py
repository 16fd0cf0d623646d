"""The orphan sweep: assets at Mux that no lesson (current or superseded upload) references.

`mux-lessons reconcile --orphans` pages through Mux's asset list (at most
RECONCILE_MAX_MUX_CALLS pages), skips assets younger than ORPHAN_GRACE_SECONDS (their
webhooks may still be on the way) and reports the rest; with `--delete` it schedules their
deletion in the cleanup outbox (re-checked in that transaction) and carries out as many as
the remaining call budget allows (the worker does the rest). Safe to run from cron: it only
ever deletes what the database has never heard of.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from service.database.pool import Database
from service.mux import cleanup_outbox
from service.mux.client import MuxClient
from service.settings import Settings

PAGE_SIZE = 100


@dataclass
class OrphanReport:
    scanned: int = 0
    mux_calls: int = 0
    complete: bool = False  # the whole list was read within the call budget
    orphans: list[str] = field(default_factory=list)
    scheduled: int = 0
    deleted: int = 0


async def sweep(
    db: Database,
    mux: MuxClient,
    settings: Settings,
    *,
    delete: bool = False,
    page_size: int = PAGE_SIZE,
) -> OrphanReport:
    report = OrphanReport()
    budget = settings.reconcile_max_mux_calls
    cutoff = time.time() - settings.orphan_grace_seconds
    cursor: str | None = None
    while report.mux_calls < budget:
        assets, cursor = await mux.list_assets(limit=page_size, cursor=cursor)
        report.mux_calls += 1
        report.scanned += len(assets)
        old = [a.id for a in assets if _created_at(a.raw) <= cutoff]
        if old:
            known = await db.call_all("select public.mux_known_asset_ids(%s) as id", (old,))
            report.orphans += [a for a in old if a not in {row["id"] for row in known}]
        if cursor is None or not assets:
            report.complete = True
            break
    if delete and report.orphans:
        row = await db.call("select public.mux_cleanup_enqueue_orphans(%s) as n", (report.orphans,))
        report.scheduled = row["n"] if row else 0
        remaining = budget - report.mux_calls
        if remaining > 0:
            done = await cleanup_outbox.run(db, mux, settings, max_calls=remaining)
            report.deleted = sum(
                1 for c in done if c.state == "done" and c.object_id in report.orphans
            )
    return report


def _created_at(raw: dict[str, object]) -> float:
    """Mux gives `created_at` as epoch seconds (a string); unknown counts as new (kept)."""
    try:
        return float(str(raw.get("created_at")))
    except ValueError:
        return time.time()
