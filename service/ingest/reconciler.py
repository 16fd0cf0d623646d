"""The reconciler: asks Mux about lessons that have waited too long for a webhook.

Webhooks can be lost (a misconfigured endpoint, an outage longer than Mux retries). Lessons
stuck in `uploading` or `processing` beyond a threshold are looked up with one Mux call each,
and what Mux reports is stored in the inbox as a synthesized event (source `reconcile`) and
applied by the same state machine, so history stays complete. Each run makes at most
`RECONCILE_MAX_MUX_CALLS` calls, so this can never turn into the polling it replaces; a
lease (a row in `service_leases`, not a session lock, so it holds through a transaction
pooler) lets only one instance reconcile at a time.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from service.database.pool import Database
from service.ingest import new_events
from service.mux.client import MuxClient, MuxError, MuxNotFound
from service.settings import Settings
from service.telemetry import metrics

log = logging.getLogger(__name__)

LEASE = "reconciler"
LEASE_SECONDS = 900
"""Longer than any run (bounded by RECONCILE_MAX_MUX_CALLS); frees a crashed holder's lease."""
_TAKE_LEASE = """
insert into public.service_leases as l (name, holder, expires_at)
values (%s, %s, now() + make_interval(secs => %s))
on conflict (name) do update set holder = excluded.holder, expires_at = excluded.expires_at
  where l.expires_at < now()
returning holder
"""
_RELEASE_LEASE = "delete from public.service_leases where name = %s and holder = %s returning name"

_UPLOAD_EVENTS = {
    "asset_created": "video.upload.asset_created",
    "errored": "video.upload.errored",
    "cancelled": "video.upload.cancelled",
    "timed_out": "video.upload.cancelled",
}
_ASSET_EVENTS = {"ready": "video.asset.ready", "errored": "video.asset.errored"}


@dataclass(frozen=True)
class ReconcileReport:
    stuck: int
    mux_calls: int
    fixed: int
    skipped_locked: bool = False


def synthesized_event(event_type: str, data: dict[str, Any], status: str) -> dict[str, Any]:
    """A Mux-shaped envelope for what Mux reported; its id is stable, so it is stored once."""
    kind = event_type.split(".")[1]
    return {
        "type": event_type,
        "id": f"reconcile-{kind}-{data['id']}-{status}",
        "created_at": data.get("created_at"),
        "object": {"type": kind, "id": data["id"]},
        "environment": None,
        "data": data,
        "attempts": [],
    }


class Reconciler:
    def __init__(self, db: Database, mux: MuxClient, settings: Settings) -> None:
        self.db = db
        self.mux = mux
        self.settings = settings

    async def run(self) -> ReconcileReport:
        """One run, counted (`mux_lessons_reconcile_runs_total`, `..._repairs_total`)."""
        try:
            report = await self._leased_run()
        except Exception:
            metrics.RECONCILE_RUNS.labels("failed").inc()
            raise
        metrics.RECONCILE_RUNS.labels("skipped" if report.skipped_locked else "done").inc()
        metrics.RECONCILE_REPAIRS.inc(report.fixed)
        return report

    async def _leased_run(self) -> ReconcileReport:
        holder = uuid.uuid4().hex
        if await self.db.call(_TAKE_LEASE, (LEASE, holder, LEASE_SECONDS)) is None:
            return ReconcileReport(0, 0, 0, skipped_locked=True)
        try:
            return await self._run()
        finally:
            await self.db.call(_RELEASE_LEASE, (LEASE, holder), retry_broken=True)

    async def _stuck_lessons(self) -> list[dict[str, Any]]:
        return await self.db.call_all(
            """select id, status::text as status, mux_upload_id, mux_asset_id
                   from public.lessons
                   where (status = 'uploading' and status_changed_at < now() - %s)
                      or (status = 'processing' and status_changed_at < now() - %s)
                   order by status_changed_at
                   limit %s""",
            (
                timedelta(seconds=self.settings.reconcile_uploading_after_seconds),
                timedelta(seconds=self.settings.reconcile_processing_after_seconds),
                self.settings.reconcile_max_mux_calls,
            ),
        )

    async def _run(self) -> ReconcileReport:
        stuck = await self._stuck_lessons()
        calls = fixed = 0
        for lesson in stuck:  # at most RECONCILE_MAX_MUX_CALLS: one Mux call each
            calls += 1
            try:
                event = await self._ask_mux(lesson)
            except MuxError as exc:
                log.warning(
                    "reconcile: Mux lookup failed",
                    extra={"lesson_id": str(lesson["id"]), "error": str(exc)},
                )
                continue
            if event is None:
                continue
            outcome = await new_events.ingest(
                self.db,
                event["id"],
                json.dumps(event),
                preferred_policy=self.settings.mux_playback_policy,
                created_at=event["created_at"],
                source="reconcile",
            )
            if await self._status(lesson["id"]) != lesson["status"]:
                fixed += 1
            log.info(
                "reconcile: applied what Mux reports",
                extra={
                    "lesson_id": str(lesson["id"]),
                    "event_id": event["id"],
                    "event_type": event["type"],
                    "state": outcome.state,
                },
            )
        report = ReconcileReport(stuck=len(stuck), mux_calls=calls, fixed=fixed)
        log.info("reconcile run finished", extra=vars(report))
        return report

    async def _ask_mux(self, lesson: dict[str, Any]) -> dict[str, Any] | None:
        """One Mux call: the asset when the lesson has one, else its upload."""
        if lesson["mux_asset_id"]:
            try:
                asset = await self.mux.get_asset(lesson["mux_asset_id"])
            except MuxNotFound:
                gone = {"id": lesson["mux_asset_id"], "upload_id": lesson["mux_upload_id"]}
                return synthesized_event("video.asset.deleted", gone, "deleted")
            kind = _ASSET_EVENTS.get(asset.status)
            return synthesized_event(kind, asset.raw, asset.status) if kind else None
        if not lesson["mux_upload_id"]:
            return None
        upload = await self.mux.get_upload(lesson["mux_upload_id"])
        kind = _UPLOAD_EVENTS.get(upload.status)
        return synthesized_event(kind, upload.raw, upload.status) if kind else None

    async def _status(self, lesson_id: uuid.UUID) -> str | None:
        row = await self.db.call(
            "select status::text as status from public.lessons where id = %s", (lesson_id,)
        )
        return row["status"] if row else None
