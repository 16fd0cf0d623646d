"""Load held: a steady webhook rate against uvicorn; memory flat, no errors, no growth in
open connections. `make test` runs it briefly; `make soak` for 5 minutes at half the
measured peak (SOAK_SECONDS, SOAK_RATE)."""

from __future__ import annotations

import os

import psycopg
import pytest

from bench.harness import (
    run_loadgen,
    seed_lessons,
    server_processes,
    service_env,
    uvicorn_server,
)

SECONDS = float(os.environ.get("SOAK_SECONDS", "5"))
RATE = float(os.environ.get("SOAK_RATE", "300"))
MIB = 1024 * 1024


def _rss(url: str) -> int:
    return sum(process.memory_info().rss for process in server_processes(url))


def _connections(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "select count(*) from pg_stat_activity where datname = current_database() "
            "and pid <> pg_backend_pid()"
        ).fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.slow
def test_steady_load_keeps_memory_connections_and_answers_healthy(
    db: object, database_url: str
) -> None:
    lessons = int(RATE * SECONDS / 4) + 50
    seed_lessons(database_url, 0, lessons)
    env = service_env(database_url, DB_POOL_MIN="10", DB_POOL_MAX="10")

    with uvicorn_server("service.app:app", env) as server:
        run_loadgen(server, first=0, lessons=50, concurrency=32, seconds=2, rate=200)  # warm up
        rss_start, connections_start = _rss(server), _connections(database_url)
        result = run_loadgen(
            server, first=50, lessons=lessons - 50, concurrency=32, seconds=SECONDS, rate=RATE
        )
        rss_end, connections_end = _rss(server), _connections(database_url)
    sent = int(str(result["requests"]))
    print(
        f"\nload held {SECONDS:.0f} s at {RATE:.0f}/s: {sent} requests, "
        f"{result['statuses']}, p99 {result['p99_ms']} ms; RSS {rss_start / MIB:.1f} -> "
        f"{rss_end / MIB:.1f} MiB; database connections {connections_start} -> "
        f"{connections_end}"
    )
    assert result["statuses"] == {"200": sent}
    assert sent >= 0.9 * RATE * SECONDS  # it kept up with the offered rate
    assert connections_end <= connections_start
    assert rss_end - rss_start < 40 * MIB
