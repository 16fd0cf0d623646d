"""The inbox worker: exactly-once application across workers, crash safety, retries."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from service.database.pool import Database
from service.ingest import stored_events
from service.settings import Settings
from service.worker import Worker
from tests.conftest import DbRoute
from tests.factories import create_course, create_lesson, create_user, lesson_row
from tests.mux_scenario import Video, attach_upload, deliver, inbox_rows

pytestmark = pytest.mark.pooler


async def _queue_events(db: Database, lessons: int) -> list[Video]:
    """`lessons` lessons with an upload each, and their 4 ready-path events queued `pending`."""
    owner = await create_user(db)
    course = await create_course(db, owner)
    videos = []
    for _ in range(lessons):
        video = Video(await create_lesson(db, owner, course))
        await attach_upload(db, video.lesson_id, video.upload_id)
        videos.append(video)
    rows = [
        (event["id"], event["type"], json.dumps(event))
        for video in videos
        for event in video.ready_path()
    ]
    async with db.service_session() as conn, conn.cursor() as cur:
        await cur.executemany(
            "insert into mux_events (id, type, payload) values (%s, %s, %s::jsonb)", rows
        )
    return videos


def _start_worker(route: DbRoute, env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "service", "worker", "--no-reconcile"],
        env={
            **env,
            **route.env(),
            "WORKER_POLL_SECONDS": "0.1",
            "LOG_LEVEL": "WARNING",
        },
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _counts(database_url: str) -> dict[str, int]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("select state::text, count(*) from mux_events group by 1").fetchall()
    return dict(rows)  # type: ignore[arg-type]


def _wait(condition: Any, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


async def test_two_workers_apply_1000_events_exactly_once(
    db: Database,
    database_url: str,
    db_route: DbRoute,
    repo_env: dict[str, str],
    tmp_path: Path,
) -> None:
    videos = await _queue_events(db, 250)
    workers = [_start_worker(db_route, repo_env, tmp_path) for _ in range(2)]
    try:
        _wait(lambda: _counts(database_url).get("applied", 0) == 1000)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        codes = [worker.wait(timeout=30) for worker in workers]
    assert codes == [0, 0], [w.stderr.read() for w in workers if w.stderr]
    rows = await inbox_rows(db)
    assert len(rows) == 1000
    assert {(r["state"], r["attempts"]) for r in rows} == {("applied", 1)}  # once each
    for video in videos[::25]:
        assert (await lesson_row(db, video.lesson_id))["status"] == "published"


async def test_worker_killed_mid_batch_loses_nothing_and_applies_nothing_twice(
    db: Database,
    database_url: str,
    db_route: DbRoute,
    repo_env: dict[str, str],
    tmp_path: Path,
) -> None:
    await _queue_events(db, 250)
    worker = _start_worker(db_route, repo_env, tmp_path)
    _wait(lambda: _counts(database_url).get("applied", 0) >= 100)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    assert _counts(database_url).get("pending", 0) > 0  # killed with work left
    restarted = _start_worker(db_route, repo_env, tmp_path)
    try:
        _wait(lambda: set(_counts(database_url)) <= {"applied", "dead"})
    finally:
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(timeout=30) == 0
    rows = await inbox_rows(db)
    assert {(r["state"], r["attempts"]) for r in rows} == {("applied", 1)}


async def test_failures_back_off_then_die_with_the_error_kept(
    db: Database, webhook_settings: Settings, client: Any
) -> None:
    settings = dataclasses.replace(
        webhook_settings, worker_max_attempts=3, worker_retry_base_seconds=0.05
    )
    owner = await create_user(db)
    video = Video(await create_lesson(db, owner))
    await attach_upload(db, video.lesson_id, video.upload_id)
    broken = video.asset_ready(playback_ids=[])
    await deliver(client, broken)  # attempt 1, from the webhook route
    worker = Worker(db, settings)
    delays = []
    for _ in range(2):
        async with db.service_session() as conn:
            cur = await conn.execute(
                "select next_attempt_at - now() as wait from mux_events where id = %s",
                (broken["id"],),
            )
            delays.append((await cur.fetchone())["wait"].total_seconds())
        while not await worker.drain():
            time.sleep(0.02)
    [row] = await inbox_rows(db)
    assert (row["state"], row["attempts"]) == ("dead", 3)
    assert "carries no playback id" in row["last_error"]
    # The first retry is due at once; the next after base * 2 ** (2 - 1), halved at most by jitter.
    assert delays[0] <= 0 < delays[1] <= 0.1
    assert await worker.drain() is False  # the dead stay dead


async def test_parked_asset_event_is_applied_once_a_lesson_learns_the_asset(
    db: Database, webhook_settings: Settings, client: Any
) -> None:
    owner = await create_user(db)
    video = Video(await create_lesson(db, owner))
    await attach_upload(db, video.lesson_id, video.upload_id)
    ready = video.asset_ready()
    del ready["data"]["upload_id"]  # names only the asset, which no lesson carries yet
    assert (await deliver(client, ready)).json()["state"] == "unmatched"
    await deliver(client, video.upload_asset_created())  # now the lesson carries the asset
    assert (await lesson_row(db, video.lesson_id))["status"] == "published"  # at once
    # One parked by a transaction racing that one (it read the lesson before the asset was
    # known, and committed after): the sweep applies it.
    track = video.track("ready")
    async with db.service_session() as conn:
        await conn.execute(
            "insert into mux_events (id, type, payload, state) values (%s, %s, %s, 'unmatched')",
            (track["id"], track["type"], json.dumps(track)),
        )
    assert await stored_events.sweep_unmatched(db, webhook_settings) == (1, 0)
    assert await db.call_all("select track_id from lesson_text_tracks") == [
        {"track_id": video.track_id}
    ]


async def test_unmatched_events_expire_into_ignored_with_a_reason(
    db: Database, webhook_settings: Settings, client: Any
) -> None:
    stray = Video(None).upload_created()
    await deliver(client, stray)
    async with db.service_session() as conn:
        await conn.execute(
            "update mux_events set received_at = now() - interval '8 days' where id = %s",
            (stray["id"],),
        )
    assert await stored_events.sweep_unmatched(db, webhook_settings) == (0, 1)
    [row] = await inbox_rows(db)
    assert row["state"] == "ignored" and row["outcome"].startswith("expired")


async def _events_in_every_state(db: Database, days_ago: int) -> dict[str, str]:
    """One stored event per inbox state, received `days_ago` days ago: {state: event id}."""
    ids = {}
    async with db.service_session() as conn:
        for state in ("pending", "applied", "ignored", "unmatched", "failed", "dead"):
            event = Video(None).asset_ready()
            await conn.execute(
                "insert into mux_events (id, type, payload, state, received_at) "
                "values (%s, %s, %s::jsonb, %s, now() - make_interval(days => %s))",
                (event["id"], event["type"], json.dumps(event), state, days_ago),
            )
            ids[state] = event["id"]
    return ids


async def _states_left(db: Database) -> dict[str, str]:
    return {row["id"]: row["state"] for row in await inbox_rows(db)}


async def test_settled_events_past_their_retention_go_work_and_recent_ones_stay(
    db: Database, webhook_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = await _events_in_every_state(db, days_ago=31)
    recent = await _events_in_every_state(db, days_ago=29)
    # More settled events than one batch, so the worker deletes in several.
    monkeypatch.setattr("service.worker.PRUNE_BATCH", 2)
    extra = [await _events_in_every_state(db, days_ago=40) for _ in range(3)]
    worker = Worker(db, dataclasses.replace(webhook_settings, inbox_retention_days=30))

    assert await worker.prune() == 2 + 3 * 2
    left = await _states_left(db)
    gone = {old["applied"], old["ignored"]} | {e[s] for e in extra for s in ("applied", "ignored")}
    assert not gone & set(left)
    for state in ("pending", "failed", "dead", "unmatched"):
        assert left[old[state]] == state
        assert all(left[e[state]] == state for e in extra)
    assert {left[i] for i in recent.values()} == set(recent)  # all six, untouched
    assert await worker.prune() == 0


async def test_a_sweep_deletes_a_bounded_number_and_zero_days_keeps_everything(
    db: Database, webhook_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(4):
        await _events_in_every_state(db, days_ago=90)
    keep = Worker(db, dataclasses.replace(webhook_settings, inbox_retention_days=0))
    assert await keep.prune() == 0 and len(await _states_left(db)) == 24

    monkeypatch.setattr("service.worker.PRUNE_BATCH", 2)
    monkeypatch.setattr("service.worker.PRUNE_BATCHES_PER_SWEEP", 3)
    worker = Worker(db, dataclasses.replace(webhook_settings, inbox_retention_days=30))
    assert await worker.prune() == 6  # 3 batches of 2, of the 8 settled ones
    assert await worker.prune() == 2
    assert len(await _states_left(db)) == 16
