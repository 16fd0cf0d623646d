"""Benchmark 3: Mux API calls per video, this design versus the old polling design.

Both run the same 100 uploads against the offline Mux emulator, which counts every API
request, with realistic processing times (10-40 s, time-scaled so the run is quick; only
the ratio of processing time to poll interval matters). This design: one create-upload call
per video, then webhooks. The old design: create the upload, then `pollAssetStatus` every
5 s (the upload until it has an asset, then the asset until it is ready).
"""

from __future__ import annotations

import argparse
import asyncio
import time
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


async def this_design(url: str, videos: int) -> tuple[int, float]:
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
    started = time.perf_counter()
    try:
        async with httpx.AsyncClient(base_url=service.url, timeout=30) as http:

            async def one(lesson: str) -> None:
                response = await http.post(
                    "/api/mux/upload",
                    json={"lessonId": lesson},
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert response.status_code == 201, response.text
                await http.put(response.json()["url"], content=SAMPLE.read_bytes())

            await asyncio.gather(*(one(lesson) for lesson in lessons))
            with psycopg.connect(url) as conn:
                while conn.execute(
                    "select count(*) from lessons where status = 'published' "
                    "and id = any(%s::uuid[])",
                    (lessons,),
                ).fetchone() != (videos,):
                    await asyncio.sleep(0.05)
        return api_calls(emulator), time.perf_counter() - started
    finally:
        service.stop()
        emulator.stop()


async def polling_design(videos: int, poll_every: float) -> tuple[int, float]:
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

            await asyncio.gather(*(one() for _ in range(videos)))
        return api_calls(emulator), time.perf_counter() - started
    finally:
        emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--videos", type=int, default=100)
    parser.add_argument("--poll-every", type=float, default=5.0)
    args = parser.parse_args()
    print(f"Mux API calls per video on {machine()}")
    with scratch_database() as url:
        ours, _ = asyncio.run(this_design(url, args.videos))
    theirs, _ = asyncio.run(polling_design(args.videos, args.poll_every))
    print(f"  {args.videos} uploads, processing 10-40 s, polling every {args.poll_every:.0f} s")
    print(f"  this design (webhooks):   {ours:5d} calls  ({ours / args.videos:.2f} per video)")
    print(f"  old design (polling):     {theirs:5d} calls  ({theirs / args.videos:.2f} per video)")
    print(f"  ratio polling / webhooks: {theirs / ours:.1f}x")


if __name__ == "__main__":
    main()
