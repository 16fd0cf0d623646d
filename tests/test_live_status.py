"""Live lesson status over SSE, through a real server: changes arrive as they commit."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import uuid
from typing import Any

import httpx
import pytest

from devstack.pooler import PgBouncer
from mux_emulator.server import BackgroundServer
from service.app import create_app
from service.database.pool import Database
from service.live.hub import ALL_LESSONS, LiveHub
from service.live.items import HEARTBEAT, Ended
from service.live.sse import retry_hint, stream_changes
from service.live.visibility import ViewDecider
from service.live.watchers import Watchers
from service.settings import Settings
from tests.factories import create_lesson, create_user
from tests.mux_scenario import Video, attach_upload, deliver
from tests.sse_client import SseReader
from tests.tokens import hs256

pytestmark = pytest.mark.pooler


async def _lesson_with_upload(db: Database) -> tuple[uuid.UUID, Video]:
    author = await create_user(db)
    lesson = await create_lesson(db, author)
    video = Video(lesson)
    await attach_upload(db, lesson, video.upload_id)
    return author, video


async def test_client_sees_processing_then_published(
    db: Database, live_service: BackgroundServer
) -> None:
    author, video = await _lesson_with_upload(db)
    async with httpx.AsyncClient(base_url=live_service.url, timeout=10) as http:
        path = f"/api/lessons/{video.lesson_id}/events?access_token={hs256(author)}"
        async with http.stream("GET", path) as stream:
            events = SseReader(stream)
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            [first] = await events.read(1)
            assert (first["event"], first["data"]["status"]) == ("video", "uploading")
            await deliver(http, video.upload_asset_created())
            [processing] = await events.read(1)
            assert processing["data"]["status"] == "processing"
            await deliver(http, video.asset_ready())
            [published] = await events.read(1)
    assert published["data"]["status"] == "published"
    assert published["data"]["playbackId"] == video.playback_id
    assert int(first["id"]) < int(processing["id"]) < int(published["id"])


async def test_captions_and_downloads_arrive_live(
    db: Database, live_service: BackgroundServer
) -> None:
    author, video = await _lesson_with_upload(db)
    async with httpx.AsyncClient(base_url=live_service.url, timeout=10) as http:
        await deliver(http, video.asset_ready())
        path = f"/api/lessons/{video.lesson_id}/events?access_token={hs256(author)}"
        async with http.stream("GET", path) as stream:
            events = SseReader(stream)
            [first] = await events.read(1)
            assert (first["data"]["captions"], first["data"]["downloads"]) == ([], [])
            await deliver(http, video.track("ready"))
            [captioned] = await events.read(1)
            await deliver(http, video.rendition("ready"))
            [downloadable] = await events.read(1)
    assert captioned["data"]["captions"] == [
        {"trackId": video.track_id, "languageCode": "en", "name": "English", "status": "ready"}
    ]
    [download] = downloadable["data"]["downloads"]
    assert download["url"] == f"https://stream.mux.com/{video.playback_id}/highest.mp4"
    assert int(first["id"]) < int(captioned["id"]) < int(downloadable["id"])


async def test_reconnect_with_last_event_id_skips_the_state_it_has(
    db: Database, live_service: BackgroundServer
) -> None:
    author, video = await _lesson_with_upload(db)
    async with httpx.AsyncClient(base_url=live_service.url, timeout=10) as http:
        path = f"/api/lessons/{video.lesson_id}/events"
        headers = {"Authorization": f"Bearer {hs256(author)}"}
        async with http.stream("GET", path, headers=headers) as stream:
            events = SseReader(stream)
            [first] = await events.read(1)
        resumed = {**headers, "Last-Event-ID": first["id"]}
        async with http.stream("GET", path, headers=resumed) as stream:
            events = SseReader(stream)
            await deliver(http, video.upload_asset_created())
            [next_event] = await events.read(1)
    assert next_event["data"]["status"] == "processing"  # not the "uploading" it already had


async def test_stream_visibility_matches_the_video_route(
    db: Database, live_service: BackgroundServer
) -> None:
    _, video = await _lesson_with_upload(db)
    stranger = await create_user(db)
    async with httpx.AsyncClient(base_url=live_service.url, timeout=10) as http:
        path = f"/api/lessons/{video.lesson_id}/events"
        for query, status, code in (
            (f"?access_token={hs256(stranger)}", 404, "lesson_not_found"),
            ("", 404, "lesson_not_found"),
            ("?access_token=garbage", 401, "invalid_token"),
        ):
            response = await http.get(path + query)
            assert (response.status_code, response.json()["error"]["code"]) == (status, code)
        await deliver(http, video.asset_ready())
        async with http.stream("GET", path) as stream:  # published: anyone may watch
            events = SseReader(stream)
            [event] = await events.read(1)
    assert event["data"]["status"] == "published"


async def _tasks_on(server: BackgroundServer) -> int:
    async def count() -> int:
        return len(asyncio.all_tasks())

    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(count(), server.loop))


async def test_100_connect_disconnect_cycles_leak_nothing(
    db: Database, live_service: BackgroundServer
) -> None:
    author, video = await _lesson_with_upload(db)
    watchers = live_service.app.state.watchers
    pool = live_service.app.state.database.pool
    path = f"/api/lessons/{video.lesson_id}/events?access_token={hs256(author)}"
    async with httpx.AsyncClient(base_url=live_service.url, timeout=10) as http:
        async with http.stream("GET", path) as stream:  # warm up
            events = SseReader(stream)
            await events.read(1)
        await asyncio.sleep(0.2)
        tasks_before = await _tasks_on(live_service)
        for _ in range(100):
            async with http.stream("GET", path) as stream:
                events = SseReader(stream)
                await events.read(1)

    def all_returned() -> bool:  # a polling hub borrows a connection now and then
        stats = pool.get_stats()
        return bool(stats["pool_available"] == stats["pool_size"] <= pool.max_size)

    for _ in range(100):
        if (
            watchers.open_streams == 0
            and await _tasks_on(live_service) <= tasks_before
            and all_returned()
        ):
            break
        await asyncio.sleep(0.05)
    assert watchers.open_streams == 0 and watchers.watched_lessons == 0
    assert await _tasks_on(live_service) <= tasks_before
    assert all_returned()


async def test_streams_send_heartbeats_and_skip_what_the_client_has() -> None:
    queue: asyncio.Queue[Any] = asyncio.Queue()
    stream = stream_changes(
        queue,
        {"video_version": 1, "status": "uploading"},
        lambda row: f"state {row['status']}",
        sent_version=-1,
    )
    assert (await anext(stream)).startswith("retry: ")
    assert await anext(stream) == "state uploading"
    queue.put_nowait(HEARTBEAT)
    assert await anext(stream) == ": heartbeat\n\n"
    queue.put_nowait({"video_version": 3, "status": "published"})
    assert await anext(stream) == "state published"
    queue.put_nowait({"video_version": 2, "status": "processing"})  # older: not sent
    queue.put_nowait(HEARTBEAT)
    assert await anext(stream) == ": heartbeat\n\n"
    queue.put_nowait(Ended("not_visible"))
    assert "not_visible" in await anext(stream)
    with pytest.raises(StopAsyncIteration):
        await anext(stream)


async def test_every_stream_gets_a_heartbeat_every_15_seconds_in_turns() -> None:
    unused: Any = None  # no database: joining and leaving are bookkeeping only
    watchers = Watchers(LiveHub(unused, None), ViewDecider(unused))
    watches = [watchers.watch_lesson(uuid.uuid4(), None) for _ in range(45)]
    sizes = [len(bucket) for bucket in watchers._buckets]
    assert len(sizes) == 15 and set(sizes) == {3}  # spread evenly: 3 streams wake a second
    for watch in watches:
        watch.close()
    assert all(not bucket for bucket in watchers._buckets) and watchers.watched_lessons == 0


def test_retry_hints_are_spread_between_3_and_6_seconds() -> None:
    hints = {int(retry_hint().removeprefix("retry: ")) for _ in range(200)}
    assert min(hints) >= 3000 and max(hints) <= 6000 and len(hints) > 50


@pytest.mark.parametrize(
    "last_event_id", ["7", " 7 ", "not-a-number", "\u00b2", "\u0667", "9" * 400, "-7", "7.0", ""]
)
async def test_last_event_id_parsing(last_event_id: str) -> None:
    from starlette.requests import Request

    from service.live.sse import last_event_id as parse

    raw = last_event_id.encode("latin-1", errors="ignore") or last_event_id.encode()
    scope = {"type": "http", "headers": [(b"last-event-id", raw)]}
    assert parse(Request(scope)) == (7 if last_event_id.strip() == "7" else -1)


def _pooled_service(
    author_settings: Settings, bouncer: PgBouncer, database_url: str, session_url: str | None
) -> BackgroundServer:
    settings = dataclasses.replace(
        author_settings,
        database_url=bouncer.url(database_url),
        db_pool_mode="transaction",
        database_session_url=session_url,
        live_poll_seconds=0.5,
    )
    return BackgroundServer(create_app(settings)).start()


async def _seconds_to_published(service: BackgroundServer, db: Database) -> float:
    author, video = await _lesson_with_upload(db)
    async with httpx.AsyncClient(base_url=service.url, timeout=10) as http:
        path = f"/api/lessons/{video.lesson_id}/events?access_token={hs256(author)}"
        async with http.stream("GET", path) as stream:
            events = SseReader(stream)
            [first] = await events.read(1)
            assert first["data"]["status"] == "uploading"
            await deliver(http, video.asset_ready())
            answered = time.monotonic()
            [published] = await asyncio.wait_for(events.read(1), timeout=5)
    assert published["data"]["status"] == "published"
    return time.monotonic() - answered


@pytest.mark.parametrize("session_url", [None, "direct"])
async def test_behind_a_transaction_pooler_status_changes_reach_the_stream(
    db: Database,
    author_settings: Settings,
    pgbouncer: PgBouncer,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
    session_url: str | None,
) -> None:
    """With a session URL live status LISTENs on it; without one it polls, says so once at
    start-up and in /healthz, and still delivers a change within a second."""
    caplog.set_level(logging.WARNING, logger="service.live")
    service = _pooled_service(
        author_settings, pgbouncer, database_url, database_url if session_url else None
    )
    try:
        elapsed = await _seconds_to_published(service, db)
        async with httpx.AsyncClient(base_url=service.url) as http:
            health = (await http.get("/healthz")).json()
    finally:
        service.stop()
    degraded = [r for r in caplog.records if "live status degraded" in r.getMessage()]
    mode = health["detail"]["liveStatus"]["mode"]
    assert (mode, len(degraded)) == (("listen", 0) if session_url else ("poll", 1))
    assert elapsed < 1.0, f"published reached the stream {elapsed:.2f} s after the webhook"


async def test_a_polling_hub_feeds_lesson_streams_and_the_status_page(db: Database) -> None:
    """Without a session URL the hub polls: one query per tick serves every subscriber."""
    _, video = await _lesson_with_upload(db)
    _, other = await _lesson_with_upload(db)
    hub = LiveHub(db, None, poll_seconds=0.05)
    await hub.start()
    try:
        with hub.subscribe(video.lesson_id) as one, hub.subscribe(ALL_LESSONS) as everything:
            await asyncio.sleep(0.2)  # the first polls see the current versions
            for queue in (one, everything):
                while not queue.empty():
                    queue.get_nowait()
            async with db.service_session() as conn:
                await conn.execute(
                    "update lessons set status = 'processing', mux_asset_id = %s "
                    "where id = any(%s)",
                    (None, [video.lesson_id, other.lesson_id]),
                )
            change = await asyncio.wait_for(one.get(), timeout=5)
            seen = {(await asyncio.wait_for(everything.get(), timeout=5))["id"] for _ in range(2)}
    finally:
        await hub.stop()
    assert (change["id"], change["status"]) == (video.lesson_id, "processing")
    assert seen == {video.lesson_id, other.lesson_id}
    assert one.empty()  # the other lesson's change went only to the status page


async def _rest_of_stream(events: SseReader, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Every event until the server closes the stream."""
    seen: list[dict[str, Any]] = []
    try:
        while True:
            seen += await events.read(1, timeout=timeout)
    except StopAsyncIteration:
        return seen


async def test_a_stream_ends_when_its_lesson_stops_being_visible_to_the_viewer(
    db: Database, live_service: BackgroundServer
) -> None:
    """An anonymous viewer of a published lesson must not follow the author's re-upload (and
    Mux's error text): the stream re-checks visibility on every change and ends instead."""
    _, video = await _lesson_with_upload(db)
    reupload = Video(video.lesson_id)
    async with httpx.AsyncClient(base_url=live_service.url, timeout=10) as http:
        await deliver(http, video.upload_asset_created())
        await deliver(http, video.asset_ready())
        path = f"/api/lessons/{video.lesson_id}/events"
        async with http.stream("GET", path) as stream:  # anonymous: published, so visible
            events = SseReader(stream)
            [first] = await events.read(1)
            assert first["data"]["status"] == "published"
            await attach_upload(db, video.lesson_id, reupload.upload_id)  # back to uploading
            await deliver(http, reupload.upload_errored())
            rest = await _rest_of_stream(events)
        fresh = await http.get(path)
    assert rest == [{"event": "end", "data": {"reason": "not_visible"}}]
    assert fresh.status_code == 404


async def test_a_stream_ends_when_the_viewers_token_expires(
    db: Database, live_service: BackgroundServer
) -> None:
    author, video = await _lesson_with_upload(db)
    token = hs256(author, expires_in=2)
    async with httpx.AsyncClient(base_url=live_service.url, timeout=10) as http:
        path = f"/api/lessons/{video.lesson_id}/events?access_token={token}"
        async with http.stream("GET", path) as stream:
            events = SseReader(stream)
            [first] = await events.read(1)
            assert first["data"]["status"] == "uploading"
            [ended] = await events.read(1, timeout=6)  # no change needed to notice
            await deliver(http, video.upload_asset_created())
            rest = await _rest_of_stream(events)
    assert ended == {"event": "end", "data": {"reason": "token_expired"}}
    assert rest == []


async def test_an_expired_token_sees_no_change_that_arrives_before_the_stream_notices() -> None:
    queue: asyncio.Queue[Any] = asyncio.Queue()
    stream = stream_changes(
        queue,
        {"video_version": 1, "status": "uploading"},
        lambda row: f"state {row['status']}",
        sent_version=-1,
        expires=time.time() + 0.2,
    )
    assert (await anext(stream)).startswith("retry: ")
    assert await anext(stream) == "state uploading"
    await asyncio.sleep(0.3)
    queue.put_nowait({"video_version": 2, "status": "processing"})
    assert "token_expired" in await anext(stream)
    with pytest.raises(StopAsyncIteration):
        await anext(stream)
