"""Graceful shutdown: on SIGTERM every live stream ends with a short `retry:` and
`end: shutting_down`, the process exits without waiting for its clients, and the clients
come back (here: to the restarted process on the same port) and catch up. Webhook batches in
flight commit before the pool closes; `/readyz` says 503 while draining."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from bench.harness import service_env
from bench.live_streams import Service, seed_published
from bench.sse_clients import SseClient, Tally, run_clients, stop_clients, wait_until
from service.app import create_app
from service.database.pool import Database
from service.ingest.new_events import IngestBatcher
from service.settings import Settings
from tests.factories import create_lesson, create_user
from tests.mux_scenario import Video, attach_upload, inbox_rows


@pytest.fixture
def service(database_url: str) -> Iterator[Service]:
    running = Service(service_env(database_url, ADMIN_TOKEN="admin-token"))
    running.start()
    yield running
    running.stop()


async def test_sigterm_ends_every_stream_with_a_retry_hint_and_clients_reconnect(
    database_url: str, service: Service
) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("truncate courses, auth.users cascade")
    lessons = seed_published(database_url, 6)
    with psycopg.connect(database_url, autocommit=True) as conn:
        course = conn.execute("select course_id from lessons where id = %s", (lessons[0],))
        course_id = course.fetchone()[0]  # type: ignore[index]
    tally = Tally()
    seen: list[tuple[SseClient, str, Any, int]] = []

    def record(client: SseClient, kind: str, data: dict[str, Any], _: float) -> None:
        seen.append((client, kind, data, client.retry_ms))

    paths = [f"/api/lessons/{lesson}/events" for lesson in lessons]
    paths += [f"/api/courses/{course_id}/events", f"/api/lessons/{lessons[0]}/events"]
    clients = [SseClient("127.0.0.1", service.port, path, tally, on_event=record) for path in paths]
    stop = asyncio.Event()
    tasks = await run_clients(clients, stop)
    try:
        await wait_until(
            lambda: (
                tally.connects == len(clients)
                and all(any(c is client for c, *_ in seen) for client in clients)
            ),
            30,
        )
        assert all(3000 <= client.retry_ms <= 6000 for client in clients)  # the usual hint
        assert service.child is not None
        started = time.monotonic()
        service.child.send_signal(signal.SIGTERM)
        await asyncio.to_thread(service.child.wait, 15)
        exited_after = time.monotonic() - started
        await wait_until(lambda: all(client.ended for client in clients), 5)
        with psycopg.connect(database_url, autocommit=True) as conn:  # changed while down
            conn.execute(
                "update lessons set duration_seconds = duration_seconds + 1 where id = %s",
                (lessons[1],),
            )
            newest = conn.execute(
                "select video_version from lessons where id = %s", (lessons[1],)
            ).fetchone()[0]  # type: ignore[index]
        before = tally.connects
        service.start()
        await wait_until(
            lambda: tally.connects - before >= len(clients) and clients[1].version >= newest, 20
        )
    finally:
        await stop_clients(stop, tasks)
    # Nothing held the process: it did not wait for its streams' clients to leave.
    assert exited_after < 10
    for client in clients:
        assert client.ended == "shutting_down"
        last = [entry for entry in seen if entry[0] is client and entry[1] == "end"]
        assert last and last[-1][2] == {"reason": "shutting_down"}
        assert 1000 <= last[-1][3] <= 3000  # the shutdown's own, shorter retry hint
    assert dict(tally.statuses) == {200: tally.connects}


def test_admin_stream_ends_at_shutdown(database_url: str, service: Service) -> None:
    with httpx.stream(
        "GET",
        f"{service.url}/admin/stream",
        headers={"Authorization": "Bearer admin-token"},
        timeout=10,
    ) as response:
        assert response.status_code == 200
        lines = response.iter_lines()
        assert any(line == "event: snapshot" for line in _until(lines, "event: snapshot"))
        assert service.child is not None
        service.child.send_signal(signal.SIGTERM)
        rest = list(lines)
    assert "event: end" in rest
    assert json.loads(rest[rest.index("event: end") + 1].removeprefix("data: ")) == {
        "reason": "shutting_down"
    }
    service.child.wait(10)


def _until(lines: Iterator[str], wanted: str) -> Iterator[str]:
    for line in lines:
        yield line
        if line == wanted:
            return


async def test_readyz_and_new_streams_refused_while_draining(
    db: Database, webhook_settings: Settings
) -> None:
    app = create_app(webhook_settings, database=db)
    lesson = await create_lesson(db, await create_user(db))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        assert (await http.get("/readyz")).status_code == 200
        app.state.shutdown.begin()
        ready = await http.get("/readyz")
        assert (ready.status_code, ready.json()["code"]) == (503, "shutting_down")
        refused = await http.get(f"/api/lessons/{lesson}/events")
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "shutting_down"
        assert refused.headers["retry-after"]


async def test_batches_in_flight_commit_before_shutdown_completes(db: Database) -> None:
    videos = []
    for _ in range(30):
        video = Video(await create_lesson(db, await create_user(db)))
        await attach_upload(db, video.lesson_id, video.upload_id)
        videos.append(video)
    batcher = IngestBatcher(db, preferred_policy="public")
    events = [video.asset_ready() for video in videos]
    pending = [
        asyncio.ensure_future(batcher.ingest(e["id"], json.dumps(e), created_at=e["created_at"]))
        for e in events
    ]
    await asyncio.sleep(0)  # the requests are in; their batches are running or queued
    await batcher.drain()
    assert all(task.done() for task in pending)
    assert {row["id"] for row in await inbox_rows(db)} == {e["id"] for e in events}
