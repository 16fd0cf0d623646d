"""Benchmark 2: time from a `video.asset.ready` webhook's arrival to a client seeing it.

500 lessons in `processing`, each watched by one SSE client (this design) and, in the same
run, by one client polling `GET /api/lessons/{id}/video` every 5 s (the old design's
interval, with a random phase as real clients have). Ready webhooks are then posted at a
steady pace; each latency is measured from just before the webhook is sent.

`--pooler listen` runs the service's pool through PgBouncer in transaction mode with live
status LISTENing on DATABASE_SESSION_URL; `--pooler poll` gives it no session URL, so live
status polls every LIVE_POLL_SECONDS (the degraded mode).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time

import httpx
import jwt
import psycopg
import uvloop

from bench.harness import machine, scratch_database, seed_lessons, service_env, uvicorn_server
from bench.workload import BENCH_JWT_SECRET, BENCH_SECRET, lesson_events
from devstack import pooler
from mux_emulator.signing import signature_header


def quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1]


async def measure(
    server: str, lessons: dict[int, str], owner: str, poll_every: float, rate: float
) -> tuple[list[float], list[float]]:
    now = int(time.time())
    token = jwt.encode(
        {"sub": owner, "role": "authenticated", "aud": "authenticated", "exp": now + 3600},
        BENCH_JWT_SECRET,
        algorithm="HS256",
    )
    sent: dict[int, float] = {}
    seen_sse: dict[int, float] = {}
    seen_poll: dict[int, float] = {}
    ready = asyncio.Event()
    open_streams = 0
    limits = httpx.Limits(max_connections=2 * len(lessons) + 50, max_keepalive_connections=None)
    async with httpx.AsyncClient(base_url=server, timeout=30, limits=limits) as http:

        async def watch(index: int, lesson: str) -> None:
            nonlocal open_streams
            url = f"/api/lessons/{lesson}/events?access_token={token}"
            async with http.stream("GET", url, timeout=None) as stream:
                first = True
                async for line in stream.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    if first:
                        first = False
                        open_streams += 1
                        if open_streams == len(lessons):
                            ready.set()
                    if json.loads(line[5:])["status"] == "published":
                        seen_sse[index] = time.perf_counter()
                        return

        async def poll(index: int, lesson: str) -> None:
            await asyncio.sleep(random.uniform(0, poll_every))
            while True:
                response = await http.get(
                    f"/api/lessons/{lesson}/video", headers={"Authorization": f"Bearer {token}"}
                )
                if response.json()["status"] == "published":
                    seen_poll[index] = time.perf_counter()
                    return
                await asyncio.sleep(poll_every)

        tasks = [asyncio.create_task(watch(i, lesson)) for i, lesson in lessons.items()]
        await asyncio.wait_for(ready.wait(), 60)
        tasks += [asyncio.create_task(poll(i, lesson)) for i, lesson in lessons.items()]
        for index in lessons:
            body = json.dumps(lesson_events(index)[3]).encode()
            headers = {
                "Mux-Signature": signature_header(body, BENCH_SECRET),
                "Content-Type": "application/json",
            }
            sent[index] = time.perf_counter()
            response = await http.post("/api/webhooks/mux", content=body, headers=headers)
            assert response.status_code == 200, response.text
            await asyncio.sleep(1 / rate)
        await asyncio.wait_for(asyncio.gather(*tasks), 120)
    return (
        [1000 * (seen_sse[i] - sent[i]) for i in lessons],
        [1000 * (seen_poll[i] - sent[i]) for i in lessons],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lessons", type=int, default=500)
    parser.add_argument("--poll-every", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=50.0, help="ready webhooks per second")
    parser.add_argument("--pooler", choices=["none", "listen", "poll"], default="none")
    args = parser.parse_args()
    print(
        f"time to published on {machine()}" + f"  (pooler: {args.pooler})" * (args.pooler != "none")
    )
    with scratch_database() as url:
        owner = seed_lessons(url, 0, args.lessons, with_assets=True)
        with psycopg.connect(url) as conn:
            lessons = {
                int(upload.rsplit("-", 1)[1]): str(lesson)
                for lesson, upload in conn.execute("select id, mux_upload_id from lessons")
            }
        # One author watches every lesson (drafts in processing: only they may see them), so
        # their per-user stream limit is raised to the number of lessons.
        env = service_env(url, DB_POOL_MAX="20", LIVE_MAX_STREAMS_PER_USER=str(args.lessons + 10))
        bouncer = None
        if args.pooler != "none":
            bouncer = pooler.start_pgbouncer(url, pool_size=10)
            env.update(DATABASE_URL=bouncer.url(url), DB_POOL_MODE="transaction")
            if args.pooler == "listen":
                env["DATABASE_SESSION_URL"] = url
        try:
            with uvicorn_server("service.app:app", env) as server:
                sse, polled = uvloop.run(
                    measure(server, lessons, owner, args.poll_every, args.rate)
                )
        finally:
            if bouncer is not None:
                bouncer.stop()
    print(f"  {len(sse)} lessons, ready webhooks at {args.rate:.0f}/s")
    print(
        f"  SSE (this design):        p50 {quantile(sse, 0.5):8.1f} ms   "
        f"p95 {quantile(sse, 0.95):8.1f} ms   max {max(sse):8.1f} ms"
    )
    print(
        f"  polling every {args.poll_every:.0f} s (old):  p50 {quantile(polled, 0.5):8.1f} ms   "
        f"p95 {quantile(polled, 0.95):8.1f} ms"
    )
    print(
        f"  ratio polling / SSE: p50 {quantile(polled, 0.5) / quantile(sse, 0.5):.0f}x, "
        f"p95 {quantile(polled, 0.95) / quantile(sse, 0.95):.0f}x"
    )


if __name__ == "__main__":
    main()
