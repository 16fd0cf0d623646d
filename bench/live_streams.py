"""Live status at scale: thousands of SSE streams on ONE service process.

`python -m bench.live_streams [--streams 10000]` runs, against one uvicorn process (uvloop,
httptools, pool 20) with the clients in this (separate) process:

1. N streams opened at once, one lesson each: time until all have their first event, response
   statuses, server RSS per stream, server CPU while idle (heartbeats only);
2. N streams opened at once, all on one lesson: the same;
3. with N open (N - 1,000 on their own lessons, 1,000 on one lesson): time from a committed
   change to the client, for a lesson watched by 1 stream and for one watched by 1,000;
4. reconnect storm: the service is killed (SIGKILL) and restarted on the same port while
   lessons change; every client reconnects as EventSource does (`retry:`, `Last-Event-ID`):
   time until every client is back and has its lesson's newest version, and every status.

The open-file limit: the bench raises its own soft limit to the hard limit (20,000 on these
machines) and the service inherits it; N + the pool must stay below it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import httpx
import psutil
import psycopg
import uvloop

from bench.harness import LOGS, ROOT, machine, scratch_database, seed_owner_and_course, service_env
from bench.sse_clients import SseClient, Tally, run_clients, stop_clients, wait_until
from devstack.ports import free_port
from service.app import tune_garbage_collector

HOT_WATCHERS = 1000


def raise_file_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def seed_published(url: str, count: int) -> list[uuid.UUID]:
    """`count` published lessons, made public in a public course (anyone may watch them);
    their ids."""
    with psycopg.connect(url, autocommit=True) as conn:
        _, course = seed_owner_and_course(conn, "Streams")
        conn.execute("update courses set visibility = 'public' where id = %s", (course,))
        rows = conn.execute(
            """insert into lessons (course_id, title, status, mux_playback_id, playback_policy,
                                    duration_seconds, aspect_ratio, visibility)
               select %s, 'Lesson ' || i, 'published', 'pb-' || i, 'public', 60, '16:9', 'public'
               from generate_series(1, %s) as i returning id""",
            (course, count),
        ).fetchall()
        conn.execute("analyze lessons")
    return [row[0] for row in rows]


class Service:
    """`uvicorn service.app:app` on a fixed port: started, SIGKILLed, started again."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.child: subprocess.Popen[bytes] | None = None
        LOGS.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        log = (LOGS / f"live-streams-{self.port}.log").open("ab")
        self.child = subprocess.Popen(
            [
                sys.executable,
                *("-m", "uvicorn", "service.app:app", "--port", str(self.port)),
                *("--loop", "uvloop", "--http", "httptools", "--no-access-log"),
                *("--backlog", "4096", "--log-level", "warning"),
            ],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.child.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the service did not start; see bench/logs")
            time.sleep(0.05)

    def kill(self) -> None:
        assert self.child is not None
        self.child.send_signal(signal.SIGKILL)
        self.child.wait()

    def stop(self) -> None:
        if self.child is not None and self.child.poll() is None:
            self.child.terminate()
            try:
                self.child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.child.kill()

    @property
    def process(self) -> psutil.Process:
        assert self.child is not None
        return psutil.Process(self.child.pid)

    def rss(self) -> int:
        return int(self.process.memory_info().rss)

    def cpu(self) -> float:
        times = self.process.cpu_times()
        return float(times.user + times.system)


@contextmanager
def running(service: Service) -> Iterator[Service]:
    service.start()
    try:
        yield service
    finally:
        service.stop()


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def clients_for(service: Service, lessons: list[uuid.UUID], tally: Tally) -> list[SseClient]:
    return [
        SseClient("127.0.0.1", service.port, f"/api/lessons/{lesson}/events", tally)
        for lesson in lessons
    ]


async def open_all(
    service: Service, lessons: list[uuid.UUID], within: float
) -> tuple[dict[str, Any], list[SseClient], asyncio.Event, list[asyncio.Task[None]]]:
    """Open a stream per entry of `lessons` at once; figures and what to close them with."""
    tally = Tally()
    clients = clients_for(service, lessons, tally)
    stop = asyncio.Event()
    rss_before = service.rss()
    started = time.monotonic()
    tasks = await run_clients(clients, stop)
    try:
        took = await wait_until(lambda: all(c.first_event_at for c in clients), within)
    except TimeoutError:
        took = float("nan")
    await asyncio.sleep(1)
    rss_after = service.rss()
    firsts = [c.first_event_at - started for c in clients if c.first_event_at]
    figures = {
        "streams": len(clients),
        "all_open_seconds": round(took, 2),
        "opened": len(firsts),
        "first_event_p50_ms": round(pct(firsts, 0.5) * 1000, 1),
        "first_event_p95_ms": round(pct(firsts, 0.95) * 1000, 1),
        "statuses": dict(tally.statuses),
        "client_errors": dict(tally.errors),
        "rss_per_stream_kib": round((rss_after - rss_before) / len(clients) / 1024, 1),
        "rss_after_mib": round(rss_after / 2**20, 1),
    }
    return figures, clients, stop, tasks


async def close_all(stop: asyncio.Event, tasks: list[asyncio.Task[None]]) -> None:
    await stop_clients(stop, tasks)
    await asyncio.sleep(2)  # the server notices the disconnects


async def idle_cpu(service: Service, seconds: float) -> float:
    before = service.cpu()
    await asyncio.sleep(seconds)
    return (service.cpu() - before) / seconds * 100


def _all_in(arrivals: dict[tuple[int, int], float], keys: list[tuple[int, int]]) -> Any:
    return lambda: all(key in arrivals for key in keys)


async def change_latency(
    database_url: str, lesson: uuid.UUID, watchers: list[SseClient], changes: int
) -> list[float]:
    """Commit `changes` changes to `lesson`; each client's delay (ms) from commit to event."""
    arrivals: dict[tuple[int, int], float] = {}

    def seen(client: SseClient, kind: str, data: dict[str, Any], now: float) -> None:
        if kind == "video":
            arrivals[(id(client), client.version)] = now

    for client in watchers:
        client.on_event = seen
    delays: list[float] = []
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        for _ in range(changes):
            cur = await conn.execute(
                "update lessons set duration_seconds = duration_seconds + 1 where id = %s "
                "returning video_version",
                (lesson,),
            )
            row = await cur.fetchone()
            committed = time.monotonic()
            assert row is not None
            version = int(row[0])
            keys = [(id(c), version) for c in watchers]
            with suppress(TimeoutError):
                await wait_until(_all_in(arrivals, keys), 10, step=0.002)
            delays += [(arrivals[k] - committed) * 1000 for k in keys if k in arrivals]
            await asyncio.sleep(0.05)
    for client in watchers:
        client.on_event = None
    return delays


async def storm(
    service: Service, database_url: str, clients: list[SseClient], lessons: list[uuid.UUID]
) -> dict[str, Any]:
    """Kill the service, change every 10th lesson while it is down, start it again."""
    tally = clients[0].tally
    before = dict(tally.statuses)
    service.kill()
    with psycopg.connect(database_url, autocommit=True) as conn:
        changed = conn.execute(
            "update lessons set duration_seconds = duration_seconds + 1 "
            "where id = any(%s) returning id, video_version",
            (lessons[::10],),
        ).fetchall()
        versions = {
            row[0]: row[1]
            for row in conn.execute(
                "select id, video_version from lessons where id = any(%s)", (lessons,)
            ).fetchall()
        }
    await asyncio.sleep(1)
    restarted = time.monotonic()
    service.start()
    client_lessons = [uuid.UUID(c.path.split("/")[3]) for c in clients]
    try:
        took = await wait_until(
            lambda: all(
                c.version >= versions[lesson]
                for c, lesson in zip(clients, client_lessons, strict=True)
            ),
            60,
            step=0.2,
        )
    except TimeoutError:
        took = float("nan")
    after = {k: v - before.get(k, 0) for k, v in tally.statuses.items()}
    behind = sum(
        c.version < versions[lesson] for c, lesson in zip(clients, client_lessons, strict=True)
    )
    return {
        "clients": len(clients),
        "changed_while_down": len(changed),
        "caught_up_seconds_after_restart": round(took, 2),
        "seconds_restart_took": round(time.monotonic() - restarted - took, 2)
        if took == took
        else None,
        "statuses_after_restart": {str(k): v for k, v in after.items() if v},
        "still_behind": behind,
    }


async def scenario(service: Service, database_url: str, lessons: list[uuid.UUID], n: int) -> None:
    distinct, hot = lessons[:n], lessons[-1]
    print(f"\n1. {n} streams opened at once, one lesson each")
    figures, _, stop, tasks = await open_all(service, distinct, 120)
    figures["idle_cpu_percent"] = round(await idle_cpu(service, 10), 2)
    print("   " + json.dumps(figures))
    await close_all(stop, tasks)

    print(f"\n2. {n} streams opened at once, all on one lesson")
    figures, _, stop, tasks = await open_all(service, [hot] * n, 120)
    print("   " + json.dumps(figures))
    await close_all(stop, tasks)

    print(f"\n3. change latency with {n} open ({n - HOT_WATCHERS} lessons, {HOT_WATCHERS} on one)")
    mix = distinct[: n - HOT_WATCHERS] + [hot] * HOT_WATCHERS
    figures, clients, stop, tasks = await open_all(service, mix, 120)
    print("   opened: " + json.dumps(figures))
    single = await change_latency(database_url, distinct[0], clients[:1], 50)
    many = await change_latency(database_url, hot, clients[n - HOT_WATCHERS :], 20)
    print(
        f"   watched by 1:     p50 {pct(single, 0.5):7.1f} ms  p95 {pct(single, 0.95):7.1f} ms"
        f"  max {max(single):7.1f} ms  ({len(single)} deliveries)"
    )
    print(
        f"   watched by {HOT_WATCHERS}:  p50 {pct(many, 0.5):7.1f} ms  p95 {pct(many, 0.95):7.1f}"
        f" ms  max {max(many):7.1f} ms  ({len(many)} deliveries)"
    )

    print(f"\n4. reconnect storm: SIGKILL and restart with {n} connected clients")
    result = await storm(service, database_url, clients, mix)
    print("   " + json.dumps(result))
    await close_all(stop, tasks)


def main() -> None:
    tune_garbage_collector()  # the client holds 10,000 connections too
    parser = argparse.ArgumentParser(prog="python -m bench.live_streams", description=__doc__)
    parser.add_argument("--streams", type=int, default=10_000)
    args = parser.parse_args()
    limit = raise_file_limit()
    n = args.streams
    print(f"live streams on one service process: {machine()}")
    print(f"open-file limit {limit} (raised to the hard limit; the service inherits it)")
    if n + 200 > limit:
        raise SystemExit(f"--streams {n} needs a file limit above {n + 200}")
    with scratch_database() as url:
        lessons = seed_published(url, n + 1)
        env = service_env(
            url,
            DB_POOL_MAX="20",
            LIVE_MAX_STREAMS=str(n + 100),
            # One machine's anonymous clients: the caps on anonymous streams let them all in.
            LIVE_MAX_ANONYMOUS_STREAMS=str(n + 50),
            LIVE_MAX_STREAMS_PER_ADDRESS=str(n + 50),
            LOG_LEVEL="WARNING",
        )
        with (
            running(Service(env)) as service,
            asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner,
        ):
            runner.run(scenario(service, url, lessons, n))


if __name__ == "__main__":
    main()
