"""Benchmark 1: webhook ingest throughput and latency: this service against the ceiling of
its stack, the original design's Next.js route, and the old handler in Python.

In one run, against the same PostgreSQL, the same load-generator process posts correctly
signed, realistic Mux events (each lesson's four events of a successful upload) at increasing
concurrency to: (service) verifies, stores in the inbox and applies through the state
machine; (ceiling) a trivial Starlette handler that reads the body and answers, under the
same uvicorn flags: nothing on this stack can be faster; (nextjs) the original design's
`app/api/webhooks/mux` route as a Next.js route handler under `next start`, one UPDATE per
event through node-postgres, no verification: what a user keeps without this service;
(baseline) the same old design in Python (a synchronous UPDATE per request on a thread).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psutil
import psycopg

from bench.harness import (
    cpu_seconds,
    machine,
    postgres_processes,
    run_loadgen,
    scratch_database,
    seed_lessons,
    server_processes,
    service_env,
    uvicorn_server,
)
from bench.nextjs_baseline import nextjs_server

VARIANTS = {
    "service": "service.app:app",
    "ceiling": "bench.ceiling_app:app",
    "nextjs": "next start",
    "baseline": "bench.baseline_app:app",
}


@contextmanager
def serving(
    name: str, url: str, env: dict[str, str], workers: int
) -> Iterator[tuple[str, list[psutil.Process]]]:
    if name == "nextjs":
        with nextjs_server(url) as served:
            yield served
        return
    with uvicorn_server(VARIANTS[name], env, workers=workers) as server:
        yield server, server_processes(server)


def run(
    levels: list[int], seconds: float, lessons_per_level: int, workers: int, pool_max: int
) -> dict[str, list[dict[str, Any]]]:
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in VARIANTS}
    with scratch_database() as url:
        total = (lessons_per_level * len(levels) + 200) * len(VARIANTS)
        seed_lessons(url, 0, total, with_assets=False)
        env = service_env(url, DB_POOL_MIN=str(pool_max), DB_POOL_MAX=str(pool_max))
        first = 0
        for name in VARIANTS:
            with serving(name, url, env, workers) as (server, app_processes):
                run_loadgen(server, first=first, lessons=200, concurrency=8, seconds=2)  # warm up
                first += 200
                for concurrency in levels:
                    db_processes = postgres_processes()
                    app_cpu, db_cpu = cpu_seconds(app_processes), cpu_seconds(db_processes)
                    result = run_loadgen(
                        server,
                        first=first,
                        lessons=lessons_per_level,
                        concurrency=concurrency,
                        seconds=seconds,
                    )
                    first += lessons_per_level
                    requests = result["requests"]
                    result["app_us"] = 1e6 * (cpu_seconds(app_processes) - app_cpu) / requests
                    result["db_us"] = 1e6 * (cpu_seconds(db_processes) - db_cpu) / requests
                    results[name].append(result)
                    print(
                        f"  {name:<8} c={concurrency:<4} {result['per_second']:>7.0f}/s  "
                        f"p50 {result['p50_ms']:6.2f}  p95 {result['p95_ms']:6.2f}  "
                        f"p99 {result['p99_ms']:6.2f} ms  CPU/event: app {result['app_us']:4.0f}"
                        f" us, postgres {result['db_us']:4.0f} us  {result['statuses']}",
                        flush=True,
                    )
        with psycopg.connect(url) as conn:
            row = conn.execute(
                "select count(*) filter (where state = 'applied'), count(*) from mux_events"
            ).fetchone()
        print(f"  inbox: {row[0]} of {row[1]} events applied" if row else "")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--levels", default="16,32,64,128")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--lessons-per-level", type=int, default=9000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pool", type=int, default=10)
    args = parser.parse_args()
    levels = [int(level) for level in args.levels.split(",")]
    print(f"webhook ingest on {machine()}; uvicorn workers={args.workers}, pool={args.pool}")
    results = run(levels, args.seconds, args.lessons_per_level, args.workers, args.pool)
    print(
        "\n  concurrency  service/s  p99 ms   ceiling/s  service/ceiling   next.js/s  p99 ms"
        "  service/next.js   python old/s  service/old"
    )
    rows = zip(
        results["service"], results["ceiling"], results["nextjs"], results["baseline"], strict=True
    )
    for ours, ceiling, nextjs, old in rows:
        rate = ours["per_second"]
        print(
            f"  {ours['concurrency']:>11}  {rate:>9.0f}  {ours['p99_ms']:>6.1f}"
            f"   {ceiling['per_second']:>9.0f}  {rate / ceiling['per_second']:>14.2f}x"
            f"   {nextjs['per_second']:>9.0f}  {nextjs['p99_ms']:>6.1f}"
            f"  {rate / nextjs['per_second']:>14.2f}x   {old['per_second']:>12.0f}"
            f"  {rate / old['per_second']:>10.2f}x"
        )
    print("\n  CPU per event (app + postgres, us):")
    for name in VARIANTS:
        cpu = [f"{r['app_us'] + r['db_us']:5.0f}" for r in results[name]]
        print(f"    {name:<9} {'  '.join(cpu)}")


if __name__ == "__main__":
    main()
