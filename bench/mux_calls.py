"""Benchmark 3: Mux API calls per video, this design versus the old polling design.

Both run the same 100 uploads against the offline Mux emulator, which counts every API
request, with realistic processing times (10-40 s, time-scaled so the run is quick; only
the ratio of processing time to poll interval matters). This design: one create-upload call
per video, then webhooks. The old design: create the upload, then `pollAssetStatus` every
5 s (the upload until it has an asset, then the asset until it is ready).

`--lifecycle` runs each video's whole life instead: uploaded, replaced once, removed. It
counts the Mux calls over that life and the assets left at Mux afterwards (this design
deletes the replaced and removed assets through its cleanup outbox; the old design never
deletes anything at Mux).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
import psycopg

from bench.harness import machine, scratch_database
from bench.workload import BENCH_JWT_SECRET
from mux_emulator.app import create_app as create_emulator
from mux_emulator.config import EmulatorConfig
from mux_emulator.server import BackgroundServer
from service.app import create_app
from service.settings import Settings

SAMPLE = Path(__file__).resolve().parent.parent / "demo" / "sample.mp4"
TIME_SCALE = 0.1  # 5 s of poll interval become 0.5 s


def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(
        processing_seconds=10, processing_jitter=30, time_scale=TIME_SCALE, retry_base_seconds=0.5
    )


def api_calls(server: BackgroundServer) -> int:
    requests = server.app.state.store.requests
    return sum(count for route, count in requests.items() if route != "upload_put")


def seed(url: str, videos: int) -> tuple[str, list[str]]:
    with psycopg.connect(url, autocommit=True) as conn:
        owner = conn.execute(
            "insert into auth.users (id) values (gen_random_uuid()) returning id"
        ).fetchone()
        assert owner
        course = conn.execute(
            "insert into courses (owner_id, title) values (%s, 'c') returning id", (owner[0],)
        ).fetchone()
        assert course
        rows = conn.execute(
            "insert into lessons (course_id, title) select %s, 'l' || i "
            "from generate_series(1, %s) i returning id",
            (course[0], videos),
        ).fetchall()
    return str(owner[0]), [str(row[0]) for row in rows]


@dataclass
class Service:
    http: httpx.AsyncClient
    emulator: BackgroundServer
    token: str
    lessons: list[str]


@asynccontextmanager
async def service_world(url: str, videos: int) -> AsyncIterator[Service]:
    """The service (with its worker) on the emulator, an author's token and `videos` lessons."""
    config = emulator_config()
    emulator = BackgroundServer(create_emulator(config)).start()
    config.public_url = emulator.url
    settings = Settings(
        app_env="development",
        database_url=url,
        mux_api_url=emulator.url,
        mux_token_id=config.token_id,
        mux_token_secret=config.token_secret,
        mux_webhook_secrets=(config.webhook_secret,),
        supabase_jwt_secret=BENCH_JWT_SECRET,
        upload_rate_limit_per_minute=10 * videos,
        worker_poll_seconds=0.2,
    )
    service = BackgroundServer(create_app(settings, with_worker=True)).start()
    config.webhook_urls = (f"{service.url}/api/webhooks/mux",)
    owner, lessons = seed(url, videos)
    token = jwt.encode(
        {
            "sub": owner,
            "role": "authenticated",
            "aud": "authenticated",
            "exp": int(time.time()) + 3600,
        },
        BENCH_JWT_SECRET,
        algorithm="HS256",
    )
    try:
        async with httpx.AsyncClient(base_url=service.url, timeout=30) as http:
            yield Service(http, emulator, token, lessons)
    finally:
        service.stop()
        emulator.stop()


async def upload_video(world: Service, lesson: str) -> None:
    response = await world.http.post(
        "/api/mux/upload",
        json={"lessonId": lesson},
        headers={"Authorization": f"Bearer {world.token}"},
    )
    assert response.status_code == 201, response.text
    await world.http.put(response.json()["url"], content=SAMPLE.read_bytes())


async def wait_for_sql(url: str, query: str, params: tuple[object, ...], expected: object) -> None:
    with psycopg.connect(url) as conn:
        while conn.execute(query, params).fetchone() != expected:
            await asyncio.sleep(0.05)


async def all_published(url: str, lessons: list[str], uploads_each: int) -> None:
    """Every lesson published on its `uploads_each`-th upload."""
    await wait_for_sql(
        url,
        "select count(*) from lessons l where status = 'published' and id = any(%s::uuid[]) "
        "and (select count(*) from superseded_uploads s where s.lesson_id = l.id) = %s",
        (lessons, uploads_each - 1),
        (len(lessons),),
    )


async def this_design(url: str, videos: int) -> tuple[int, float]:
    async with service_world(url, videos) as world:
        lessons = world.lessons
        started = time.perf_counter()
        await asyncio.gather(*(upload_video(world, lesson) for lesson in lessons))
        await all_published(url, lessons, 1)
        return api_calls(world.emulator), time.perf_counter() - started


async def lifecycle_this_design(url: str, videos: int) -> tuple[int, int]:
    """Upload, replace, remove each video; (Mux calls, assets left at Mux)."""
    async with service_world(url, videos) as world:
        lessons = world.lessons
        await asyncio.gather(*(upload_video(world, lesson) for lesson in lessons))
        await all_published(url, lessons, 1)
        await asyncio.gather(*(upload_video(world, lesson) for lesson in lessons))
        await all_published(url, lessons, 2)

        async def remove(lesson: str) -> None:
            response = await world.http.delete(
                f"/api/lessons/{lesson}/video",
                headers={"Authorization": f"Bearer {world.token}"},
            )
            assert response.status_code == 202, response.text

        await asyncio.gather(*(remove(lesson) for lesson in lessons))
        await wait_for_sql(url, "select count(*) from mux_cleanups where state <> 'done'", (), (0,))
        return api_calls(world.emulator), len(world.emulator.app.state.store.assets)


async def polling_design(
    videos: int, poll_every: float, *, uploads_each: int = 1
) -> tuple[int, float, int]:
    """The old design: each video uploaded `uploads_each` times, each polled until ready; a
    replaced or removed video is only forgotten in the database, never deleted at Mux.
    Returns (Mux calls, seconds, assets left at Mux)."""
    config = emulator_config()
    emulator = BackgroundServer(create_emulator(config)).start()
    config.public_url = emulator.url
    interval = poll_every * TIME_SCALE
    started = time.perf_counter()
    try:
        auth = httpx.BasicAuth(config.token_id, config.token_secret)
        async with httpx.AsyncClient(base_url=emulator.url, auth=auth, timeout=30) as mux:

            async def one() -> None:
                created = await mux.post(
                    "/video/v1/uploads",
                    json={
                        "cors_origin": "*",
                        "new_asset_settings": {"playback_policies": ["public"]},
                    },
                )
                upload = created.json()["data"]
                await mux.put(upload["url"], content=SAMPLE.read_bytes())
                asset_id = None
                while asset_id is None:  # pollAssetStatus, step 1: has the upload an asset?
                    await asyncio.sleep(interval)
                    polled = await mux.get(f"/video/v1/uploads/{upload['id']}")
                    asset_id = polled.json()["data"].get("asset_id")
                while True:  # step 2: is the asset ready?
                    await asyncio.sleep(interval)
                    asset = await mux.get(f"/video/v1/assets/{asset_id}")
                    if asset.json()["data"]["status"] == "ready":
                        return

            for _ in range(uploads_each):
                await asyncio.gather(*(one() for _ in range(videos)))
        left = len(emulator.app.state.store.assets)
        return api_calls(emulator), time.perf_counter() - started, left
    finally:
        emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--videos", type=int, default=100)
    parser.add_argument("--poll-every", type=float, default=5.0)
    parser.add_argument(
        "--lifecycle", action="store_true", help="upload, replace and remove each video"
    )
    args = parser.parse_args()
    print(f"Mux API calls per video on {machine()}")
    if args.lifecycle:
        lifecycle(args.videos, args.poll_every)
        return
    with scratch_database() as url:
        ours, _ = asyncio.run(this_design(url, args.videos))
    theirs, _, _ = asyncio.run(polling_design(args.videos, args.poll_every))
    print(f"  {args.videos} uploads, processing 10-40 s, polling every {args.poll_every:.0f} s")
    print(f"  this design (webhooks):   {ours:5d} calls  ({ours / args.videos:.2f} per video)")
    print(f"  old design (polling):     {theirs:5d} calls  ({theirs / args.videos:.2f} per video)")
    print(f"  ratio polling / webhooks: {theirs / ours:.1f}x")


def lifecycle(videos: int, poll_every: float) -> None:
    with scratch_database() as url:
        ours, ours_left = asyncio.run(lifecycle_this_design(url, videos))
    theirs, _, theirs_left = asyncio.run(polling_design(videos, poll_every, uploads_each=2))
    print(f"  {videos} videos, each uploaded, replaced once and removed; processing 10-40 s")
    print(
        f"  this design:  {ours:5d} Mux calls ({ours / videos:.2f} per video), "
        f"assets left at Mux: {ours_left}"
    )
    print(
        f"  old design:   {theirs:5d} Mux calls ({theirs / videos:.2f} per video), "
        f"assets left at Mux: {theirs_left}"
    )


if __name__ == "__main__":
    main()
