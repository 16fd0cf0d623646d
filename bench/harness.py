"""Shared benchmark plumbing: a scratch database, seeded lessons, servers as subprocesses."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg

from bench.workload import BENCH_JWT_SECRET, BENCH_SECRET
from devstack import postgres
from devstack.ports import free_port
from service.database import migrations

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "bench" / "logs"


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {platform.system()}"
    )


@contextmanager
def scratch_database() -> Iterator[str]:
    server = postgres.server_url(prefer_local=True)
    url = postgres.create_scratch_database(server, prefix="mux_lessons_bench")
    try:
        migrations.migrate(url)
        yield url
    finally:
        postgres.drop_database(server, url)


def settle(url: str) -> None:
    """Vacuum and analyze: a variant measured next runs on tables with statistics, as in
    production, and not in the autovacuum that seeding (or the variant before) set off. (No
    checkpoint: one just before a run makes its first write to every page a full-page image,
    which falls on whoever updates the most pages, not on what the variant does.)"""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("vacuum analyze")


def seed_owner_and_course(conn: psycopg.Connection[Any], title: str) -> tuple[Any, Any]:
    """A new author (as Supabase Auth would have) and a course of theirs: (user id, course id)."""
    user = conn.execute(
        "insert into auth.users (id, email) values (gen_random_uuid(), "
        "'bench-' || gen_random_uuid() || '@example.test') returning id"
    ).fetchone()
    assert user
    course = conn.execute(
        "insert into courses (owner_id, title) values (%s, %s) returning id", (user[0], title)
    ).fetchone()
    assert course
    return user[0], course[0]


def seed_lessons(url: str, first: int, count: int, *, with_assets: bool = False) -> str:
    """`count` lessons carrying bench uploads `first..first+count-1` (status `uploading`, or
    `processing` with their assets); returns the owner's user id."""
    with psycopg.connect(url, autocommit=True) as conn:
        user, course = seed_owner_and_course(conn, "Bench")
        conn.execute(
            """insert into lessons (course_id, title, status, mux_upload_id, mux_asset_id)
               select %s, 'Lesson ' || i,
                      case when %s then 'processing' else 'uploading' end::lesson_video_status,
                      'bench-upload-' || i, case when %s then 'bench-asset-' || i end
               from generate_series(%s::int, %s::int) as i""",
            (course, with_assets, with_assets, first, first + count - 1),
        )
        conn.execute("analyze lessons")
    return str(user)


def service_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MUX_", "SUPABASE_"))}
    return {
        **env,
        "APP_ENV": "development",
        "DATABASE_URL": database_url,
        "MUX_WEBHOOK_SECRET": BENCH_SECRET,
        "SUPABASE_JWT_SECRET": BENCH_JWT_SECRET,
        "LOG_LEVEL": "INFO",  # as in production
        **extra,
    }


def run_loadgen(
    server: str,
    *,
    first: int,
    lessons: int,
    concurrency: int,
    seconds: float,
    rate: float | None = None,
    shuffled_duplicates: float | None = None,
) -> dict[str, Any]:
    """Run bench.loadgen in its own process against `server`; its JSON result."""
    args = [
        sys.executable,
        "-m",
        "bench.loadgen",
        "--url",
        f"{server}/api/webhooks/mux",
        "--first-lesson",
        str(first),
        "--lessons",
        str(lessons),
        "--concurrency",
        str(concurrency),
        "--max-seconds",
        str(seconds),
    ]
    if rate is not None:
        args += ["--rate", str(rate)]
    if shuffled_duplicates is not None:
        args += ["--shuffle", "--duplicates", str(shuffled_duplicates)]
    out = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def postgres_processes() -> list[psutil.Process]:
    return [
        p for p in psutil.process_iter(["name"]) if p.info["name"] in ("postgres", "postmaster")
    ]


def server_processes(url: str) -> list[psutil.Process]:
    """The uvicorn process serving `url` and its worker processes."""
    port = int(url.rsplit(":", 1)[1])
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if "uvicorn" in " ".join(cmdline) and str(port) in cmdline:
            return [process, *process.children(recursive=True)]
    return []


@contextmanager
def uvicorn_server(app: str, env: dict[str, str], *, workers: int = 1) -> Iterator[str]:
    port = free_port()
    command = [
        *(sys.executable, "-m", "uvicorn", app, "--port", str(port)),
        *("--loop", "uvloop", "--http", "httptools", "--no-access-log"),
        *("--workers", str(workers), "--log-level", "warning"),
    ]
    with served(command, port, env=env, cwd=ROOT, label=app.replace(":", "_")) as (url, _):
        yield url


@contextmanager
def served(
    command: list[str], port: int, *, env: dict[str, str], cwd: Path, label: str, wait: float = 30
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A server process on `port`, logging to bench/logs, once it answers `/healthz`."""
    LOGS.mkdir(parents=True, exist_ok=True)
    log = (LOGS / f"{label}-{port}.log").open("wb")
    child = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                httpx.get(f"{url}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                if child.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{label} did not start; see {log.name}") from None
                time.sleep(0.1)
        yield url, child
    finally:
        child.terminate()
        child.wait(timeout=15)
        log.close()
