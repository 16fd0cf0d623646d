"""Publishing (issue 28) during a rolling deploy: the previous release still serving on this
release's schema shows learners exactly what this release's rule allows. A lesson an author
unpublishes through the new process leaves the old process's open learner streams at once
(the `lesson_video` notification in the shape the old listener parses), and a course made
draft leaves the old process's catalog and course page."""

from __future__ import annotations

import httpx

from tests.rolling_deploy import RollingDeploy, lesson_with_upload, make_public, publish, until
from tests.sse_client import SseReader


async def test_the_previous_release_hides_what_an_author_unpublishes(
    rolling_deploy: RollingDeploy,
) -> None:
    deploy = rolling_deploy
    deploy.migrate_previous()
    old = deploy.serve_previous()
    auth = deploy.author()
    async with httpx.AsyncClient(base_url=old.url, headers=auth, timeout=10) as on_old:
        created = await on_old.post("/api/courses", json={"title": "Before"})
        course = created.json()["courseId"]
        first, upload = await lesson_with_upload(on_old, course, "First")
        await publish(old, first, upload)
        second, upload = await lesson_with_upload(on_old, course, "Second")
        await publish(old, second, upload)
        await make_public(on_old, course, first, second)

    deploy.migrate_this()
    new = deploy.serve_this()

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
        listing = await until(on_course, lambda e: e["event"] == "lessons")
        assert {x["lessonId"] for x in listing["data"]["lessons"]} == {first, second}

        made = await on_new.patch(f"/api/lessons/{first}", json={"visibility": "draft"})
        assert made.status_code == 200, made.text
        ended = await until(on_lesson, lambda e: e["event"] == "end")
        assert ended["data"] == {"reason": "not_visible"}
        relisted = await until(on_course, lambda e: e["event"] == "lessons")
        assert [x["lessonId"] for x in relisted["data"]["lessons"]] == [second]
        assert (await anonymous.get(f"/api/lessons/{first}")).status_code == 404

        made = await on_new.patch(f"/api/courses/{course}", json={"visibility": "draft"})
        assert made.status_code == 200, made.text
        gone = await until(on_course, lambda e: e["event"] == "end")
        assert gone["data"] == {"reason": "not_visible"}
        assert (await anonymous.get(f"/api/courses/{course}")).status_code == 404
        catalog = (await anonymous.get("/api/catalog")).json()["courses"]
        assert course not in {c["courseId"] for c in catalog}
