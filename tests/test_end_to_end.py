"""End to end: the real mux-python client -> emulator -> signed webhooks -> service -> database."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from mux_emulator.app import create_app as create_emulator
from mux_emulator.config import EmulatorConfig
from mux_emulator.server import BackgroundServer
from service.app import create_app
from service.database.pool import Database
from service.settings import Settings
from tests.factories import create_lesson, create_user, lesson_row
from tests.mux_scenario import inbox_rows
from tests.tokens import hs256

pytestmark = pytest.mark.pooler

SAMPLE = Path(__file__).resolve().parent.parent / "demo" / "sample.mp4"
ORIGIN = "http://localhost:3000"
CHAOS = {
    "duplicate_probability": 0.5,
    "reorder_window": 0.3,
    "drop_event_types": ("video.asset.ready",),
    "seed": 11,
}


@dataclass
class World:
    emulator: BackgroundServer
    service: BackgroundServer
    config: EmulatorConfig


def _world(
    webhook_settings: Settings,
    settings_overrides: dict[str, object] | None = None,
    **chaos: object,
) -> Iterator[World]:
    config = EmulatorConfig(processing_seconds=0.2, retry_base_seconds=0.1, **chaos)
    emulator = BackgroundServer(create_emulator(config)).start()
    config.public_url = emulator.url
    settings = dataclasses.replace(
        webhook_settings,
        mux_api_url=emulator.url,
        mux_token_id=config.token_id,
        mux_token_secret=config.token_secret,
        mux_webhook_secrets=(config.webhook_secret,),
        supabase_jwt_secret="e2e-jwt-secret-of-at-least-32-characters",
        cors_allowed_origins=(ORIGIN,),
        worker_poll_seconds=0.1,
        reconcile_interval_seconds=1,
        reconcile_processing_after_seconds=1,
        **(settings_overrides or {}),
    )
    service = BackgroundServer(create_app(settings, with_worker=True)).start()
    config.webhook_urls = (f"{service.url}/api/webhooks/mux",)
    yield World(emulator, service, config)
    service.stop()
    emulator.stop()


@pytest.fixture
def world(db: Database, webhook_settings: Settings) -> Iterator[World]:
    yield from _world(webhook_settings)


@pytest.fixture
def chaotic_world(db: Database, webhook_settings: Settings) -> Iterator[World]:
    yield from _world(webhook_settings, **CHAOS)


async def _upload_url(world: World, db: Database) -> tuple[uuid.UUID, dict[str, str]]:
    author = await create_user(db)
    lesson = await create_lesson(db, author)
    token = hs256(author, secret="e2e-jwt-secret-of-at-least-32-characters")
    async with httpx.AsyncClient(base_url=world.service.url, timeout=10) as http:
        response = await http.post(
            "/api/mux/upload",
            json={"lessonId": str(lesson)},
            headers={"Authorization": f"Bearer {token}", "Origin": ORIGIN},
        )
    assert response.status_code == 201, response.text
    return lesson, response.json()


async def _wait_for_status(db: Database, lesson: uuid.UUID, status: str) -> dict[str, object]:
    deadline = time.monotonic() + 20
    while True:
        row = await lesson_row(db, lesson)
        if row["status"] == status:
            return row
        assert time.monotonic() < deadline, f"lesson stayed {row['status']}"
        await asyncio.sleep(0.05)


async def test_happy_path_publishes(world: World, db: Database) -> None:
    lesson, upload = await _upload_url(world, db)
    async with httpx.AsyncClient(timeout=10) as browser:
        put = await browser.put(
            upload["url"], content=SAMPLE.read_bytes(), headers={"Origin": ORIGIN}
        )
    assert put.status_code == 200
    row = await _wait_for_status(db, lesson, "published")
    assert (row["duration_seconds"], row["aspect_ratio"]) == (3.0, "16:9")
    store = world.emulator.app.state.store
    assert row["mux_playback_id"] == store.assets[row["mux_asset_id"]].playback_ids[0]["id"]
    assert store.requests["create_upload"] == 1 and store.requests["get_asset"] == 0


async def test_non_video_bytes_end_errored(world: World, db: Database) -> None:
    lesson, upload = await _upload_url(world, db)
    async with httpx.AsyncClient(timeout=10) as browser:
        await browser.put(upload["url"], content=b"%PDF-1.7 definitely not a video")
    row = await _wait_for_status(db, lesson, "errored")
    assert "could not be read as a video" in str(row["video_error"])


async def test_cancelled_upload_ends_cancelled(world: World, db: Database) -> None:
    lesson, upload = await _upload_url(world, db)
    auth = httpx.BasicAuth(world.config.token_id, world.config.token_secret)
    async with httpx.AsyncClient(base_url=world.emulator.url, auth=auth, timeout=10) as mux:
        response = await mux.put(f"/video/v1/uploads/{upload['uploadId']}/cancel")
    assert response.status_code == 200
    await _wait_for_status(db, lesson, "cancelled")


async def test_chaos_duplicates_reordering_and_a_lost_ready_still_publish(
    chaotic_world: World, db: Database
) -> None:
    lessons = []
    for _ in range(3):
        lesson, upload = await _upload_url(chaotic_world, db)
        async with httpx.AsyncClient(timeout=10) as browser:
            await browser.put(upload["url"], content=SAMPLE.read_bytes())
        lessons.append(lesson)
    for lesson in lessons:
        await _wait_for_status(db, lesson, "published")
    rows = await inbox_rows(db)
    assert len({r["id"] for r in rows}) == len(rows)  # duplicates stored once
    reconciled = [r for r in rows if r["id"].startswith("reconcile-")]
    assert {r["lesson_id"] for r in reconciled} == set(lessons)  # each lost `ready` repaired
    stats = chaotic_world.emulator.app.state.store.stats()
    assert stats["webhooks"]["dropped"] == 3 and stats["webhooks"]["duplicated"] >= 1
