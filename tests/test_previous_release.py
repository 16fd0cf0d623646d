"""A rolling deploy, as an operator runs one: the previous release serving, this release's
migrations run under it, then this release's process beside the old one on the same database.

The previous release is the commit named first in RELEASES.txt, built from this repository's
own history (`git archive` into a temporary folder, its wheel in a virtual environment of its
own). Until the last old process is gone, it must go on working on the new schema: its
webhooks applied, its live streams told of every change (the new process's too), its author
routes answering, and learners shown what they were shown before. docs/upgrades.md has the
rules a migration follows so that this holds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from devstack import postgres
from devstack.ports import free_port
from mux_emulator.server import BackgroundServer
from service.database import migrations
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


def _git(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, check=False)


@pytest.fixture(scope="module")
def previous() -> Installed:
    """The previous release's wheel installed in a virtual environment of its own, built once
    per commit on this machine (kept under .cache/, which git ignores)."""
    commit = previous_release()
    found = _git("cat-file", "-e", f"{commit}^{{commit}}")
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
        archive = _git("archive", "--format=tar", commit)
        assert archive.returncode == 0, archive.stderr.decode()
        tar = root / "source.tar"
        tar.write_bytes(archive.stdout)
        with tarfile.open(tar) as members:
            members.extractall(source, filter="tar")
        install(source, root)
        complete.write_text(commit + "\n")
    return Installed(next((root / "dist").glob("*.whl")), root / "venv", root / "elsewhere")


def test_releases_names_an_ancestor_whose_migrations_this_release_keeps_unchanged() -> None:
    """Append-only: every migration the previous release shipped is here, byte for byte."""
    commit = previous_release()
    assert _git("merge-base", "--is-ancestor", commit, "HEAD").returncode == 0, commit
    listed = _git("ls-tree", "--name-only", commit, "supabase/migrations/").stdout.decode()
    names = [Path(n).name for n in listed.split()]
    assert names, "the previous release shipped migrations"
    here = {p.name for p in (ROOT / "supabase" / "migrations").glob("*.sql")}
    for name in names:
        assert name in here, f"{name} was removed; migrations are append-only"
        old = _git("show", f"{commit}:supabase/migrations/{name}").stdout
        assert old == (ROOT / "supabase" / "migrations" / name).read_bytes(), (
            f"{name} was edited after its release; add a new migration instead"
        )
    assert max(here) >= max(names)


@pytest.fixture
def database(pg_server: str) -> Iterator[str]:
    """An empty database as a new Supabase project has it (the realtime publication)."""
    url = postgres.create_scratch_database(pg_server, prefix="mux_lessons_upgrade")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create publication supabase_realtime")
    yield url
    postgres.drop_database(pg_server, url)


class Server:
    """One service process (either release) on a loopback port."""

    def __init__(self, name: str, process: subprocess.Popen[bytes], port: int, log: Path):
        self.name, self.process, self.log = name, process, log
        self.url = f"http://127.0.0.1:{port}"

    def ready(self) -> httpx.Response:
        return wait_ready(self.url, self.process, self.log)


def _checkout_env(settings: dict[str, str]) -> dict[str, str]:
    keep = ("HOME", "LANG", "LC_ALL", "TMPDIR", "USER", "PATH")
    return {**{k: v for k, v in os.environ.items() if k in keep}, **settings}


async def _publish(server: Server, lesson: str, upload_id: str) -> None:
    """Mux's webhooks for an upload that became a ready asset, delivered to `server`."""
    video = Video(lesson_id=uuid.UUID(lesson), upload_id=upload_id)
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        for payload in (video.upload_asset_created(), video.asset_created(), video.asset_ready()):
            body, headers = signed_request(payload)
            answer = await http.post("/api/webhooks/mux", content=body, headers=headers)
            assert answer.status_code == 200, (server.name, answer.text)


async def _lesson_with_upload(
    author: httpx.AsyncClient, course: str, title: str
) -> tuple[str, str]:
    added = await author.post(f"/api/courses/{course}/lessons", json={"title": title})
    assert added.status_code == 201, added.text
    lesson = added.json()["lessonId"]
    upload = await author.post("/api/mux/upload", json={"lessonId": lesson})
    assert upload.status_code == 201, upload.text
    return lesson, upload.json()["uploadId"]


async def _until(
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


def _published(lesson: str) -> Callable[[dict[str, Any]], bool]:
    def seen(event: dict[str, Any]) -> bool:
        data = event["data"]
        return (
            event.get("event") == "video"
            and data.get("lessonId") == lesson
            and data.get("status") == "published"
        )

    return seen


async def _what_learners_see(server: Server, course: str) -> tuple[set[str], set[str]]:
    """The catalog's course ids and the course's lesson ids, for an anonymous visitor."""
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        catalog = await http.get("/api/catalog")
        assert catalog.status_code == 200, catalog.text
        page = await http.get(f"/api/courses/{course}")
        assert page.status_code == 200, (server.name, page.text)
    return (
        {c["courseId"] for c in catalog.json()["courses"]},
        {lesson["lessonId"] for lesson in page.json()["lessons"]},
    )


@asynccontextmanager
async def _course_stream(server: Server, course: str, token: str) -> AsyncIterator[SseReader]:
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=httpx.Timeout(10, read=60)) as http,
        http.stream(
            "GET",
            f"/api/courses/{course}/events",
            headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"},
        ) as response,
    ):
        assert response.status_code == 200
        yield SseReader(response)


async def test_the_previous_release_keeps_working_while_this_one_rolls_out(
    previous: Installed, database: str, mux_server: BackgroundServer, tmp_path: Path
) -> None:
    settings = production_settings(database, mux_server)
    old_env = previous.env(**settings)
    migrated = previous.run("mux-lessons migrate", old_env)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr

    servers: list[Server] = []
    worker: subprocess.Popen[bytes] | None = None
    worker_log = tmp_path / "previous-worker.log"

    def serve(name: str, command: list[str], env: dict[str, str], cwd: Path) -> Server:
        port, log = free_port(), tmp_path / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [*command, "--host", "127.0.0.1", "--port", str(port)],
                env=env,
                cwd=cwd,
                stdout=out,
                stderr=out,
            )
        server = Server(name, process, port, log)
        servers.append(server)
        return server

    try:
        old = serve(
            "previous",
            [str(previous.bin / "uvicorn"), "service.app:app"],
            old_env,
            previous.workdir,
        )
        assert old.ready().status_code == 200

        author_id = uuid.uuid4()
        with psycopg.connect(database, autocommit=True) as conn:
            conn.execute(
                "insert into auth.users (id, email) values (%s, 'author@example.test')",
                (author_id,),
            )
        token = hs256(author_id)
        auth = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=old.url, headers=auth, timeout=10) as on_old:
            created = await on_old.post("/api/courses", json={"title": "Before the upgrade"})
            assert created.status_code == 201, created.text
            course = created.json()["courseId"]
            first, upload = await _lesson_with_upload(on_old, course, "Published before")
            await _publish(old, first, upload)
            async with _course_stream(old, course, token) as stream:
                await _until(stream, _published(first))
                before = await _what_learners_see(old, course)
                assert course in before[0] and before[1] == {first}

                # This release's migrations, run while the previous release serves.
                applied = subprocess.run(
                    [sys.executable, "-m", "service", "migrate"],
                    env=_checkout_env(settings),
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    timeout=120,
                    check=False,
                )
                assert applied.returncode == 0, applied.stdout + applied.stderr
                ready = httpx.get(f"{old.url}/readyz", timeout=5)
                assert ready.status_code == 200, ready.text
                # The previous release's worker too: each of its rounds calls the inbox,
                # parked-event and cleanup functions it knows, on the new schema.
                worker = previous.start(
                    "mux-lessons worker --no-reconcile",
                    {**old_env, "WORKER_POLL_SECONDS": "0.2"},
                    worker_log,
                )

                new = serve(
                    "this",
                    [sys.executable, "-m", "uvicorn", "service.app:app"],
                    _checkout_env(settings),
                    ROOT,
                )
                ready = new.ready()
                assert ready.status_code == 200, ready.text

                # A lesson uploaded through the new process, its webhooks to the new process:
                # the old process's stream is told.
                async with httpx.AsyncClient(base_url=new.url, headers=auth, timeout=10) as on_new:
                    second, upload = await _lesson_with_upload(on_new, course, "Through the new")
                await _publish(new, second, upload)
                await _until(stream, _published(second))

                # And one through the old process, on the new schema.
                third, upload = await _lesson_with_upload(on_old, course, "Through the old")
                await _publish(old, third, upload)
                await _until(stream, _published(third))

            # The previous release's author routes still answer.
            listed = await on_old.get("/api/courses")
            assert listed.status_code == 200, listed.text
            [mine] = [c for c in listed.json()["courses"] if c["courseId"] == course]
            assert mine["lessonCount"] == 3 and mine["lessonsByStatus"]["published"] == 3
            renamed = await on_old.patch(
                f"/api/courses/{course}",
                json={"title": "Renamed by the old release"},
                headers={"If-Match": f'"{mine["revision"]}"'},
            )
            assert renamed.status_code == 200, renamed.text
            edited = await on_old.patch(f"/api/lessons/{first}", json={"description": "Still ok"})
            assert edited.status_code == 200, edited.text
            order = await on_old.put(
                f"/api/courses/{course}/lesson-order", json={"lessonIds": [third, second, first]}
            )
            assert order.status_code == 200, order.text
            lesson = await on_old.get(f"/api/lessons/{first}")
            assert lesson.status_code == 200 and lesson.json()["video"]["status"] == "published"
            deleted = await on_old.delete(f"/api/lessons/{third}")
            assert deleted.status_code == 200, deleted.text

        # What learners saw before the upgrade, they still see, through either process.
        for server in (old, new):
            catalog, lessons = await _what_learners_see(server, course)
            assert course in catalog and first in lessons, server.name

        with psycopg.connect(database) as conn:
            states = conn.execute(
                "select state::text, count(*) from mux_events group by 1"
            ).fetchall()
            assert dict(states) == {"applied": 9}, states
            # The deleted lesson's asset is deleted at Mux (by the old process or its worker).
            assert conn.execute("select count(*) from mux_cleanups").fetchone() == (1,)
            deadline = time.monotonic() + 15
            while conn.execute(
                "select count(*) from mux_cleanups where state <> 'done'"
            ).fetchone() != (0,):
                assert time.monotonic() < deadline, "the cleanup was never done"
                time.sleep(0.1)
                conn.commit()
    finally:
        codes = {server.name: stop(server.process) for server in servers}
        if worker is not None:
            codes["previous worker"] = stop(worker)
    for server in servers:
        log = server.log.read_text()
        assert "Traceback" not in log, (server.name, log)
    rounds = worker_log.read_text()
    assert "worker started" in rounds and "worker stopped" in rounds, rounds
    assert "Traceback" not in rounds and "iteration failed" not in rounds, rounds
    assert set(codes.values()) <= {0, -15}, codes
    assert migrations.discover(), "this release ships migrations"
