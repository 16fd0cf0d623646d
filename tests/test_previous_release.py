"""A rolling deploy, as an operator runs one: the previous release serving, this release's
migrations run under it, then this release's process beside the old one on the same database.

The previous release is the commit named first in RELEASES.txt, built from this repository's
own history (tests/rolling_deploy.py). Until the last old process is gone, it must go on
working on the new schema: its webhooks applied, its live streams told of every change (the
new process's too), its worker's rounds, its author routes answering, and learners shown what
they were shown before. docs/upgrades.md has the rules a migration follows so that this holds.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg

from tests.installed import ROOT
from tests.rolling_deploy import (
    RollingDeploy,
    Server,
    git,
    lesson_with_upload,
    make_public,
    previous_release,
    publish,
    until,
)
from tests.sse_client import SseReader


def test_releases_names_an_ancestor_whose_migrations_this_release_keeps_unchanged() -> None:
    """Append-only: every migration the previous release shipped is here, byte for byte."""
    commit = previous_release()
    assert git("merge-base", "--is-ancestor", commit, "HEAD").returncode == 0, commit
    listed = git("ls-tree", "--name-only", commit, "supabase/migrations/").stdout.decode()
    names = [Path(n).name for n in listed.split()]
    assert names, "the previous release shipped migrations"
    here = {p.name for p in (ROOT / "supabase" / "migrations").glob("*.sql")}
    for name in names:
        assert name in here, f"{name} was removed; migrations are append-only"
        old = git("show", f"{commit}:supabase/migrations/{name}").stdout
        assert old == (ROOT / "supabase" / "migrations" / name).read_bytes(), (
            f"{name} was edited after its release; add a new migration instead"
        )
    assert max(here) >= max(names)


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
async def _course_stream(
    server: Server, course: str, auth: dict[str, str]
) -> AsyncIterator[SseReader]:
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=httpx.Timeout(10, read=60)) as http,
        http.stream(
            "GET", f"/api/courses/{course}/events", headers={**auth, "Accept": "text/event-stream"}
        ) as response,
    ):
        assert response.status_code == 200
        yield SseReader(response)


async def test_the_previous_release_keeps_working_while_this_one_rolls_out(
    rolling_deploy: RollingDeploy,
) -> None:
    deploy = rolling_deploy
    deploy.migrate_previous()
    old = deploy.serve_previous()
    auth = deploy.author()
    async with httpx.AsyncClient(base_url=old.url, headers=auth, timeout=10) as on_old:
        created = await on_old.post("/api/courses", json={"title": "Before the upgrade"})
        assert created.status_code == 201, created.text
        course = created.json()["courseId"]
        first, upload = await lesson_with_upload(on_old, course, "Published before")
        await publish(old, first, upload)
        await make_public(on_old, course, first)
        async with _course_stream(old, course, auth) as stream:
            await until(stream, _published(first))
            before = await _what_learners_see(old, course)
            assert course in before[0] and before[1] == {first}

            deploy.migrate_this()  # while the previous release serves
            ready = httpx.get(f"{old.url}/readyz", timeout=5)
            assert ready.status_code == 200, ready.text
            # The previous release's worker too: each of its rounds calls the inbox,
            # parked-event and cleanup functions it knows, on the new schema.
            worker_log = deploy.start_previous_worker()
            new = deploy.serve_this()

            # A lesson uploaded through the new process, its webhooks to the new process:
            # the old process's stream is told.
            async with httpx.AsyncClient(base_url=new.url, headers=auth, timeout=10) as on_new:
                second, upload = await lesson_with_upload(on_new, course, "Through the new")
            await publish(new, second, upload)
            await until(stream, _published(second))

            # And one through the old process, on the new schema.
            third, upload = await lesson_with_upload(on_old, course, "Through the old")
            await publish(old, third, upload)
            await until(stream, _published(third))

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

    with psycopg.connect(deploy.database) as conn:
        states = conn.execute("select state::text, count(*) from mux_events group by 1")
        assert dict(states.fetchall()) == {"applied": 9}
        # The deleted lesson's asset is deleted at Mux (by the old process or its worker).
        assert conn.execute("select count(*) from mux_cleanups").fetchone() == (1,)
        deadline = time.monotonic() + 15
        while conn.execute(
            "select count(*) from mux_cleanups where state <> 'done'"
        ).fetchone() != (0,):
            assert time.monotonic() < deadline, "the cleanup was never done"
            time.sleep(0.1)
            conn.commit()
    rounds = worker_log.read_text()
    assert "worker started" in rounds, rounds
    assert "iteration failed" not in rounds, rounds
