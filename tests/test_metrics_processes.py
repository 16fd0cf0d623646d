"""Metrics with several processes: `uvicorn --workers 2` and a separate `python -m service
worker`, sharing PROMETHEUS_MULTIPROC_DIR. Whichever process answers `/metrics`, the counters
are the sums over all of them, and the figures read from Postgres are counted once."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest

from bench.harness import ROOT, service_env
from bench.workload import BENCH_SECRET
from devstack.ports import free_port
from mux_emulator.config import EmulatorConfig
from mux_emulator.server import BackgroundServer
from tests.commands import run_service
from tests.mux_scenario import Video, signed_request
from tests.test_metrics import AUTH, TOKEN, parse, value

WEBHOOKS = 40


def _wait_ready(url: str, child: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert child.poll() is None, "the service exited"
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(url)


@pytest.fixture
def processes(
    database_url: str, tmp_path: Path, mux_server: BackgroundServer
) -> Iterator[tuple[str, Path]]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("truncate mux_events")
    emulator: EmulatorConfig = mux_server.app.state.config
    env = service_env(
        database_url,
        METRICS_TOKEN=TOKEN,
        METRICS_CACHE_SECONDS="0.1",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
        MUX_API_URL=mux_server.url,
        MUX_TOKEN_ID=emulator.token_id,
        MUX_TOKEN_SECRET=emulator.token_secret,
    )
    port = free_port()
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "service.app:app",
            "--port",
            str(port),
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    worker = subprocess.Popen([sys.executable, "-m", "service", "worker"], env=env, cwd=ROOT)
    try:
        _wait_ready(f"http://127.0.0.1:{port}", web)
        yield f"http://127.0.0.1:{port}", tmp_path
    finally:
        for child in (worker, web):
            child.terminate()
        for child in (worker, web):
            child.wait(15)


def test_counters_are_summed_over_every_process(processes: tuple[str, Path]) -> None:
    url, directory = processes
    for _ in range(WEBHOOKS):  # a fresh connection each: the kernel spreads them over workers
        body, headers = signed_request(Video(None).asset_ready(), secret=BENCH_SECRET)
        with httpx.Client(base_url=url) as client:
            assert client.post("/api/webhooks/mux", content=body, headers=headers).is_success
    deadline = time.monotonic() + 20
    while True:  # the worker's first reconcile run is counted too
        samples = parse(httpx.get(f"{url}/metrics", headers=AUTH).text)
        if value(samples, "mux_lessons_reconcile_runs_total", result="done") >= 1:
            break
        assert time.monotonic() < deadline, "the worker's reconcile run never showed"
        time.sleep(0.2)
    writers = {path.stem.rsplit("_", 1)[-1] for path in directory.glob("counter_*.db")}
    assert len(writers) >= 2  # several processes wrote counters
    for _ in range(6):  # whichever web worker answers, the same sums
        with httpx.Client(base_url=url) as client:
            samples = parse(client.get("/metrics", headers=AUTH).text)
        assert (
            value(
                samples,
                "mux_lessons_webhook_deliveries_total",
                type="video.asset.ready",
                outcome="unmatched",
            )
            == WEBHOOKS
        )
        assert value(samples, "mux_lessons_webhook_ingest_seconds_count") == WEBHOOKS
        assert value(samples, "mux_lessons_inbox_events", state="unmatched") == WEBHOOKS


def test_a_worker_on_its_own_host_serves_its_metrics_on_its_port(
    database_url: str, mux_server: BackgroundServer
) -> None:
    """On 127.0.0.1 only (WORKER_METRICS_HOST to change it), and only with the token, like
    the service's `/metrics`."""
    emulator: EmulatorConfig = mux_server.app.state.config
    port = free_port()
    env = service_env(
        database_url,
        WORKER_METRICS_PORT=str(port),
        METRICS_TOKEN=TOKEN,
        MUX_API_URL=mux_server.url,
        MUX_TOKEN_ID=emulator.token_id,
        MUX_TOKEN_SECRET=emulator.token_secret,
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.pop("WORKER_METRICS_HOST", None)
    worker = subprocess.Popen([sys.executable, "-m", "service", "worker"], env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                samples = parse(httpx.get(url, headers=AUTH, timeout=1).text)
                if value(samples, "mux_lessons_reconcile_runs_total", result="done") >= 1:
                    break
            except (httpx.HTTPError, KeyError, ValueError):
                pass
            assert worker.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            refused = httpx.get(url, headers=headers, timeout=5)
            assert refused.status_code == 401 and "mux_lessons" not in refused.text
        listening = {
            c.laddr.ip
            for c in psutil.Process(worker.pid).net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN
        }
        assert listening == {"127.0.0.1"}
    finally:
        worker.terminate()
        worker.wait(15)


def test_a_worker_metrics_port_without_a_token_stops_start_up(
    database_url: str, tmp_path: Path
) -> None:
    env = service_env(database_url, WORKER_METRICS_PORT=str(free_port()))
    env.pop("METRICS_TOKEN", None)
    result = run_service("worker", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "configuration error: WORKER_METRICS_PORT needs METRICS_TOKEN: the worker's metrics "
        "answer only `Authorization: Bearer <METRICS_TOKEN>`"
    ]
