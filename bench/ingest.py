"""Benchmark 1: webhook ingest throughput and latency, this service versus the old handler.

Both servers run under uvicorn (uvloop, httptools) against the same PostgreSQL; a separate
load-generator process posts correctly signed, realistic Mux events (each lesson's four
events of a successful upload) at increasing concurrency. (a) verifies, stores in the inbox
and applies through the state machine; (b) is the old design: no verification, no inbox, one
synchronous UPDATE per request.
"""

from __future__ import annotations

import argparse
from typing import Any

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

VARIANTS = {"service": "service.app:app", "baseline": "bench.baseline_app:app"}


def run(
    levels: list[int], seconds: float, lessons_per_level: int, workers: int, pool_max: int
) -> dict[str, list[dict[str, Any]]]:
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in VARIANTS}
    with scratch_database() as url:
        total = lessons_per_level * len(levels) * len(VARIANTS)
        seed_lessons(url, 0, total, with_assets=False)
        env = service_env(url, DB_POOL_MIN=str(pool_max), DB_POOL_MAX=str(pool_max))
        first = 0
        for name, app in VARIANTS.items():
            with uvicorn_server(app, env, workers=workers) as server:
                run_loadgen(server, first=first, lessons=200, concurrency=8, seconds=2)  # warm up
                first += 200
                app_processes = server_processes(server)
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
        "\n  concurrency  service/s  baseline/s  throughput  service p99  baseline p99"
        "   CPU per event: service / baseline"
    )
    for ours, theirs in zip(results["service"], results["baseline"], strict=True):
        ours_cpu = ours["app_us"] + ours["db_us"]
        theirs_cpu = theirs["app_us"] + theirs["db_us"]
        print(
            f"  {ours['concurrency']:>11}  {ours['per_second']:>9.0f}  "
            f"{theirs['per_second']:>10.0f}  {ours['per_second'] / theirs['per_second']:9.2f}x"
            f"  {ours['p99_ms']:>8.2f} ms  {theirs['p99_ms']:>9.2f} ms"
            f"   {ours_cpu:5.0f} / {theirs_cpu:5.0f} us = {ours_cpu / theirs_cpu:.2f}x"
        )


if __name__ == "__main__":
    main()
