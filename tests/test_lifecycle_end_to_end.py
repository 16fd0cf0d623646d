"""A lesson video's whole life end to end: mux-python -> emulator -> signed webhooks ->
service and worker -> database, and the cleanup outbox carried out at the emulator."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from service.database.pool import Database
from service.settings import Settings
from tests.factories import lesson_row
from tests.test_end_to_end import ORIGIN, SAMPLE, World, _upload_url, _wait_for_status, _world
from tests.tokens import hs256

JWT = "e2e-jwt-secret-of-at-least-32-characters"


@pytest.fixture
def world(db: Database, webhook_settings: Settings) -> Iterator[World]:
    yield from _world(
        webhook_settings,
        {
            "mux_generated_subtitles": (("en", "English (generated)"),),
            "mux_static_renditions": ("highest",),
        },
    )


async def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 20
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def _put_file(url: str) -> None:
    async with httpx.AsyncClient(timeout=10) as browser:
        put = await browser.put(url, content=SAMPLE.read_bytes(), headers={"Origin": ORIGIN})
    assert put.status_code == 200


async def _owner(db: Database, lesson: uuid.UUID) -> uuid.UUID:
    row = await db.call(
        "select c.owner_id from lessons l join courses c on c.id = l.course_id where l.id = %s",
        (lesson,),
    )
    assert row is not None
    return uuid.UUID(str(row["owner_id"]))


async def _api(
    world: World,
    db: Database,
    lesson: uuid.UUID,
    method: str,
    path: str,
    body: dict[str, str] | None = None,
) -> httpx.Response:
    token = hs256(await _owner(db, lesson), secret=JWT)
    async with httpx.AsyncClient(base_url=world.service.url, timeout=10) as http:
        return await http.request(
            method,
            path,
            json=body,
            headers={"Authorization": f"Bearer {token}", "Origin": ORIGIN},
        )


async def test_upload_replace_remove_leaves_nothing_at_mux(world: World, db: Database) -> None:
    store = world.emulator.app.state.store
    lesson, first = await _upload_url(world, db)
    await _put_file(first["url"])
    old = await _wait_for_status(db, lesson, "published")

    replaced = await _api(world, db, lesson, "POST", "/api/mux/upload", {"lessonId": str(lesson)})
    assert replaced.status_code == 201
    assert old["mux_asset_id"] in store.assets  # still playing while the new one uploads
    # The answer carries the video as it now is: uploading, the old video still playing.
    shown = replaced.json()["video"]
    assert (shown["status"], shown["playbackId"]) == ("uploading", old["mux_playback_id"])
    await _put_file(replaced.json()["url"])
    await _until(
        lambda: old["mux_asset_id"] not in store.assets, "the replaced asset deleted at Mux"
    )
    new = await lesson_row(db, lesson)
    assert (new["status"], new["mux_upload_id"]) == ("published", replaced.json()["uploadId"])

    removed = await _api(world, db, lesson, "DELETE", f"/api/lessons/{lesson}/video")
    assert removed.status_code == 202 and removed.json()["status"] == "draft"
    await _until(lambda: not store.assets, "every asset deleted at Mux")
    assert store.requests["delete_asset"] == 2
    assert sum(e["type"] == "video.asset.deleted" for e in store.sent_events) == 2
    assert (await lesson_row(db, lesson))["status"] == "draft"


async def test_a_lesson_deleted_in_sql_takes_its_asset_with_it(world: World, db: Database) -> None:
    store = world.emulator.app.state.store
    lesson, upload = await _upload_url(world, db)
    await _put_file(upload["url"])
    row = await _wait_for_status(db, lesson, "published")
    async with db.service_session() as conn:  # e.g. the Supabase dashboard
        await conn.execute("delete from lessons where id = %s", (lesson,))
    await _until(lambda: row["mux_asset_id"] not in store.assets, "the asset deleted at Mux")


async def test_cancel_cancels_at_mux_and_returns_the_lesson_to_draft(
    world: World, db: Database
) -> None:
    store = world.emulator.app.state.store
    lesson, upload = await _upload_url(world, db)
    response = await _api(world, db, lesson, "DELETE", f"/api/lessons/{lesson}/upload")
    assert response.status_code == 200 and response.json()["status"] == "draft"
    await _until(
        lambda: store.uploads[upload["uploadId"]].status == "cancelled", "the upload cancelled"
    )
    await _until(
        lambda: any(e["type"] == "video.upload.cancelled" for e in store.sent_events),
        "the cancel webhook",
    )
    await asyncio.sleep(0.3)  # the webhook is delivered, recorded and ignored
    assert (await lesson_row(db, lesson))["status"] == "draft"


async def test_captions_and_downloads_appear_in_the_video_json(world: World, db: Database) -> None:
    lesson, upload = await _upload_url(world, db)
    settings = world.emulator.app.state.store.uploads[upload["uploadId"]].new_asset_settings
    assert settings["inputs"] == [
        {"generated_subtitles": [{"language_code": "en", "name": "English (generated)"}]}
    ]
    assert settings["static_renditions"] == [{"resolution": "highest"}]
    await _put_file(upload["url"])
    await _wait_for_status(db, lesson, "published")

    async def video() -> dict[str, object]:
        return (await _api(world, db, lesson, "GET", f"/api/lessons/{lesson}/video")).json()

    deadline = time.monotonic() + 20
    shown = await video()
    while not (shown["captions"] and shown["downloads"] and shown["downloads"][0]["url"]):
        assert time.monotonic() < deadline, shown
        await asyncio.sleep(0.05)
        shown = await video()
    [caption] = shown["captions"]
    assert (caption["languageCode"], caption["name"], caption["status"]) == (
        "en",
        "English (generated)",
        "ready",
    )
    [download] = shown["downloads"]
    playback = shown["playbackId"]
    assert download == {
        "name": "highest.mp4",
        "resolution": "highest",
        "status": "ready",
        "url": f"https://stream.mux.com/{playback}/highest.mp4",
    }


@pytest.fixture
def chaotic_world(db: Database, webhook_settings: Settings) -> Iterator[World]:
    yield from _world(webhook_settings, None, duplicate_probability=0.5, reorder_window=0.3, seed=5)


async def test_replace_and_remove_under_duplicated_reordered_webhooks(
    chaotic_world: World, db: Database
) -> None:
    world = chaotic_world
    store = world.emulator.app.state.store
    lessons = []
    for _ in range(3):
        lesson, upload = await _upload_url(world, db)
        await _put_file(upload["url"])
        lessons.append(lesson)
    uploads = {}
    for lesson in lessons:
        await _wait_for_status(db, lesson, "published")
        replaced = await _api(
            world, db, lesson, "POST", "/api/mux/upload", {"lessonId": str(lesson)}
        )
        uploads[lesson] = replaced.json()["uploadId"]
        await _put_file(replaced.json()["url"])
    current = set()
    for lesson in lessons:
        deadline = time.monotonic() + 20
        row = await lesson_row(db, lesson)
        while row["mux_upload_id"] != uploads[lesson] or row["status"] != "published":
            assert time.monotonic() < deadline, row
            await asyncio.sleep(0.05)
            row = await lesson_row(db, lesson)
        current.add(row["mux_asset_id"])
    await _until(lambda: set(store.assets) == current, "only the replacements left at Mux")
    for lesson in lessons:
        removed = await _api(world, db, lesson, "DELETE", f"/api/lessons/{lesson}/video")
        assert removed.status_code == 202
    await _until(lambda: not store.assets, "every asset deleted at Mux")
    assert store.requests["delete_asset"] == 6
    assert store.stats()["webhooks"].get("duplicated", 0) >= 1
    for lesson in lessons:
        assert (await lesson_row(db, lesson))["status"] == "draft"
