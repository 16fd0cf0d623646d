"""Benchmark 1: webhook ingest throughput and latency: this service against the durable floor
of its stack, the original design's Next.js route, and the old handler in Python.

In one run, against the same PostgreSQL, the same load-generator process posts correctly
signed, realistic Mux events (each lesson's four events of a successful upload) at increasing
concurrency to: (service) verifies, stores in the inbox and applies through the state
machine, with its change notification; (floor) `bench/floor_app.py`, the least a verified,
durable receiver can do: a plain ASGI app that checks the signature and inserts the raw event
into a one-table inbox keyed by event id, in batched transactions with `synchronous_commit =
on`, answering after commit, under the same uvicorn flags, workers and pool; (nextjs) the
original design's `app/api/webhooks/mux` route as a Next.js route handler under `next start`,
one UPDATE per event through node-postgres, no verification: what a user keeps without this
service; (baseline) the same old design in Python (a synchronous UPDATE per request on a
thread). CPU per event is the server's processes' and all of PostgreSQL's CPU time during a
level, divided by the requests answered.
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
    settle,
    uvicorn_server,
)
from bench.nextjs_baseline import nextjs_server

VARIANTS = {
    "service": "service.app:app",
    "floor": "bench.floor_app:app",
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
    levels: list[int],
    seconds: float,
    lessons_per_level: int,
    workers: int,
    pool_max: int,
    variants: list[str],
) -> dict[str, list[dict[str, Any]]]:
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    with scratch_database() as url:
        total = (lessons_per_level * len(levels) + 200) * len(variants)
        seed_lessons(url, 0, total, with_assets=False)
        env = service_env(url, DB_POOL_MIN=str(pool_max), DB_POOL_MAX=str(pool_max))
        first = 0
        for name in variants:
            settle(url)
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
    parser.add_argument(
        "--variants", default=",".join(VARIANTS), help=f"a subset of {','.join(VARIANTS)}"
    )
    args = parser.parse_args()
    levels = [int(level) for level in args.levels.split(",")]
    variants = [v for v in VARIANTS if v in args.variants.split(",")]
    print(f"webhook ingest on {machine()}; uvicorn workers={args.workers}, pool={args.pool}")
    results = run(levels, args.seconds, args.lessons_per_level, args.workers, args.pool, variants)
    report(results)


def report(results: dict[str, list[dict[str, Any]]]) -> None:
    ours = results["service"]
    header = "\n  concurrency  service/s  p99 ms"
    columns: list[tuple[str, str]] = [
        (name, label)
        for name, label in (("floor", "floor"), ("nextjs", "next.js"), ("baseline", "python old"))
        if name in results
    ]
    for _, label in columns:
        header += f"  {label + '/s':>13}  {'service/' + label.split()[0]:>14}"
    print(header)
    for i, row in enumerate(ours):
        line = f"  {row['concurrency']:>11}  {row['per_second']:>9.0f}  {row['p99_ms']:>6.1f}"
        for name, _ in columns:
            other = results[name][i]
            line += (
                f"  {other['per_second']:>13.0f}  {row['per_second'] / other['per_second']:>13.2f}x"
            )
        print(line)
    print("\n  CPU per event (app + postgres, us):")
    for name, rows in results.items():
        cpu = [f"{r['app_us'] + r['db_us']:5.0f}" for r in rows]
        print(f"    {name:<9} {'  '.join(cpu)}")
    if "floor" in results:
        ratios = [
            f"{(s['app_us'] + s['db_us']) / (f['app_us'] + f['db_us']):5.2f}x"
            for s, f in zip(ours, results["floor"], strict=True)
        ]
        print(f"    {'service/floor':<9} {'  '.join(ratios)}")


if __name__ == "__main__":
    main()
