"""Database cost of ingesting webhook events, without HTTP, and what each guarantee adds to it.

Each lesson's four events of a successful upload, in batches (one statement and one commit
per batch, `synchronous_commit = on`, one connection), in a scratch database migrated from
this checkout, through three statements run in turn on their own lessons, batch by batch,
so the machine's noise falls on all three alike:

- floor: the raw event inserted into a one-table inbox keyed by event id (what
  `bench/floor_app.py` does): durable, stored once, nothing applied;
- floor + the old UPDATE: the same insert and, in the same statement, the old design's
  UPDATE of the lesson per event (`bench/baseline_app.py`'s): applied in arrival order, with
  no lock, no check and no record of what was done, the lesson's change notification firing;
- service: `mux_ingest_batch_set`, what the service runs: the inbox row (queryable JSON,
  indexed), stored once, applied through the state machine in any order as a set (each
  lesson locked once, its events folded into one UPDATE, one change notification per
  lesson), superseded uploads and assets recognised;
- per event: `mux_ingest_event` for each event of the batch, in one statement: the path a
  lone event takes, and the way batches were applied before the set (a lock, a lookup, a
  function chain, an UPDATE and a notification per event; the release before 2026-12-06 ran
  it as `mux_ingest_batch`, since dropped).

Prints the server backend's CPU and the wall time per event for each, and, from PostgreSQL's
function statistics, where the service's went. Compare two checkouts by running it in each,
alternately (the machine is shared: look at what repeats).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import psutil
import psycopg

from bench.harness import machine, scratch_database, seed_lessons
from bench.workload import lesson_events

_SETUP = """
create table if not exists floor_inbox
  (id text primary key, payload text not null, received_at timestamptz not null default now());
create or replace function bench_old_apply(p_events jsonb[]) returns integer
  language plpgsql as $$
declare
  e jsonb;
begin
  foreach e in array p_events loop
    if e ->> 'type' = 'video.asset.ready' then
      update public.lessons set status = 'published',
             mux_playback_id = e -> 'data' -> 'playback_ids' -> 0 ->> 'id'
       where mux_asset_id = e -> 'data' ->> 'id';
    elsif e ->> 'type' = 'video.upload.asset_created' then
      update public.lessons set status = 'processing', mux_asset_id = e -> 'data' ->> 'asset_id'
       where mux_upload_id = e -> 'data' ->> 'id';
    else
      update public.lessons set updated_at = now()
       where mux_upload_id = coalesce(e -> 'data' ->> 'upload_id', e -> 'data' ->> 'id');
    end if;
  end loop;
  return cardinality(p_events);
end $$;
"""

_FLOOR = (
    "insert into floor_inbox (id, payload) select * from unnest(%s::text[], %s::text[]) "
    "on conflict (id) do nothing"
)
_FLOOR_AND_UPDATE = (
    "with stored as (insert into floor_inbox (id, payload) "
    "  select * from unnest(%s::text[], %s::text[]) on conflict (id) do nothing) "
    "select bench_old_apply(%s::jsonb[])"
)
_SERVICE = (
    "select count(*) from public.mux_ingest_batch_set("
    "%s::jsonb[], %s::timestamptz[], 'public', 'webhook', '2s')"
)
_PER_EVENT = (
    "select count(*) from unnest(%s::jsonb[], %s::timestamptz[]) as e(payload, created_at), "
    "lateral public.mux_ingest_event(e.payload, 'public', 'webhook', e.created_at)"
)

Batch = list[dict[str, Any]]


def _floor(batch: Batch) -> tuple[str, tuple[Any, ...]]:
    return _FLOOR, ([e["id"] for e in batch], [json.dumps(e) for e in batch])


def _floor_and_update(batch: Batch) -> tuple[str, tuple[Any, ...]]:
    texts = [json.dumps(e) for e in batch]
    return _FLOOR_AND_UPDATE, ([e["id"] for e in batch], texts, texts)


def _service(batch: Batch) -> tuple[str, tuple[Any, ...]]:
    return _SERVICE, ([json.dumps(e) for e in batch], [None] * len(batch))


def _per_event(batch: Batch) -> tuple[str, tuple[Any, ...]]:
    return _PER_EVENT, ([json.dumps(e) for e in batch], [None] * len(batch))


STEPS: dict[str, Callable[[Batch], tuple[str, tuple[Any, ...]]]] = {
    "floor: store the raw event": _floor,
    "floor + the old UPDATE": _floor_and_update,
    "service: mux_ingest_batch_set": _service,
    "per event: mux_ingest_event": _per_event,
}


def run(
    url: str, first: int, lessons: int, batch_size: int
) -> tuple[dict[str, tuple[float, float]], list[tuple[str, int, float]]]:
    """Per step (CPU, wall) seconds per event; the service's functions by self time."""
    events = {
        name: [
            e
            for i in range(first + k * lessons, first + (k + 1) * lessons)
            for e in lesson_events(i)
        ]
        for k, name in enumerate(STEPS)
    }
    seed_lessons(url, first, lessons * len(STEPS))
    cpu = dict.fromkeys(STEPS, 0.0)
    wall = dict.fromkeys(STEPS, 0.0)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(_SETUP)
        conn.execute("set synchronous_commit = on")
        conn.execute("set track_functions = 'all'")
        conn.execute("select pg_stat_reset()")
        backend = psutil.Process(conn.info.backend_pid)
        total = 4 * lessons
        for k in range(0, total, batch_size):
            for name, statement in STEPS.items():
                query, params = statement(events[name][k : k + batch_size])
                before = backend.cpu_times()
                started = time.perf_counter()
                conn.execute(query, params)
                wall[name] += time.perf_counter() - started
                after = backend.cpu_times()
                cpu[name] += (after.user + after.system) - (before.user + before.system)
        conn.execute("select pg_stat_force_next_flush()")  # reported when this one commits
        functions = conn.execute(
            "select funcname, calls, self_time from pg_stat_user_functions "
            "where funcname <> 'bench_old_apply' order by self_time desc limit 8"
        ).fetchall()
    per_event = {name: (cpu[name] / total, wall[name] / total) for name in STEPS}
    return per_event, [(str(n), int(c), float(t)) for n, c, t in functions]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lessons", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=16, help="events per statement")
    args = parser.parse_args()
    print(f"database cost of ingest on {machine()}; batches of {args.batch}, one connection")
    print("  per event: the backend's CPU (wall time)")
    with scratch_database() as url:
        for round_ in range(args.rounds):
            first = round_ * args.lessons * len(STEPS)
            per_event, functions = run(url, first, args.lessons, args.batch)
            floor = per_event["floor: store the raw event"][0]
            print(f"  round {round_ + 1}:")
            for name, (cpu, wall) in per_event.items():
                print(
                    f"    {name:<30} {cpu * 1e6:6.0f} us ({wall * 1e6:5.0f} us)"
                    f"  {cpu / floor:5.2f}x the floor's CPU"
                )
        events = 4 * args.lessons
        print("  the service's functions, last round (self time, wall):")
        for name, calls, self_ms in functions:
            print(f"    {name:<32} {calls:6d} calls  {self_ms * 1000 / events:6.1f} us per event")


if __name__ == "__main__":
    main()
