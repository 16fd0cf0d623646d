"""`GET /api/lessons/{id}` and `GET /api/courses/{id}`: what the web app's pages read, as RLS
lets the caller see it."""

from __future__ import annotations

import uuid

import httpx

from service.database.pool import Database
from tests.factories import create_course, create_lesson, create_user
from tests.mux_scenario import Video, attach_upload, deliver
from tests.tokens import hs256


def _auth(user: uuid.UUID) -> dict[str, str]:
    return {"Authorization": f"Bearer {hs256(user)}"}


async def _publish(client: httpx.AsyncClient, db: Database, lesson: uuid.UUID) -> Video:
    video = Video(lesson)
    await attach_upload(db, lesson, video.upload_id)
    await deliver(client, video.asset_ready())
    return video


async def test_the_owner_reads_a_draft_lesson_as_editable_and_no_one_else_sees_it(
    author_client: httpx.AsyncClient, db: Database
) -> None:
    author, stranger = await create_user(db), await create_user(db)
    course = await create_course(db, author, title="Course A")
    lesson = await create_lesson(db, author, course, title="Intro")

    mine = await author_client.get(f"/api/lessons/{lesson}", headers=_auth(author))
    assert mine.status_code == 200
    body = mine.json()
    assert (body["lessonId"], body["courseId"]) == (str(lesson), str(course))
    assert body["title"] == "Intro"
    assert body["editable"] is True
    assert body["video"]["status"] == "draft" and body["video"]["lessonId"] == str(lesson)

    for headers in ({}, _auth(stranger)):
        hidden = await author_client.get(f"/api/lessons/{lesson}", headers=headers)
        assert (hidden.status_code, hidden.json()["error"]["code"]) == (404, "lesson_not_found")
    malformed = await author_client.get("/api/lessons/not-a-uuid")
    assert malformed.json()["error"]["code"] == "lesson_not_found"


async def test_a_published_lesson_is_readable_by_anyone_but_editable_only_by_its_owner(
    author_client: httpx.AsyncClient, db: Database
) -> None:
    author, stranger = await create_user(db), await create_user(db)
    lesson = await create_lesson(db, author)
    video = await _publish(author_client, db, lesson)
    for headers in ({}, _auth(stranger)):
        seen = await author_client.get(f"/api/lessons/{lesson}", headers=headers)
        assert seen.status_code == 200
        assert seen.json()["editable"] is False
        assert seen.json()["video"]["playbackId"] == video.playback_id


async def test_a_course_lists_only_the_lessons_the_caller_may_see_in_order(
    author_client: httpx.AsyncClient, db: Database
) -> None:
    author, stranger = await create_user(db), await create_user(db)
    course = await create_course(db, author, title="Course B")
    second = await create_lesson(db, author, course, title="Second")
    first = await create_lesson(db, author, course, title="First")
    moved = await author_client.put(
        f"/api/courses/{course}/lesson-order",
        json={"lessonIds": [str(first), str(second)]},
        headers=_auth(author),
    )
    assert moved.status_code == 200, moved.text
    await _publish(author_client, db, second)

    owner = (await author_client.get(f"/api/courses/{course}", headers=_auth(author))).json()
    assert (owner["title"], owner["editable"]) == ("Course B", True)
    assert [(x["title"], x["video"]["status"]) for x in owner["lessons"]] == [
        ("First", "draft"),
        ("Second", "published"),
    ]
    assert owner["lessons"][0]["lessonId"] == str(first)

    public = (await author_client.get(f"/api/courses/{course}", headers=_auth(stranger))).json()
    assert public["editable"] is False
    assert [x["title"] for x in public["lessons"]] == ["Second"]


async def test_a_course_with_nothing_published_is_not_found_to_others(
    author_client: httpx.AsyncClient, db: Database
) -> None:
    author, stranger = await create_user(db), await create_user(db)
    course = await create_course(db, author)
    await create_lesson(db, author, course)
    for path in (f"/api/courses/{course}", f"/api/courses/{uuid.uuid4()}", "/api/courses/x"):
        for headers in ({}, _auth(stranger)):
            hidden = await author_client.get(path, headers=headers)
            assert (hidden.status_code, hidden.json()["error"]["code"]) == (
                404,
                "course_not_found",
            )
