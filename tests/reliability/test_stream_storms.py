"""Live streams under storms, against a real uvicorn process: a burst of opens, and a restart
with every client reconnecting at once. `make test` runs them with a few hundred streams;
`make soak` with thousands (SOAK_STREAMS)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from bench.harness import service_env
from bench.live_streams import Service, raise_file_limit, seed_published
from bench.sse_clients import SseClient, Tally, run_clients, stop_clients, wait_until

STREAMS = int(os.environ.get("SOAK_STREAMS", "300"))


@pytest.fixture
def service(database_url: str) -> Iterator[Service]:
    raise_file_limit()
    # A small pool: a burst of opens must be served by batching, not by connections.
    # Every client is anonymous and on 127.0.0.1: the anonymous caps are raised to let them in.
    env = service_env(
        database_url,
        DB_POOL_MAX="3",
        LIVE_MAX_STREAMS=str(STREAMS + 50),
        LIVE_MAX_ANONYMOUS_STREAMS=str(STREAMS + 40),
        LIVE_MAX_STREAMS_PER_ADDRESS=str(STREAMS + 40),
    )
    running = Service(env)
    running.start()
    yield running
    running.stop()


def _lessons(database_url: str) -> list[uuid.UUID]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("truncate courses, auth.users cascade")
    return seed_published(database_url, STREAMS)


def _clients(service: Service, lessons: list[uuid.UUID], tally: Tally) -> list[SseClient]:
    return [
        SseClient("127.0.0.1", service.port, f"/api/lessons/{lesson}/events", tally)
        for lesson in lessons
    ]


@pytest.mark.slow
async def test_a_burst_of_opens_is_served_without_errors(
    database_url: str, service: Service
) -> None:
    lessons = _lessons(database_url)
    tally = Tally()
    # Half on their own lessons, half on one lesson: both paths at once.
    clients = _clients(service, lessons[: STREAMS // 2] + [lessons[-1]] * (STREAMS // 2), tally)
    stop = asyncio.Event()
    tasks = await run_clients(clients, stop)
    try:
        await wait_until(lambda: all(c.first_event_at for c in clients), 60)
    finally:
        await stop_clients(stop, tasks)
    assert dict(tally.statuses) == {200: len(clients)}


@pytest.mark.slow
async def test_after_a_crash_every_client_comes_back_and_catches_up(
    database_url: str, service: Service
) -> None:
    lessons = _lessons(database_url)
    tally = Tally()
    clients = _clients(service, lessons, tally)
    stop = asyncio.Event()
    tasks = await run_clients(clients, stop)
    try:
        await wait_until(lambda: all(c.first_event_at for c in clients), 60)
        service.kill()
        with psycopg.connect(database_url, autocommit=True) as conn:  # changed while down
            conn.execute(
                "update lessons set duration_seconds = duration_seconds + 1 where id = any(%s)",
                (lessons[::3],),
            )
            newest = dict(
                conn.execute(
                    "select id, video_version from lessons where id = any(%s)", (lessons,)
                ).fetchall()
            )
        before, reconnected_before = dict(tally.statuses), tally.connects
        service.start()
        await wait_until(
            lambda: (
                tally.connects - reconnected_before >= len(clients)
                and all(
                    c.version >= newest[lesson] for c, lesson in zip(clients, lessons, strict=True)
                )
            ),
            30,
        )
    finally:
        await stop_clients(stop, tasks)
    after = {status: n - before.get(status, 0) for status, n in tally.statuses.items()}
    assert after.get(200, 0) >= len(clients)
    assert not any(status >= 500 and status != 503 for status in after), after
