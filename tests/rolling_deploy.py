"""A rolling deploy, as an operator runs one, for the tests of upgrades: the previous release
(the commit named first in RELEASES.txt, built from this repository's own history into a
virtual environment of its own) serving a database, this tree's migrations run under it, and
this tree's service started beside it. docs/upgrades.md has the rules this holds releases to.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from devstack.ports import free_port
from mux_emulator.server import BackgroundServer
from tests.installed import ROOT, Installed, install, production_settings, stop, wait_ready
from tests.mux_scenario import Video, signed_request
from tests.sse_client import SseReader
from tests.tokens import hs256

RELEASES = ROOT / "RELEASES.txt"
CACHE = ROOT / ".cache" / "previous-release"


def previous_release() -> str:
    """The commit of the release before this one: the first line of RELEASES.txt that is not
    a comment, `<date> <commit>`."""
    for line in RELEASES.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            return line.split()[1]
    raise AssertionError("RELEASES.txt names no release")


def git(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, check=False)


def build_previous() -> Installed:
    """The previous release's wheel installed in a virtual environment of its own, built once
    per commit on this machine (under .cache/, which git ignores)."""
    commit = previous_release()
    found = git("cat-file", "-e", f"{commit}^{{commit}}")
    assert found.returncode == 0, (
        f"the previous release {commit} (RELEASES.txt) is not in this clone's history: "
        "fetch it (`git fetch --unshallow`)"
    )
    root = CACHE / commit
    complete = root / "complete"
    if not complete.exists():
        # Built where it will be used: a venv's scripts name their interpreter by path.
        shutil.rmtree(root, ignore_errors=True)
        source = root / "source"
        source.mkdir(parents=True)
        archive = git("archive", "--format=tar", commit)
        assert archive.returncode == 0, archive.stderr.decode()
        tar = root / "source.tar"
        tar.write_bytes(archive.stdout)
        with tarfile.open(tar) as members:
            members.extractall(source, filter="tar")
        install(source, root)
        complete.write_text(commit + "\n")
    return Installed(next((root / "dist").glob("*.whl")), root / "venv", root / "elsewhere")


class Server:
    """One service process (either release) on a loopback port."""

    def __init__(self, name: str, process: subprocess.Popen[bytes], port: int, log: Path):
        self.name, self.process, self.log = name, process, log
        self.url = f"http://127.0.0.1:{port}"

    def ready(self) -> httpx.Response:
        return wait_ready(self.url, self.process, self.log)


class RollingDeploy:
    """The processes of both releases on one database; `close()` stops them all and fails on
    a traceback in any log or an unclean exit."""

    def __init__(
        self, previous: Installed, database: str, mux_server: BackgroundServer, logs: Path
    ) -> None:
        self.previous, self.database, self.logs = previous, database, logs
        self.settings = production_settings(database, mux_server)
        self.previous_env = previous.env(**self.settings)
        keep = ("HOME", "LANG", "LC_ALL", "TMPDIR", "USER", "PATH")
        self.this_env = {
            **{k: v for k, v in os.environ.items() if k in keep},
            **self.settings,
        }
        self.processes: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}

    def migrate_previous(self) -> None:
        migrated = self.previous.run("mux-lessons migrate", self.previous_env)
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr

    def migrate_this(self) -> None:
        """This tree's `migrate`, as run while the previous release serves."""
        applied = subprocess.run(
            [sys.executable, "-m", "service", "migrate"],
            env=self.this_env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert applied.returncode == 0, applied.stdout + applied.stderr

    def _start(
        self, name: str, command: list[str], env: dict[str, str], cwd: Path
    ) -> subprocess.Popen[bytes]:
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=out)
        self.processes[name] = (process, log)
        return process

    def _serve(self, name: str, command: list[str], env: dict[str, str], cwd: Path) -> Server:
        port = free_port()
        process = self._start(
            name, [*command, "--host", "127.0.0.1", "--port", str(port)], env, cwd
        )
        server = Server(name, process, port, self.processes[name][1])
        ready = server.ready()
        assert ready.status_code == 200, (name, ready.text)
        return server

    def serve_previous(self) -> Server:
        uvicorn = [str(self.previous.bin / "uvicorn"), "service.app:app"]
        return self._serve("previous", uvicorn, self.previous_env, self.previous.workdir)

    def serve_this(self) -> Server:
        uvicorn = [sys.executable, "-m", "uvicorn", "service.app:app"]
        return self._serve("this", uvicorn, self.this_env, ROOT)

    def start_previous_worker(self) -> Path:
        """The previous release's worker; its log."""
        command = [str(self.previous.bin / "mux-lessons"), "worker", "--no-reconcile"]
        env = {**self.previous_env, "WORKER_POLL_SECONDS": "0.2"}
        self._start("previous-worker", command, env, self.previous.workdir)
        return self.processes["previous-worker"][1]

    def author(self) -> dict[str, str]:
        """A new user's authorization header."""
        user = uuid.uuid4()
        with psycopg.connect(self.database, autocommit=True) as conn:
            conn.execute(
                "insert into auth.users (id, email) values (%s, %s)",
                (user, f"{user.hex[:8]}@example.test"),
            )
        return {"Authorization": f"Bearer {hs256(user)}"}

    def close(self) -> None:
        codes = {name: stop(process) for name, (process, _) in self.processes.items()}
        for name, (_, log) in self.processes.items():
            assert "Traceback" not in log.read_text(), (name, log.read_text())
        assert set(codes.values()) <= {0, -15}, codes


async def publish(server: Server, lesson: str, upload_id: str) -> None:
    """Mux's webhooks for an upload that became a ready asset, delivered to `server`."""
    video = Video(lesson_id=uuid.UUID(lesson), upload_id=upload_id)
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        for payload in (video.upload_asset_created(), video.asset_created(), video.asset_ready()):
            body, headers = signed_request(payload)
            answer = await http.post("/api/webhooks/mux", content=body, headers=headers)
            assert answer.status_code == 200, (server.name, answer.text)


async def make_public(author: httpx.AsyncClient, course: str, *lessons: str) -> None:
    """The course and these lessons made public by their author, through `author`'s process.
    Since the release of 2026-12-06 a course and a lesson start as drafts, which learners see
    only once published."""
    for path in (f"/api/courses/{course}", *(f"/api/lessons/{lesson}" for lesson in lessons)):
        made = await author.patch(path, json={"visibility": "public"})
        assert made.status_code == 200, made.text


async def lesson_with_upload(author: httpx.AsyncClient, course: str, title: str) -> tuple[str, str]:
    """A lesson added at the end of `course`, with an upload issued: (lesson id, upload id)."""
    added = await author.post(f"/api/courses/{course}/lessons", json={"title": title})
    assert added.status_code == 201, added.text
    lesson = added.json()["lessonId"]
    upload = await author.post("/api/mux/upload", json={"lessonId": lesson})
    assert upload.status_code == 201, upload.text
    return lesson, upload.json()["uploadId"]


async def until(
    reader: SseReader, seen: Callable[[dict[str, Any]], bool], timeout: float = 15
) -> dict[str, Any]:
    """Reads the stream until an event for which `seen` holds; fails after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            [event] = await reader.read(1, timeout=max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            pytest.fail(f"the stream was not told within {timeout} s")
        if seen(event):
            return event
