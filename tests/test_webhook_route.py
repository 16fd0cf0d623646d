"""`POST /api/webhooks/mux` through HTTP: what is answered, and what is (not) stored."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
import logging
import socket
import time
from typing import Any

import httpx
import pytest

from mux_emulator.payloads import event
from service.app import create_app
from service.database.pool import Database
from service.ingest.new_events import IngestBatcher, mux_time
from service.settings import Settings
from tests.factories import create_lesson, create_user, lesson_row
from tests.mux_scenario import Video, attach_upload, deliver, inbox_rows, signed_request

pytestmark = pytest.mark.pooler

URL = "/api/webhooks/mux"


def _signed(body: bytes, **kwargs: Any) -> dict[str, str]:
    return signed_request(body, **kwargs)[1]


async def _lesson_with_upload(db: Database) -> Video:
    lesson = await create_lesson(db, await create_user(db))
    video = Video(lesson)
    await attach_upload(db, lesson, video.upload_id)
    return video


async def test_a_verified_event_is_stored_and_applied(
    client: httpx.AsyncClient, db: Database
) -> None:
    video = await _lesson_with_upload(db)
    ready = video.asset_ready()
    response = await client.post(
        URL, content=json.dumps(ready).encode(), headers=_signed(json.dumps(ready).encode())
    )
    assert response.status_code == 200
    assert response.json() == {
        "received": True,
        "eventId": ready["id"],
        "state": "applied",
        "duplicate": False,
    }
    [row] = await inbox_rows(db)
    assert (row["id"], row["state"], row["attempts"], row["lesson_id"]) == (
        ready["id"],
        "applied",
        1,
        video.lesson_id,
    )
    assert (await lesson_row(db, video.lesson_id))["status"] == "published"


async def test_duplicate_delivery_is_200_and_changes_nothing(
    client: httpx.AsyncClient, db: Database
) -> None:
    video = await _lesson_with_upload(db)
    ready = video.asset_ready()
    assert (await deliver(client, ready)).status_code == 200
    before = await lesson_row(db, video.lesson_id)
    again = await deliver(client, ready)
    assert again.status_code == 200
    assert again.json()["duplicate"] is True and again.json()["state"] == "applied"
    assert await lesson_row(db, video.lesson_id) == before
    assert [r["attempts"] for r in await inbox_rows(db)] == [1]


async def test_replay_of_a_captured_request_ten_minutes_later_is_refused(
    client: httpx.AsyncClient, db: Database
) -> None:
    captured = Video(None).upload_created()
    response = await deliver(client, captured, timestamp=int(time.time()) - 600)
    assert response.status_code == 401
    assert await inbox_rows(db) == []


async def test_rotated_out_secret_accepted_while_configured_then_refused(
    db: Database, webhook_settings: Settings
) -> None:
    both = dataclasses.replace(webhook_settings, mux_webhook_secrets=("new-secret", "old-secret"))
    only_new = dataclasses.replace(webhook_settings, mux_webhook_secrets=("new-secret",))
    for settings, expected in ((both, 200), (only_new, 401)):
        app = create_app(settings, database=db)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await deliver(http, Video(None).upload_created(), secret="old-secret")
        assert response.status_code == expected


async def test_unknown_event_type_is_200_and_recorded_as_ignored(
    client: httpx.AsyncClient, db: Database
) -> None:
    live = event("video.live_stream.active", {"id": "ls1", "status": "active"})
    response = await deliver(client, live)
    assert response.status_code == 200 and response.json()["state"] == "ignored"
    [row] = await inbox_rows(db)
    assert (row["state"], row["outcome"]) == ("ignored", "event type not used by this service")


async def test_oversized_body_is_413_without_reading_it(
    client: httpx.AsyncClient, db: Database, webhook_settings: Settings
) -> None:
    limit = webhook_settings.webhook_max_body_bytes
    body = b'{"pad": "' + b"x" * limit + b'"}'
    response = await client.post(URL, content=body, headers=_signed(body))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"

    async def streamed():  # no Content-Length: the limit is enforced while reading
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536

    response = await client.post(URL, content=streamed(), headers={"Mux-Signature": "t=1,v1=0"})
    assert response.status_code == 413
    assert await inbox_rows(db) == []


async def test_event_that_cannot_be_applied_is_stored_failed_and_answered_200(
    client: httpx.AsyncClient, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    video = await _lesson_with_upload(db)
    await deliver(client, video.upload_asset_created())
    ready_without_playback = video.asset_ready(playback_ids=[])
    response = await deliver(client, ready_without_playback)
    assert response.status_code == 200 and response.json()["state"] == "failed"
    rows = {r["id"]: r for r in await inbox_rows(db)}
    failed = rows[ready_without_playback["id"]]
    assert failed["state"] == "failed" and "carries no playback id" in failed["last_error"]
    assert (await lesson_row(db, video.lesson_id))["status"] == "processing"
    assert any(
        r.message == "webhook stored but not applied"
        and getattr(r, "event_id", None) == ready_without_playback["id"]
        for r in caplog.records
    )


async def test_database_down_is_503_so_mux_retries(webhook_settings: Settings) -> None:
    down = Database("postgresql://postgres@127.0.0.1:1/postgres", min_size=0, max_size=1, timeout=1)
    await down.open()
    try:
        app = create_app(webhook_settings, database=down)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            started = time.monotonic()
            response = await deliver(http, Video(None).upload_created())
            elapsed = time.monotonic() - started
    finally:
        await down.close()
    assert elapsed < 1.5  # within the pool timeout (1 s), not a retry's second wait after it
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"
    assert response.headers["retry-after"] == "5"


async def test_route_makes_no_network_call_besides_the_database(
    client: httpx.AsyncClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """libpq talks to Postgres from C; any Python-level socket connection would be another call."""
    video = await _lesson_with_upload(db)
    attempts: list[object] = []

    def forbidden(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise AssertionError(f"unexpected network call to {address}")

    monkeypatch.setattr(socket.socket, "connect", forbidden)
    monkeypatch.setattr(socket.socket, "connect_ex", forbidden)
    for payload in video.ready_path():
        assert (await deliver(client, payload)).status_code == 200
    assert attempts == []
    assert (await lesson_row(db, video.lesson_id))["status"] == "published"


async def test_a_failing_event_in_a_concurrent_batch_fails_alone(
    client: httpx.AsyncClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Concurrent deliveries are stored in batches; one that cannot be applied must not take
    the others down with it (the batch is retried event by event)."""
    batch_sizes: list[int] = []
    original = db.call_all

    async def counting_call_all(query: str, params: Any, **kwargs: Any) -> list[dict[str, Any]]:
        if "mux_ingest_batch" in query:
            batch_sizes.append(len(params[0]))
        return await original(query, params, **kwargs)

    monkeypatch.setattr(db, "call_all", counting_call_all)
    videos = [await _lesson_with_upload(db) for _ in range(20)]
    broken = videos[10].asset_ready(playback_ids=[])  # mid-burst: inside a multi-event batch
    events = [video.asset_ready() for video in videos]
    events[10] = broken
    responses = await asyncio.gather(*(deliver(client, payload) for payload in events))
    assert [r.status_code for r in responses] == [200] * 20
    assert max(batch_sizes) > 1  # the batch path really ran
    states = {r["id"]: r["state"] for r in await inbox_rows(db)}
    assert states.pop(broken["id"]) == "failed"
    assert set(states.values()) == {"applied"}
    for video in videos[:10] + videos[11:]:
        assert (await lesson_row(db, video.lesson_id))["status"] == "published"


async def test_a_steady_stream_of_deliveries_is_stored_and_applied(
    client: httpx.AsyncClient, db: Database
) -> None:
    """Each statement runs many times on each pooled connection. Through a transaction pooler
    a server-side prepared statement would be made on one server connection and used on
    another: the pooled run of this test catches it."""
    videos = [await _lesson_with_upload(db) for _ in range(8)]
    paths = [video.ready_path() for video in videos]
    for path in paths:
        for payload in path:
            assert (await deliver(client, payload)).status_code == 200
    again = await asyncio.gather(*(deliver(client, path[-1]) for path in paths))
    assert [r.json()["duplicate"] for r in again] == [True] * len(videos)
    rows = await inbox_rows(db)
    assert len(rows) == 4 * len(videos)
    assert {r["state"] for r in rows} <= {"applied", "ignored"}, rows
    for video in videos:
        assert (await lesson_row(db, video.lesson_id))["status"] == "published"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-06-10T22:20:11.102000Z", "2024-06-10T22:20:11.102000+00:00"),
        (1718058241, "2024-06-10T22:24:01+00:00"),
        ("1718058241", "2024-06-10T22:24:01+00:00"),
        ("not a time", None),
        (None, None),
        (True, None),
    ],
)
def test_mux_timestamps_are_read_in_both_of_muxs_formats(value: object, expected: str | None):
    parsed = mux_time(value)
    assert (parsed.isoformat() if parsed else None) == expected


async def test_a_delivery_that_gives_up_leaves_no_unretrieved_exception(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A request's time limit can end before its batch does; when the batch then fails (no
    connection came free), nobody is left waiting, and asyncio must not find an exception
    nobody read ("Future exception was never retrieved")."""
    db = Database(database_url, min_size=1, max_size=1, timeout=0.5)
    await db.open()
    batcher = IngestBatcher(db, preferred_policy="public")
    payload = json.dumps(Video(None).upload_created())
    try:
        async with db.pool.connection():  # the only connection, held: the batch times out
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(
                    batcher.ingest("evt_gave_up", payload, created_at=None), 0.05
                )
            await batcher.drain()
    finally:
        await db.close()
    del batcher
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        gc.collect()
        await asyncio.sleep(0)
    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()]
