"""Publishing (issue 28) during a rolling deploy: the previous release still serving on this
release's schema shows learners exactly what this release's rule allows. A lesson an author
unpublishes through the new process leaves the old process's open learner streams at once
(the `lesson_video` notification in the shape the old listener parses), and a course made
draft leaves the old process's catalog and course page."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import psycopg

from devstack.ports import free_port
from mux_emulator.server import BackgroundServer
from tests.installed import ROOT, Installed, production_settings, stop
from tests.sse_client import SseReader
from tests.test_previous_release import (
    Server,
    _checkout_env,
    _lesson_with_upload,
    _publish,
    _until,
    database,  # noqa: F401 (fixture)
    previous,  # noqa: F401 (fixture)
)
from tests.tokens import hs256


async def test_the_previous_release_hides_what_an_author_unpublishes(
    previous: Installed,  # noqa: F811
    database: str,  # noqa: F811
    mux_server: BackgroundServer,
    tmp_path: Path,
) -> None:
    logs = tmp_path
    settings = production_settings(database, mux_server)
    old_env = previous.env(**settings)
    migrated = previous.run("mux-lessons migrate", old_env)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    servers: list[Server] = []

    def serve(name: str, command: list[str], env: dict[str, str], cwd: Path) -> Server:
        port, log = free_port(), logs / f"{name}.log"
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
        author = uuid.uuid4()
        with psycopg.connect(database, autocommit=True) as conn:
            conn.execute(
                "insert into auth.users (id, email) values (%s, 'a@example.test')", (author,)
            )
        auth = {"Authorization": f"Bearer {hs256(author)}"}
        async with httpx.AsyncClient(base_url=old.url, headers=auth, timeout=10) as on_old:
            course = (await on_old.post("/api/courses", json={"title": "Before"})).json()[
                "courseId"
            ]
            first, upload = await _lesson_with_upload(on_old, course, "First")
            await _publish(old, first, upload)
            second, upload = await _lesson_with_upload(on_old, course, "Second")
            await _publish(old, second, upload)

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
        new = serve(
            "this",
            [sys.executable, "-m", "uvicorn", "service.app:app"],
            _checkout_env(settings),
            ROOT,
        )
        assert new.ready().status_code == 200

        timeout = httpx.Timeout(10, read=60)
        async with (
            httpx.AsyncClient(base_url=old.url, timeout=timeout) as anonymous,
            httpx.AsyncClient(base_url=new.url, headers=auth, timeout=10) as on_new,
            anonymous.stream("GET", f"/api/lessons/{first}/events") as lesson_stream,
            anonymous.stream("GET", f"/api/courses/{course}/events") as course_stream,
        ):
            assert (lesson_stream.status_code, course_stream.status_code) == (200, 200)
            on_lesson, on_course = SseReader(lesson_stream), SseReader(course_stream)
            await on_lesson.read(1)
            listing = await _until(on_course, lambda e: e["event"] == "lessons")
            assert {x["lessonId"] for x in listing["data"]["lessons"]} == {first, second}

            made = await on_new.patch(f"/api/lessons/{first}", json={"visibility": "draft"})
            assert made.status_code == 200, made.text
            ended = await _until(on_lesson, lambda e: e["event"] == "end")
            assert ended["data"] == {"reason": "not_visible"}
            relisted = await _until(on_course, lambda e: e["event"] == "lessons")
            assert [x["lessonId"] for x in relisted["data"]["lessons"]] == [second]
            assert (await anonymous.get(f"/api/lessons/{first}")).status_code == 404

            made = await on_new.patch(f"/api/courses/{course}", json={"visibility": "draft"})
            assert made.status_code == 200, made.text
            gone = await _until(on_course, lambda e: e["event"] == "end")
            assert gone["data"] == {"reason": "not_visible"}
            assert (await anonymous.get(f"/api/courses/{course}")).status_code == 404
            catalog = (await anonymous.get("/api/catalog")).json()["courses"]
            assert course not in {c["courseId"] for c in catalog}
    finally:
        codes = {server.name: stop(server.process) for server in servers}
    for server in servers:
        assert "Traceback" not in server.log.read_text(), server.name
    assert set(codes.values()) <= {0, -15}, codes
