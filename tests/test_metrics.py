"""`GET /metrics`: protected by METRICS_TOKEN, and its figures move as events flow: webhook
deliveries by type and outcome, ingest latency, inbox depth and age from Postgres, lessons by
status, Mux API calls, reconcile runs and repairs, open live streams."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from mux_emulator.server import BackgroundServer
from mux_emulator.store import Store
from service.app import create_app
from service.database.pool import Database
from service.ingest.reconciler import Reconciler
from service.mux import cleanup_outbox
from service.mux.client import MuxClient
from service.settings import Settings
from tests.factories import create_lesson, create_user
from tests.mux_scenario import Video, attach_upload, deliver, signed_request, upload_at_mux

TOKEN = "test-metrics-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def metrics_settings(author_settings: Settings) -> Settings:
    return dataclasses.replace(author_settings, metrics_token=TOKEN, metrics_cache_seconds=0.0)


@pytest.fixture
async def http(db: Database, metrics_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(metrics_settings, database=db)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        yield client


async def scrape(http: httpx.AsyncClient) -> Samples:
    response = await http.get("/metrics", headers=AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


async def test_metrics_need_the_token(db: Database, author_settings: Settings) -> None:
    off = create_app(author_settings, database=db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=off), base_url="http://t"
    ) as client:
        assert (await client.get("/metrics", headers=AUTH)).status_code == 404
    on = create_app(dataclasses.replace(author_settings, metrics_token=TOKEN), database=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=on), base_url="http://t") as c:
        for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": TOKEN}):
            refused = await c.get("/metrics", headers=headers)
            assert refused.status_code == 401
            assert refused.json()["error"]["code"] == "invalid_token"
        assert (await c.get("/metrics", headers=AUTH)).status_code == 200


async def test_webhook_deliveries_latency_inbox_and_lessons_follow_the_events(
    db: Database, http: httpx.AsyncClient
) -> None:
    deliveries = "mux_lessons_webhook_deliveries_total"
    before = await scrape(http)
    lesson = await create_lesson(db, await create_user(db))
    video = Video(lesson)
    await attach_upload(db, lesson, video.upload_id)
    ready = video.asset_ready()
    assert (await deliver(http, ready)).status_code == 200
    assert (await deliver(http, ready)).status_code == 200  # Mux's retry: a duplicate
    assert (await deliver(http, Video(None).asset_ready())).status_code == 200  # nobody's
    broken = Video(await create_lesson(db, await create_user(db)))
    await attach_upload(db, broken.lesson_id, broken.upload_id)
    assert (await deliver(http, broken.asset_ready(playback_ids=[]))).status_code == 200
    assert (await deliver(http, ready, secret="wrong")).status_code == 401
    body, headers = signed_request(b'{"not": "mux"}')
    assert (await http.post("/api/webhooks/mux", content=body, headers=headers)).status_code == 400
    await asyncio.sleep(0.01)  # the oldest waiting event has an age
    after = await scrape(http)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    ready_type = "video.asset.ready"
    assert delta(deliveries, type=ready_type, outcome="applied") == 1
    assert delta(deliveries, type=ready_type, outcome="duplicate") == 1
    assert delta(deliveries, type=ready_type, outcome="unmatched") == 1
    assert delta(deliveries, type=ready_type, outcome="failed") == 1
    assert delta(deliveries, type="unknown", outcome="invalid_signature") == 1
    assert delta(deliveries, type="unknown", outcome="malformed") == 1
    assert delta("mux_lessons_webhook_ingest_seconds_count") == 4  # the stored ones
    # From Postgres (the `db` fixture starts from empty tables):
    assert value(after, "mux_lessons_database_up") == 1
    assert value(after, "mux_lessons_inbox_events", state="unmatched") == 1
    assert value(after, "mux_lessons_inbox_events", state="failed") == 1
    assert value(after, "mux_lessons_inbox_events", state="dead") == 0
    assert value(after, "mux_lessons_inbox_oldest_pending_age_seconds") > 0
    assert value(after, "mux_lessons_lessons", status="published") == 1
    assert value(after, "mux_lessons_lessons", status="uploading") == 1
    async with db.service_session() as conn:
        await conn.execute("analyze mux_events")
        await conn.execute(
            "update mux_events set received_at = now() - interval '2 days' where id = %s",
            (ready["id"],),
        )
    sized = await scrape(http)
    assert value(sized, "mux_lessons_inbox_rows") == 3  # one row an event, whatever its state
    assert value(sized, "mux_lessons_inbox_bytes") > 0
    assert 2 * 86400 <= value(sized, "mux_lessons_inbox_oldest_age_seconds") < 3 * 86400
    async with db.service_session() as conn:
        await conn.execute("update mux_events set state = 'dead' where state = 'failed'")
    dead = await scrape(http)
    assert value(dead, "mux_lessons_inbox_dead_events") == 1
    assert value(dead, "mux_lessons_inbox_events", state="failed") == 0
    assert value(dead, "mux_lessons_inbox_oldest_pending_age_seconds") == 0


async def test_database_figures_are_cached(db: Database, metrics_settings: Settings) -> None:
    app = create_app(dataclasses.replace(metrics_settings, metrics_cache_seconds=60), database=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        first = await scrape(c)
        await create_lesson(db, await create_user(db))
        reads = await asyncio.gather(*(scrape(c) for _ in range(5)))
    assert value(first, "mux_lessons_lessons", status="draft") == 0
    assert all(value(r, "mux_lessons_lessons", status="draft") == 0 for r in reads)


async def test_database_down_is_a_gauge_not_an_error(metrics_settings: Settings) -> None:
    database = Database(
        "postgresql://postgres@127.0.0.1:1/postgres", min_size=0, max_size=1, timeout=0.5
    )
    await database.open()
    try:
        app = create_app(metrics_settings, database=database)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            samples = await scrape(client)
    finally:
        await database.close()
    assert value(samples, "mux_lessons_database_up") == 0


async def test_mux_calls_and_reconcile_runs_are_counted(
    db: Database, http: httpx.AsyncClient, metrics_settings: Settings, mux_store: Store
) -> None:
    before = await scrape(http)
    lesson = await create_lesson(db, await create_user(db))
    upload = upload_at_mux(mux_store, lesson)
    asset = mux_store.new_asset(upload)
    asset.status, asset.duration, asset.aspect_ratio = "ready", 3.0, "16:9"
    await attach_upload(db, lesson, upload.id)
    video = Video(lesson, upload_id=upload.id, asset_id=asset.id)
    await deliver(http, video.upload_asset_created())
    async with db.service_session() as conn:
        await conn.execute(
            "update lessons set status_changed_at = now() - interval '1 hour' where id = %s",
            (lesson,),
        )
    settings = dataclasses.replace(metrics_settings, reconcile_processing_after_seconds=60)
    report = await Reconciler(db, MuxClient(settings), settings).run()
    assert report.fixed == 1
    mux_store.fault_status, mux_store.fault_count = 503, 1
    with pytest.raises(Exception, match="503"):
        await MuxClient(settings).get_asset(asset.id)
    after = await scrape(http)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    calls = "mux_lessons_mux_api_calls_total"
    assert delta(calls, operation="get_asset", result="ok") == 1
    assert delta(calls, operation="get_asset", result="unavailable") == 1
    assert delta("mux_lessons_reconcile_runs_total", result="done") == 1
    assert delta("mux_lessons_reconcile_repairs_total") == 1


def test_open_live_streams(db: Database, metrics_settings: Settings) -> None:
    lesson = asyncio.run(_published_lesson(metrics_settings))
    server = BackgroundServer(create_app(metrics_settings)).start()
    gauge = "mux_lessons_live_streams_open"
    try:
        base = value(parse(httpx.get(f"{server.url}/metrics", headers=AUTH).text), gauge)
        with (
            httpx.stream("GET", f"{server.url}/api/lessons/{lesson}/events", timeout=10) as one,
            httpx.stream("GET", f"{server.url}/api/lessons/{lesson}/events", timeout=10) as two,
        ):
            assert (one.status_code, two.status_code) == (200, 200)
            during = parse(httpx.get(f"{server.url}/metrics", headers=AUTH).text)
        for _ in range(100):  # the server notices the closed streams
            after = parse(httpx.get(f"{server.url}/metrics", headers=AUTH).text)
            if value(after, gauge) == base:
                break
            asyncio.run(asyncio.sleep(0.05))
    finally:
        server.stop()
    assert value(during, gauge) == base + 2
    assert value(after, gauge) == base


async def _published_lesson(settings: Settings) -> str:
    assert settings.database_url
    database = Database(settings.database_url, min_size=0, max_size=1)
    await database.open()
    try:
        lesson = await create_lesson(database, await create_user(database))
        async with database.service_session() as conn:
            await conn.execute(
                "update lessons set status = 'published', mux_playback_id = 'p' where id = %s",
                (lesson,),
            )
    finally:
        await database.close()
    return str(lesson)


async def test_asset_deletions_waiting_and_done(
    db: Database, http: httpx.AsyncClient, metrics_settings: Settings, mux_store: Store
) -> None:
    lesson = await create_lesson(db, await create_user(db))
    asset = mux_store.new_asset(upload_at_mux(mux_store, lesson))
    async with db.service_session() as conn:
        await conn.execute(
            "insert into mux_cleanups (action, object_id, reason) "
            "values ('delete_asset', %s, 'orphan')",
            (asset.id,),
        )
    before = await scrape(http)
    waiting = "mux_lessons_mux_cleanups_waiting"
    assert value(before, waiting, action="delete_asset", state="pending") == 1
    results = await cleanup_outbox.run(db, MuxClient(metrics_settings), metrics_settings)
    assert [r.state for r in results] == ["done"]
    assert asset.id not in mux_store.assets
    after = await scrape(http)
    assert value(after, waiting, action="delete_asset", state="pending") == 0
    done = "mux_lessons_mux_cleanups_total"
    assert (
        value(after, done, action="delete_asset", state="done")
        - value(before, done, action="delete_asset", state="done")
        == 1
    )
    calls = "mux_lessons_mux_api_calls_total"
    assert value(after, calls, operation="delete_asset", result="ok") > value(
        before, calls, operation="delete_asset", result="ok"
    )
