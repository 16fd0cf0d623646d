"""The reconciler: repairs lessons whose webhooks never came, with a bounded number of calls."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from mux_emulator.store import Store
from service.database.pool import Database
from service.ingest.reconciler import Reconciler
from service.mux.client import MuxClient
from service.settings import Settings
from tests.factories import create_lesson, create_user, lesson_row
from tests.mux_scenario import Video, attach_upload, deliver, inbox_rows, upload_at_mux

pytestmark = pytest.mark.pooler


def _reconciler(db: Database, settings: Settings, **overrides: Any) -> Reconciler:
    settings = dataclasses.replace(
        settings,
        reconcile_uploading_after_seconds=60,
        reconcile_processing_after_seconds=60,
        **overrides,
    )
    return Reconciler(db, MuxClient(settings), settings)


async def _stuck_lesson(
    db: Database, client: httpx.AsyncClient, mux_store: Store, *, asset_status: str = "ready"
) -> tuple[uuid.UUID, Video]:
    """A lesson whose upload became an asset at Mux, but whose later webhooks never came."""
    lesson = await create_lesson(db, await create_user(db))
    upload = upload_at_mux(mux_store, lesson)
    asset = mux_store.new_asset(upload)
    asset.status = asset_status
    asset.duration, asset.aspect_ratio = 3.0, "16:9"
    video = Video(
        lesson, upload_id=upload.id, asset_id=asset.id, playback_id=asset.playback_ids[0]["id"]
    )
    await attach_upload(db, lesson, upload.id)
    await deliver(client, video.upload_asset_created())  # the only webhook that arrived
    await _age(db, lesson)
    return lesson, video


async def _age(db: Database, lesson: uuid.UUID) -> None:
    async with db.service_session() as conn:
        await conn.execute(
            "update lessons set status_changed_at = now() - interval '1 hour' where id = %s",
            (lesson,),
        )


async def test_a_lost_ready_webhook_is_repaired_by_one_run_with_one_call(
    db: Database, author_settings: Settings, client: httpx.AsyncClient, mux_store: Store
) -> None:
    lesson, video = await _stuck_lesson(db, client, mux_store)
    calls_before = sum(mux_store.requests.values())
    report = await _reconciler(db, author_settings).run()
    assert (report.stuck, report.mux_calls, report.fixed) == (1, 1, 1)
    assert sum(mux_store.requests.values()) - calls_before == 1
    row = await lesson_row(db, lesson)
    assert (row["status"], row["mux_playback_id"], row["duration_seconds"]) == (
        "published",
        video.playback_id,
        3.0,
    )
    synthesized = [r for r in await inbox_rows(db) if r["id"].startswith("reconcile-")]
    assert [(r["type"], r["state"]) for r in synthesized] == [("video.asset.ready", "applied")]
    again = await _reconciler(db, author_settings).run()
    assert (again.stuck, again.mux_calls) == (0, 0)


async def test_still_preparing_assets_are_left_alone(
    db: Database, author_settings: Settings, client: httpx.AsyncClient, mux_store: Store
) -> None:
    lesson, _ = await _stuck_lesson(db, client, mux_store, asset_status="preparing")
    report = await _reconciler(db, author_settings).run()
    assert (report.mux_calls, report.fixed) == (1, 0)
    assert (await lesson_row(db, lesson))["status"] == "processing"


async def test_a_lesson_stuck_uploading_learns_its_asset(
    db: Database, author_settings: Settings, client: httpx.AsyncClient, mux_store: Store
) -> None:
    lesson = await create_lesson(db, await create_user(db))
    upload = upload_at_mux(mux_store)
    asset = mux_store.new_asset(upload)
    await attach_upload(db, lesson, upload.id)
    await _age(db, lesson)
    report = await _reconciler(db, author_settings).run()
    assert (report.mux_calls, report.fixed) == (1, 1)
    row = await lesson_row(db, lesson)
    assert (row["status"], row["mux_asset_id"]) == ("processing", asset.id)


async def test_each_run_is_bounded_by_the_call_budget(
    db: Database, author_settings: Settings, client: httpx.AsyncClient, mux_store: Store
) -> None:
    for _ in range(5):
        await _stuck_lesson(db, client, mux_store)
    calls_before = sum(mux_store.requests.values())
    report = await _reconciler(db, author_settings, reconcile_max_mux_calls=2).run()
    assert (report.mux_calls, report.fixed) == (2, 2)
    assert sum(mux_store.requests.values()) - calls_before == 2


async def test_only_one_reconcile_runs_at_a_time(
    db: Database, author_settings: Settings, client: httpx.AsyncClient, mux_store: Store
) -> None:
    for _ in range(3):
        await _stuck_lesson(db, client, mux_store)
    reports = await asyncio.gather(
        _reconciler(db, author_settings).run(), _reconciler(db, author_settings).run()
    )
    assert sorted(r.skipped_locked for r in reports) == [False, True]
    assert sum(r.fixed for r in reports) == 3


async def test_runs_one_after_another_are_never_skipped(
    db: Database, author_settings: Settings
) -> None:
    """A session advisory lock would be taken on one server connection of a transaction
    pooler and released on another, leaking, so later runs would skip: the pooled run of this
    test catches it."""
    reports = []
    for _ in range(12):  # other work on the pool meanwhile, as in a running service
        report, *_ = await asyncio.gather(
            _reconciler(db, author_settings).run(),
            *(db.call("select pg_sleep(0.005)") for _ in range(3)),
        )
        reports.append(report)
    assert [r.skipped_locked for r in reports] == [False] * 12
    held = await db.call(
        "select count(*) as n from pg_locks where locktype = 'advisory' "
        "and database = (select oid from pg_database where datname = current_database())"
    )
    assert held == {"n": 0}  # nothing left behind on any server connection


async def test_a_crashed_runs_lease_expires_and_a_live_one_is_respected(
    db: Database, author_settings: Settings
) -> None:
    lease = (
        "insert into service_leases (name, holder, expires_at) "
        "values ('reconciler', 'another instance', now() + %s) "
        "on conflict (name) do update set expires_at = excluded.expires_at returning name"
    )
    await db.call(lease, (timedelta(minutes=5),))
    assert (await _reconciler(db, author_settings).run()).skipped_locked
    await db.call(lease, (timedelta(seconds=-1),))  # its holder died without releasing it
    assert not (await _reconciler(db, author_settings).run()).skipped_locked
