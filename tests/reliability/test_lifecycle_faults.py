"""Faults during Mux cleanups: Mux down while assets are being deleted, and the worker
SIGKILLed mid-deletion. Every asset ends deleted at Mux, each cleanup done once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from bench.harness import seed_lessons
from mux_emulator.app import create_app as create_emulator
from mux_emulator.config import EmulatorConfig
from mux_emulator.server import BackgroundServer
from mux_emulator.store import Store
from tests.mux_scenario import upload_at_mux
from tests.reliability.outage_support import wait_for

LESSONS = 12


@pytest.fixture
def emulator() -> Iterator[BackgroundServer]:
    server = BackgroundServer(create_emulator(EmulatorConfig())).start()
    yield server
    server.stop()


def _lessons_with_assets(database_url: str, store: Store) -> list[str]:
    """LESSONS published lessons, each playing an asset the emulator holds; then their course
    is deleted (as from the dashboard), which schedules every asset's deletion."""
    seed_lessons(database_url, 0, LESSONS)
    assets = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        for i in range(LESSONS):
            upload = upload_at_mux(store)
            asset = store.new_asset(upload)
            assets.append(asset.id)
            conn.execute(
                "update lessons set status = 'published', mux_upload_id = %s, mux_asset_id = %s, "
                "mux_playback_id = %s where mux_upload_id = %s",
                (upload.id, asset.id, asset.playback_ids[0]["id"], f"bench-upload-{i}"),
            )
        conn.execute("delete from courses")
        scheduled = conn.execute("select count(*) from mux_cleanups").fetchone()
    assert scheduled == (LESSONS,)
    return assets


def _worker(
    database_url: str, emulator: BackgroundServer, tmp_path: Path
) -> subprocess.Popen[bytes]:
    config: EmulatorConfig = emulator.app.state.config
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MUX_", "SUPABASE_"))}
    env.update(
        DATABASE_URL=database_url,
        MUX_API_URL=emulator.url,
        MUX_TOKEN_ID=config.token_id,
        MUX_TOKEN_SECRET=config.token_secret,
        LOG_LEVEL="WARNING",
        APP_ENV="test",
        WORKER_POLL_SECONDS="0.1",
        WORKER_RETRY_BASE_SECONDS="0.05",
        WORKER_RETRY_MAX_SECONDS="0.2",
        WORKER_MAX_ATTEMPTS="100",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "service", "worker"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _cleanup_states(database_url: str) -> dict[str, int]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "select state::text, count(*) from mux_cleanups group by state"
        ).fetchall()
    return {state: n for state, n in rows}


def _deleted_events(store: Store) -> list[str]:
    return [e["data"]["id"] for e in store.sent_events if e["type"] == "video.asset.deleted"]


def test_mux_down_during_deletion_completes_when_it_is_back(
    db: object, database_url: str, emulator: BackgroundServer, tmp_path: Path
) -> None:
    store: Store = emulator.app.state.store
    assets = _lessons_with_assets(database_url, store)
    store.fault_status, store.fault_count = 503, 10_000
    worker = _worker(database_url, emulator, tmp_path)
    try:
        wait_for(
            lambda: _cleanup_states(database_url).get("failed", 0) == LESSONS,
            what="every deletion tried and failed while Mux is down",
        )
        assert set(store.assets) == set(assets)
        store.fault_count = 0  # Mux is back
        wait_for(lambda: _cleanup_states(database_url) == {"done": LESSONS}, what="all done")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    assert store.assets == {}
    assert sorted(_deleted_events(store)) == sorted(assets)


def test_worker_killed_mid_deletion_completes_after_restart_once(
    db: object, database_url: str, emulator: BackgroundServer, tmp_path: Path
) -> None:
    store: Store = emulator.app.state.store
    config: EmulatorConfig = emulator.app.state.config
    assets = _lessons_with_assets(database_url, store)
    config.api_delay = 0.3  # each Mux call takes a while: the kill lands mid-call
    worker = _worker(database_url, emulator, tmp_path)
    try:
        wait_for(lambda: store.requests["delete_asset"] >= 2, what="deletions under way")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        assert _cleanup_states(database_url).get("done", 0) < LESSONS
        worker = _worker(database_url, emulator, tmp_path)
        wait_for(lambda: _cleanup_states(database_url) == {"done": LESSONS}, what="all done")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    assert store.assets == {}
    assert sorted(_deleted_events(store)) == sorted(assets)  # each asset deleted once
    with psycopg.connect(database_url) as conn:
        attempts = conn.execute("select max(attempts) from mux_cleanups").fetchone()
    assert attempts == (1,)  # the killed call was never recorded; redone once, as done
