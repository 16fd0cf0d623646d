"""Faults: the database stops mid-burst, the service is killed mid-burst. Nothing is lost,
nothing is applied twice, and Mux is never told 2xx for an event that was not stored."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from bench.harness import seed_lessons
from bench.workload import lesson_events
from devstack.ports import free_port
from mux_emulator.app import create_app as create_emulator
from mux_emulator.config import EmulatorConfig
from mux_emulator.server import BackgroundServer
from mux_emulator.signing import signature_header
from service.app import create_app
from service.database import migrations
from service.database.pool import Database
from service.ingest import stored_events as events
from service.settings import Settings
from tests.mux_scenario import TEST_SECRET, inbox_rows
from tests.reliability.outage_support import emit_from_emulator, in_flight, wait_for
from tests.tokens import JWT_SECRET, hs256

LESSONS = 60


def _emulator() -> tuple[BackgroundServer, EmulatorConfig]:
    config = EmulatorConfig(retry_base_seconds=0.1, max_attempts=40, seed=3)
    server = BackgroundServer(create_emulator(config)).start()
    config.public_url = server.url
    return server, config


def _events(first: int, count: int) -> list[dict[str, object]]:
    return [event for i in range(first, first + count) for event in lesson_events(i)]


def _check_everything_applied(url: str, emulator: BackgroundServer, lessons: int) -> None:
    sent = [event["id"] for event in emulator.app.state.store.sent_events]
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select id, state::text, attempts from mux_events where id = any(%s)", (sent,)
        ).fetchall()
        published = conn.execute(
            "select count(*) from lessons where status = 'published'"
        ).fetchone()
    assert len(rows) == len(sent) == len(set(sent))  # every event stored, once
    assert {(state, attempts) for _, state, attempts in rows} == {("applied", 1)}
    assert published == (lessons,)


@pytest.fixture
def embedded_postgres(tmp_path: Path) -> Iterator[object]:
    import pgserver

    server = pgserver.get_server(str(tmp_path / "pg"), cleanup_mode="stop")
    yield server
    server.cleanup()


def test_database_outage_mid_burst_loses_nothing(embedded_postgres: object) -> None:
    from pgserver._commands import pg_ctl

    pg = embedded_postgres
    url = pg.get_uri()
    migrations.migrate(url)
    seed_lessons(url, 0, LESSONS)
    emulator, config = _emulator()
    settings = Settings(
        app_env="test",
        database_url=url,
        db_pool_min=1,
        db_pool_max=4,
        mux_webhook_secrets=(config.webhook_secret,),
    )
    service = BackgroundServer(create_app(settings)).start()
    config.webhook_urls = (f"{service.url}/api/webhooks/mux",)
    store = emulator.app.state.store
    third = LESSONS // 3
    health: list[int] = []
    try:
        emit_from_emulator(emulator, _events(0, third))
        wait_for(lambda: in_flight(emulator) == 0, what="first third delivered")

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pg.pgdata, user=pg.system_user)
        emit_from_emulator(emulator, _events(third, third))
        wait_for(lambda: store.responses["503"] >= 5, what="503 answers during the outage")
        health.append(httpx.get(f"{service.url}/healthz", timeout=5).status_code)
        pg.ensure_postgres_running()

        emit_from_emulator(emulator, _events(2 * third, LESSONS - 2 * third))
        wait_for(lambda: in_flight(emulator) == 0, what="every delivery acknowledged")
        health.append(httpx.get(f"{service.url}/healthz", timeout=5).status_code)
    finally:
        service.stop()
        emulator.stop()
    assert health == [503, 200]
    assert set(store.responses) == {"200", "503"}, store.responses  # never 2xx unstored
    _check_everything_applied(url, emulator, LESSONS)


def _serve(port: int, database_url: str, secret: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MUX_", "SUPABASE_"))}
    env.update(
        DATABASE_URL=database_url,
        MUX_WEBHOOK_SECRET=secret,
        LOG_LEVEL="WARNING",
        WORKER_POLL_SECONDS="0.1",
        APP_ENV="test",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "service", "serve", "--with-worker", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _up(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_service_and_worker_killed_mid_burst_lose_nothing_and_apply_nothing_twice(
    db: object, database_url: str, tmp_path: Path
) -> None:
    worker_lessons = 100  # events already queued for the worker, so it is mid-batch too
    seed_lessons(database_url, 0, LESSONS + worker_lessons)
    queued = _events(LESSONS, worker_lessons)
    with psycopg.connect(database_url, autocommit=True) as conn, conn.cursor() as cur:
        cur.executemany(
            "insert into mux_events (id, type, payload) values (%s, %s, %s::jsonb)",
            [(e["id"], e["type"], json.dumps(e)) for e in queued],
        )
    emulator, config = _emulator()
    port = free_port()
    config.webhook_urls = (f"http://127.0.0.1:{port}/api/webhooks/mux",)
    store = emulator.app.state.store
    service = _serve(port, database_url, config.webhook_secret, tmp_path)
    try:
        wait_for(lambda: _up(port), what="service up")
        emit_from_emulator(emulator, _events(0, LESSONS))
        wait_for(lambda: store.responses["200"] >= 40, what="part of the burst stored")
        os.kill(service.pid, signal.SIGKILL)
        service.wait(timeout=10)
        time.sleep(0.5)  # deliveries fail meanwhile; Mux retries them
        service = _serve(port, database_url, config.webhook_secret, tmp_path)
        wait_for(lambda: in_flight(emulator) == 0, what="every delivery acknowledged")
        with psycopg.connect(database_url) as conn:
            wait_for(
                lambda: (
                    conn.execute(
                        "select count(*) from mux_events where state <> 'applied'"
                    ).fetchone()
                    == (0,)
                ),
                what="worker finished",
            )
    finally:
        service.send_signal(signal.SIGTERM)
        service.wait(timeout=30)
        emulator.stop()
    assert store.deliveries["failed_attempts"] > 0  # the crash really cost deliveries
    _check_everything_applied(database_url, emulator, LESSONS + worker_lessons)
    with psycopg.connect(database_url) as conn:
        applied_once = conn.execute(
            "select count(*) from mux_events where attempts = 1 and state = 'applied' "
            "and id = any(%s)",
            ([e["id"] for e in queued],),
        ).fetchone()
    assert applied_once == (len(queued),)


# --- one lesson held by a long transaction; the database unreachable or its pool exhausted ---


def _signed(event: dict[str, object], secret: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event).encode()
    return body, {"Mux-Signature": signature_header(body, secret, int(time.time()))}


async def test_one_locked_lesson_holds_up_no_webhook(db: Database, database_url: str) -> None:
    """A long transaction (a dashboard edit, say) holds one lesson's row while webhooks for it
    and for 100 other lessons arrive at once: every one is answered within the pool timeout,
    the other lessons are published, and the held lesson's event is stored for the worker,
    which applies it once the row is free. (The report's 15-second lock is held here for as
    long as the burst takes: no answer waited for it.)"""
    owner = seed_lessons(database_url, 0, 101)
    settings = Settings(
        app_env="test",
        database_url=database_url,
        mux_webhook_secrets=(TEST_SECRET,),
        supabase_jwt_secret=JWT_SECRET,
    )
    assert (settings.db_pool_timeout_seconds, settings.db_lock_timeout_seconds) == (2.0, 0.5)
    held = await psycopg.AsyncConnection.connect(database_url)
    await held.execute("select 1 from lessons where mux_upload_id = 'bench-upload-0' for update")
    locked_at = time.monotonic()
    server = BackgroundServer(create_app(settings)).start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            await http.get("/healthz")  # pool warm

            async def deliver(index: int) -> tuple[float, httpx.Response]:
                body, headers = _signed(lesson_events(index)[3], TEST_SECRET)  # asset ready
                started = time.monotonic()
                response = await http.post("/api/webhooks/mux", content=body, headers=headers)
                return time.monotonic() - started, response

            answers = await asyncio.gather(*(deliver(i) for i in range(101)))
            author = await http.post(
                "/api/lessons/update-upload-id",
                json={"lessonId": await _lesson_id(db, 0), "muxUploadId": "bench-upload-0"},
                headers={"Authorization": f"Bearer {hs256(owner)}"},
            )
            still_locked = time.monotonic() - locked_at
    finally:
        server.stop()
        await held.rollback()
        await held.close()
    slowest = max(elapsed for elapsed, _ in answers)
    assert slowest < settings.db_pool_timeout_seconds, slowest
    assert still_locked < 30  # the lock really was held throughout
    assert {response.status_code for _, response in answers} == {200}
    states = [response.json()["state"] for _, response in answers]
    assert states[0] == "failed" and set(states[1:]) == {"applied"}
    assert (author.status_code, author.json()["error"]["code"]) == (503, "database_unavailable")
    [stuck] = [row for row in await inbox_rows(db) if row["state"] == "failed"]
    assert "lock timeout" in stuck["last_error"]
    result = await events.work_next(db, settings)  # the row is free now: the worker applies it
    assert result is not None and (result.event_id, result.state) == (stuck["id"], "applied")
    async with db.service_session() as conn:
        cur = await conn.execute("select status::text as s, count(*) as n from lessons group by 1")
        assert await cur.fetchall() == [{"s": "published", "n": 101}]


async def _lesson_id(db: Database, index: int) -> str:
    row = await db.call(
        "select id::text as id from lessons where mux_upload_id = %s", (f"bench-upload-{index}",)
    )
    assert row is not None
    return str(row["id"])


async def _every_author_route_answers_503(app_settings: Settings, database: Database) -> float:
    app = create_app(app_settings, database=database)
    user = uuid.uuid4()
    lesson = uuid.uuid4()
    headers = {"Authorization": f"Bearer {hs256(user)}"}
    slowest = 0.0
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        for method, path, body in (
            ("POST", "/api/mux/upload", {"lessonId": str(lesson)}),
            (
                "POST",
                "/api/lessons/update-upload-id",
                {"lessonId": str(lesson), "muxUploadId": "u1"},
            ),
            ("GET", f"/api/lessons/{lesson}", None),
            ("GET", f"/api/courses/{lesson}", None),
            ("GET", f"/api/lessons/{lesson}/video", None),
            ("GET", f"/api/lessons/{lesson}/events", None),
            ("DELETE", f"/api/lessons/{lesson}/upload", None),
            ("DELETE", f"/api/lessons/{lesson}/video", None),
        ):
            started = time.monotonic()
            response = await http.request(method, path, json=body, headers=headers)
            slowest = max(slowest, time.monotonic() - started)
            assert (response.status_code, response.json()["error"]["code"]) == (
                503,
                "database_unavailable",
            ), (path, response.text)
            assert response.headers["retry-after"] == "5"
    return slowest


async def test_author_routes_answer_503_when_the_database_is_down(
    author_settings: Settings,
) -> None:
    down = Database("postgresql://postgres@127.0.0.1:1/postgres", min_size=0, max_size=1, timeout=1)
    await down.open()
    try:
        slowest = await _every_author_route_answers_503(author_settings, down)
    finally:
        await down.close()
    assert slowest < 1.5


async def test_author_routes_answer_503_when_the_pool_is_exhausted(
    author_settings: Settings, database_url: str
) -> None:
    small = Database(database_url, min_size=1, max_size=1, timeout=0.5)
    await small.open()
    try:
        async with small.pool.connection():  # the only connection, held
            slowest = await _every_author_route_answers_503(author_settings, small)
    finally:
        await small.close()
    assert slowest < 1.0
