"""Database cost of ingesting webhook events, without HTTP: each lesson's four events of a
successful upload stored and applied by `mux_ingest_batch` (200 per call, one connection),
in a scratch database migrated from this checkout. Prints the time per event and, from
PostgreSQL's function statistics, where it went. Compare two checkouts by running it in each,
alternately, several times (the machine is shared: look at the lower runs).
"""

from __future__ import annotations

import argparse
import json
import time

import psycopg

from bench.harness import machine, scratch_database, seed_lessons
from bench.workload import lesson_events

BATCH = 200


def run(url: str, first: int, lessons: int) -> tuple[float, list[tuple[str, int, float]]]:
    seed_lessons(url, first, lessons)
    events = [e for i in range(first, first + lessons) for e in lesson_events(i)]
    with psycopg.connect(url) as conn:
        conn.execute("set track_functions = 'all'")
        spent = 0.0
        for k in range(0, len(events), BATCH):
            chunk = events[k : k + BATCH]
            started = time.perf_counter()
            conn.execute(
                "select count(*) from public.mux_ingest_batch("
                "%s::jsonb[], %s::timestamptz[], 'public', 'webhook')",
                ([json.dumps(e) for e in chunk], [None] * len(chunk)),
            )
            spent += time.perf_counter() - started
        functions = conn.execute(
            "select funcname, calls, self_time from pg_stat_xact_user_functions "
            "order by self_time desc limit 8"
        ).fetchall()
    return spent / len(events), [(str(n), int(c), float(t)) for n, c, t in functions]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lessons", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"database cost of ingest on {machine()}")
    with scratch_database() as url:
        for round_ in range(args.rounds):
            per_event, functions = run(url, round_ * args.lessons, args.lessons)
            print(f"  round {round_ + 1}: {per_event * 1e6:6.0f} us per event")
        events = 4 * args.lessons
        for name, calls, self_ms in functions:
            print(f"    {name:<32} {calls:6d} calls  {self_ms * 1000 / events:6.1f} us per event")


if __name__ == "__main__":
    main()
