"""A small, fast load generator: keep-alive HTTP/1.1 on raw asyncio streams (uvloop).

Run as its own process so its CPU is not the server's. Requests are built (and signed)
before the clock starts; each connection sends one request at a time and times it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

import uvloop

from bench.workload import lesson_events, signed_requests


@dataclass
class LoadResult:
    concurrency: int
    requests: int
    seconds: float
    per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    statuses: dict[str, int]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 1000) - 1]


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    chunked = False
    for line in head.split(b"\r\n"):
        lower = line.lower()
        if lower[:15] == b"content-length:":
            length = int(line[15:])
        elif lower.startswith(b"transfer-encoding:") and b"chunked" in lower:
            chunked = True  # Node.js servers (next start) stream their answers
    if chunked:
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")  # no trailers are sent
    elif length:
        await reader.readexactly(length)
    return status


async def run_load(
    url: str,
    requests: Iterator[bytes],
    concurrency: int,
    max_seconds: float,
    rate: float | None = None,
) -> LoadResult:
    """Send `requests` over `concurrency` connections, as fast as answered or at `rate`/s."""
    parts = urlsplit(url)
    queue = requests
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    begin = time.perf_counter()
    deadline = begin + max_seconds
    sent = 0

    async def connection() -> None:
        nonlocal sent
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            for request in queue:
                if rate is not None:  # open loop: request n is due at n / rate
                    due = begin + sent / rate
                    sent += 1
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                if time.perf_counter() > deadline:
                    break
                started = time.perf_counter()
                writer.write(request)
                status = await _read_response(reader)
                latencies.append(time.perf_counter() - started)
                statuses[str(status)] = statuses.get(str(status), 0) + 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    ms = [value * 1000 for value in latencies]
    return LoadResult(
        concurrency=concurrency,
        requests=len(latencies),
        seconds=round(elapsed, 3),
        per_second=round(len(latencies) / elapsed, 1),
        p50_ms=round(percentile(ms, 0.50), 2),
        p95_ms=round(percentile(ms, 0.95), 2),
        p99_ms=round(percentile(ms, 0.99), 2),
        statuses=statuses,
    )


def workload(
    first: int, lessons: int, *, shuffle: bool = False, duplicates: float = 0.0, seed: int = 1
) -> list[dict[str, Any]]:
    """Each lesson's four events; optionally shuffled across lessons, with re-deliveries."""
    events = [
        payload for index in range(first, first + lessons) for payload in lesson_events(index)
    ]
    rng = random.Random(seed)
    events += rng.sample(events, int(len(events) * duplicates))
    if shuffle:
        rng.shuffle(events)
    return events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="e.g. http://127.0.0.1:8000/api/webhooks/mux")
    parser.add_argument("--first-lesson", type=int, default=0)
    parser.add_argument("--lessons", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--max-seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, help="requests per second (default: flat out)")
    parser.add_argument("--shuffle", action="store_true", help="deliver in random order")
    parser.add_argument("--duplicates", type=float, default=0.0, help="share re-delivered")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    parts = urlsplit(args.url)
    events = workload(
        args.first_lesson,
        args.lessons,
        shuffle=args.shuffle,
        duplicates=args.duplicates,
        seed=args.seed,
    )
    bodies = [json.dumps(event).encode() for event in events]  # built before the clock starts
    requests = signed_requests(parts.netloc, parts.path, bodies)
    result = uvloop.run(run_load(args.url, requests, args.concurrency, args.max_seconds, args.rate))
    json.dump(asdict(result), sys.stdout)


if __name__ == "__main__":
    main()
