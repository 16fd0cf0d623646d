"""The Procfile a container host runs: each process, as written, in production settings,
with the pool through a transaction pooler (PgBouncer) and the session URL direct."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from devstack.pooler import PgBouncer
from devstack.ports import free_port

ROOT = Path(__file__).resolve().parent.parent


def _processes() -> dict[str, str]:
    processes = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, command = line.partition(":")
            processes[name.strip()] = command.strip()
    return processes


def _production_env(
    repo_env: dict[str, str], pgbouncer: PgBouncer, database_url: str
) -> dict[str, str]:
    return {
        **repo_env,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{repo_env.get('PATH', '')}",
        "APP_ENV": "production",
        "DATABASE_URL": pgbouncer.url(database_url),
        "DB_POOL_MODE": "transaction",
        "DATABASE_SESSION_URL": database_url,
        "MUX_TOKEN_ID": "procfile-test",
        "MUX_TOKEN_SECRET": "procfile-test-secret",
        "MUX_API_URL": "http://127.0.0.1:9",
        "MUX_WEBHOOK_SECRET": "procfile-webhook-secret",
        "SUPABASE_JWT_SECRET": "procfile-test-jwt-secret-of-at-least-32-chars",
        "PORT": str(free_port()),
        "WEB_CONCURRENCY": "1",
    }


def _start(command: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            ["/bin/sh", "-c", f"exec {command}"], env=env, cwd=ROOT, stdout=out, stderr=out
        )


def _stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=30)


def test_the_procfile_names_exactly_the_processes_tested_here() -> None:
    assert set(_processes()) == {"release", "web", "worker"}


def test_release_migrates_over_the_session_url(
    repo_env: dict[str, str], pgbouncer: PgBouncer, database_url: str
) -> None:
    env = _production_env(repo_env, pgbouncer, database_url)
    result = subprocess.run(
        ["/bin/sh", "-c", _processes()["release"]],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout.strip()) == (0, "up to date"), result.stderr


def test_web_serves_through_the_pooler_and_stops_on_sigterm(
    repo_env: dict[str, str], pgbouncer: PgBouncer, database_url: str, tmp_path: Path
) -> None:
    env = _production_env(repo_env, pgbouncer, database_url)
    web = _start(_processes()["web"], env, tmp_path / "web.log")
    try:
        deadline = time.monotonic() + 30
        while True:
            assert web.poll() is None, (tmp_path / "web.log").read_text()
            try:
                health = httpx.get(f"http://127.0.0.1:{env['PORT']}/healthz", timeout=2)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, (tmp_path / "web.log").read_text()
                time.sleep(0.1)
    finally:
        code = _stop(web)
    assert health.status_code == 200
    assert health.json()["detail"] == {
        "poolMode": "transaction",
        "liveStatus": {"mode": "listen", "degraded": False},
    }
    log = (tmp_path / "web.log").read_text()
    # uvicorn shuts down gracefully, then re-raises the signal it caught
    assert code in (0, -signal.SIGTERM) and "Application shutdown complete" in log, log


def test_worker_runs_and_stops_on_sigterm(
    repo_env: dict[str, str], pgbouncer: PgBouncer, database_url: str, tmp_path: Path
) -> None:
    env = _production_env(repo_env, pgbouncer, database_url)
    log = tmp_path / "worker.log"
    worker = _start(_processes()["worker"], env, log)
    deadline = time.monotonic() + 30
    while "worker started" not in log.read_text():
        assert worker.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)
    time.sleep(0.5)  # a reconcile run and a poll, through the pooler
    assert _stop(worker) == 0
    text = log.read_text()
    assert "worker stopped" in text and "ERROR" not in text, text
