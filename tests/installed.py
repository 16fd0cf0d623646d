"""The service as an operator installs it: a wheel built from a source tree (this checkout's,
or a previous release's from git), in a virtual environment of its own, run from a folder
outside any checkout. `tests/test_package.py` runs this release so; `tests/test_previous_release.py`
runs the release before it beside this one, on one database."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from mux_emulator.config import EmulatorConfig
from mux_emulator.server import BackgroundServer
from tests.mux_scenario import TEST_SECRET
from tests.tokens import JWT_SECRET

ROOT = Path(__file__).resolve().parent.parent
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    workdir: Path

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    @property
    def site_packages(self) -> Path:
        [site] = self.venv.glob("lib/python*/site-packages")
        return site

    def env(self, **settings: str) -> dict[str, str]:
        """A clean environment: the venv's bin first on PATH, nothing of the checkout's."""
        keep = ("HOME", "LANG", "LC_ALL", "TMPDIR", "USER")
        env = {k: v for k, v in os.environ.items() if k in keep}
        env["PATH"] = f"{self.bin}{os.pathsep}/usr/local/bin:/usr/bin:/bin"
        env["PYTHONUNBUFFERED"] = "1"
        return {**env, **settings}

    def run(
        self, command: str, env: dict[str, str], timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["/bin/sh", "-c", command],
            env=env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self, command: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        """A long-running command (a server, a worker), its output in `log`."""
        with log.open("wb") as out:
            return subprocess.Popen(
                ["/bin/sh", "-c", f"exec {command}"],
                env=env,
                cwd=self.workdir,
                stdout=out,
                stderr=out,
            )


def source_tree(destination: Path) -> Path:
    """The files git would check out (tracked, or new and not ignored), links kept as links:
    a build in the checkout itself would leave `build/` and an egg-info behind in it."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for relative in filter(None, listed.split("\0")):
        source, target = ROOT / relative, destination / relative
        if not source.is_symlink() and not source.exists():
            continue  # deleted in the working tree, not yet committed
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        elif source.is_file():
            shutil.copy2(source, target)
    return destination


def install(source: Path, root: Path) -> Installed:
    """`pip wheel --no-deps` of `source`, then the wheel (with its declared dependencies from
    the package index) into a new virtual environment under `root`."""
    dist = root / "dist"
    subprocess.run(
        [*PIP, "wheel", "--no-deps", "-w", str(dist), str(source)], check=True, timeout=300
    )
    [wheel] = dist.glob("mux_lessons-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run(
        [*PIP, "--python", str(venv / "bin" / "python"), "install", str(wheel)],
        check=True,
        timeout=600,
    )
    workdir = root / "elsewhere"
    workdir.mkdir(exist_ok=True)
    return Installed(wheel, venv, workdir)


def production_settings(database: str, mux_server: BackgroundServer) -> dict[str, str]:
    """What README.md's production section says to set, pointed at the emulator."""
    emulator: EmulatorConfig = mux_server.app.state.config
    return {
        "APP_ENV": "production",
        "DATABASE_URL": database,
        "MUX_API_URL": mux_server.url,
        "MUX_TOKEN_ID": emulator.token_id,
        "MUX_TOKEN_SECRET": emulator.token_secret,
        "MUX_WEBHOOK_SECRET": TEST_SECRET,
        "SUPABASE_JWT_SECRET": JWT_SECRET,
        "CORS_ALLOWED_ORIGINS": "https://app.example.test",
    }


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> httpx.Response:
    """The first answer of `/readyz` (whatever it says) once the server listens."""
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, log.read_text()
        try:
            return httpx.get(f"{url}/readyz", timeout=2)
        except httpx.HTTPError:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)


def stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=30)
