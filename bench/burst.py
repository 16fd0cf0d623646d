"""Benchmark 4: a burst of 10,000 events for 2,500 lessons, shuffled, 20% delivered twice.

Reports the wall time until every lesson is final and checks every lesson's final state
(published, with exactly the ids its events carry) and that each event id is stored once.
The ratio compares it with the same volume delivered in order without duplicates, in the
same run (on other lessons): what disorder and re-delivery cost.
"""

from __future__ import annotations

import argparse
import time

import psycopg

from bench.harness import (
    machine,
    run_loadgen,
    scratch_database,
    seed_lessons,
    service_env,
    uvicorn_server,
)


def wait_final(
    conn: psycopg.Connection[tuple[object, ...]], first: int, lessons: int, started: float
) -> float:
    while True:
        row = conn.execute(
            "select count(*) from lessons where status = 'published' and mux_upload_id = any(%s)",
            ([f"bench-upload-{i}" for i in range(first, first + lessons)],),
        ).fetchone()
        if row and row[0] == lessons:
            return time.perf_counter() - started
        if time.perf_counter() - started > 600:
            raise SystemExit("lessons did not all become final")
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lessons", type=int, default=2500)
    parser.add_argument("--duplicates", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    print(f"burst on {machine()}")
    with scratch_database() as url:
        seed_lessons(url, 0, 2 * args.lessons)
        with (
            uvicorn_server("service.app:app", service_env(url)) as server,
            psycopg.connect(url, autocommit=True) as conn,
        ):
            started = time.perf_counter()
            load = run_loadgen(
                server,
                first=0,
                lessons=args.lessons,
                concurrency=args.concurrency,
                seconds=600,
                shuffled_duplicates=args.duplicates,
            )
            elapsed = wait_final(conn, 0, args.lessons, started)
            started = time.perf_counter()
            in_order = run_loadgen(
                server,
                first=args.lessons,
                lessons=args.lessons,
                concurrency=args.concurrency,
                seconds=600,
            )
            in_order_elapsed = wait_final(conn, args.lessons, args.lessons, started)
            wrong = conn.execute(
                """select count(*) from lessons
                   where status <> 'published'
                      or mux_asset_id <> replace(mux_upload_id, 'bench-upload-', 'bench-asset-')
                      or mux_playback_id <> replace(mux_upload_id, 'bench-upload-',
                                                    'bench-playback-')"""
            ).fetchone()
            stored = conn.execute(
                "select count(*), count(distinct id), "
                "count(*) filter (where state = 'applied') from mux_events"
            ).fetchone()
    assert wrong is not None and stored is not None
    deliveries = int(str(load["requests"]))
    distinct = args.lessons * 4
    print(
        f"  shuffled: {deliveries} deliveries ({distinct} distinct events, "
        f"{deliveries - distinct} duplicates) at concurrency {args.concurrency}: "
        f"{load['statuses']}"
    )
    print(
        f"  all {args.lessons} lessons final after {elapsed:.2f} s "
        f"({deliveries / elapsed:.0f} deliveries/s); p99 {load['p99_ms']} ms"
    )
    print(
        f"  in order, no duplicates: {in_order['requests']} deliveries, final after "
        f"{in_order_elapsed:.2f} s; ratio shuffled+duplicated / in-order = "
        f"{elapsed / in_order_elapsed:.2f}x wall time for {deliveries / distinct:.1f}x "
        "the deliveries"
    )
    print(
        f"  lessons in a wrong final state: {wrong[0]} of {2 * args.lessons}; inbox rows "
        f"{stored[0]}, distinct {stored[1]}, applied {stored[2]}"
    )
    if wrong[0] or stored[0] != 2 * distinct or stored[2] != stored[0]:
        raise SystemExit("burst check FAILED")


if __name__ == "__main__":
    main()
