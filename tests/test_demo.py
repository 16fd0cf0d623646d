"""`make demo ARGS=--once` on this machine: embedded PostgreSQL, emulator, service, worker."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("flag", [None, "--chaos", "--pooler", "--pooler-only"])
def test_demo_publishes_the_sample_lesson(
    repo_env: dict[str, str], tmp_path: Path, flag: str | None
) -> None:
    """`--pooler` runs the service through PgBouncer in transaction mode (LISTEN over the
    session URL); `--pooler-only` with nothing else, so live status polls."""
    args = [sys.executable, "-m", "demo", "--once", "--data-dir", str(tmp_path / "pg")]
    result = subprocess.run(
        args + ([flag] if flag else []),
        env=repo_env,  # no DATABASE_URL: the demo starts its own embedded PostgreSQL
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "status: processing" in result.stdout
    assert "status: published" in result.stdout
    assert "visitors      can watch it (the demo published its course and lesson)" in result.stdout
    assert "embedded PostgreSQL" in result.stdout
    assert ("repaired by the reconciler" in result.stdout) is (flag == "--chaos")
    assert ("PgBouncer, transaction mode" in result.stdout) is (
        flag in ("--pooler", "--pooler-only")
    )
    live = "live      poll  (degraded" if flag == "--pooler-only" else "live      listen"
    assert live in result.stdout


def test_a_child_that_exits_early_shows_its_own_error_line(
    repo_env: dict[str, str], tmp_path: Path, scratch_database: str
) -> None:
    """The service refuses a malformed setting with one line; the demo prints that line and
    where the whole log is, not only that something exited."""
    result = subprocess.run(
        [sys.executable, "-m", "demo", "--once", "--data-dir", str(tmp_path / "pg")],
        env={**repo_env, "DATABASE_URL": scratch_database, "DB_POOL_MAX": "ten"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "service exited early (exit code 2)" in result.stderr, result.stderr
    assert "| configuration error: DB_POOL_MAX must be an integer" in result.stderr
    assert f"full log: {tmp_path / 'demo-logs' / 'service.log'}" in result.stderr


def test_demo_lifecycle_leaves_nothing_at_mux(repo_env: dict[str, str], tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "demo", "--lifecycle", "--data-dir", str(tmp_path / "pg")],
        env=repo_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "caption en (ready), download highest.mp4 (ready)" in out
    assert "old asset deleted at Mux (assets at Mux: 1)" in out
    assert "video removed: status draft" in out
    assert "assets left at Mux: 0" in out
    assert "'delete_asset': 2" in out


@pytest.mark.skipif(
    not (ROOT / "web" / ".next" / "BUILD_ID").exists(), reason="`make test` builds the web app"
)
def test_make_web_serves_the_home_page_signed_in_as_the_demo_author(
    repo_env: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "demo.web", "--once", "--data-dir", str(tmp_path / "pg")],
        env={**repo_env, "DATABASE_URL": database_url},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    home = next(line.strip() for line in result.stdout.splitlines() if "#access_token=" in line)
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/#access_token=.*", home), home
    assert "refresh_token=" in home and "token_type=bearer" in home
    assert "/sign-in" in result.stdout and "@example.test / " in result.stdout
    assert "published by the demo: any visitor" in result.stdout
