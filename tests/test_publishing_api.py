"""Publishing (issue 28) through the API: `visibility` in every author-facing JSON, changed by
`PATCH` under the revision rule and refused by name when wrong; learners (anonymous, or any
signed-in user who is not the owner) reading and following only what the author made public,
with a published video; an unpublish reaching open learner streams at once; and the course's
own changes sent on the course and author streams (`event: course`)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from mux_emulator.server import BackgroundServer
from service.database.pool import Database
from service.live import hub as hub_module
from service.live.hub import ALL_LESSONS, LiveHub
from tests.factories import create_course, create_lesson, create_user
from tests.mux_scenario import Video, attach_upload, deliver
from tests.sse_client import SseReader
from tests.tokens import hs256


def _auth(user: uuid.UUID) -> dict[str, str]:
    return {"Authorization": f"Bearer {hs256(user)}"}


async def _post(http: httpx.AsyncClient, path: str, author: uuid.UUID, **body: Any) -> Any:
    response = await http.post(path, json=body, headers=_auth(author))
    assert response.status_code == 201, response.text
    return response.json()


async def _patch(
    http: httpx.AsyncClient,
    path: str,
    author: uuid.UUID,
    headers: dict[str, str] | None = None,
    **body: Any,
) -> httpx.Response:
    return await http.patch(path, json=body, headers={**_auth(author), **(headers or {})})


async def _ready(http: httpx.AsyncClient, db: Database, lesson: str) -> None:
    """The lesson's video goes through Mux and is published (webhooks, as Mux sends them)."""
    video = Video(uuid.UUID(lesson))
    await attach_upload(db, uuid.UUID(lesson), video.upload_id)
    await deliver(http, video.upload_asset_created())
    await deliver(http, video.asset_ready())


@pytest.fixture
async def http(live_service: BackgroundServer) -> Any:
    async with httpx.AsyncClient(base_url=live_service.url, timeout=10) as client:
        yield client


async def test_visibility_is_in_every_author_json_and_starts_draft(
    http: httpx.AsyncClient, db: Database
) -> None:
    author = await create_user(db)
    course = await _post(http, "/api/courses", author, title="Baking")
    lesson = await _post(http, f"/api/courses/{course['courseId']}/lessons", author, title="Bread")
    assert (course["visibility"], lesson["visibility"]) == ("draft", "draft")
    listed = (await http.get("/api/courses", headers=_auth(author))).json()["courses"]
    assert [(c["visibility"], c["publicLessons"]) for c in listed] == [("draft", 0)]
    page = (await http.get(f"/api/courses/{course['courseId']}", headers=_auth(author))).json()
    assert page["visibility"] == "draft"
    assert [x["visibility"] for x in page["lessons"]] == ["draft"]
    one = (await http.get(f"/api/lessons/{lesson['lessonId']}", headers=_auth(author))).json()
    assert (one["visibility"], one["courseVisibility"]) == ("draft", "draft")
    # Creation does not take a visibility: a new course or lesson is always a draft.
    refused = await http.post(
        "/api/courses", json={"title": "x", "visibility": "public"}, headers=_auth(author)
    )
    assert (refused.status_code, refused.json()["error"]["field"]) == (422, "visibility")


async def test_patch_visibility_follows_the_revision_rule_and_refuses_other_values(
    http: httpx.AsyncClient, db: Database
) -> None:
    author, stranger = await create_user(db), await create_user(db)
    course = await _post(http, "/api/courses", author, title="Baking")
    lesson = await _post(http, f"/api/courses/{course['courseId']}/lessons", author, title="Bread")
    for path in (f"/api/courses/{course['courseId']}", f"/api/lessons/{lesson['lessonId']}"):
        made = await _patch(http, path, author, {"If-Match": '"1"'}, visibility="public")
        assert (made.status_code, made.json()["visibility"]) == (200, "public"), made.text
        assert made.json()["revision"] == 1  # never makes another tab's text edit stale
        both = await _patch(http, path, author, title="Renamed", visibility="draft")
        assert (both.json()["title"], both.json()["visibility"]) == ("Renamed", "draft")
        stale = await _patch(http, path, author, {"If-Match": '"1"'}, visibility="public")
        assert (stale.status_code, stale.json()["error"]["code"]) == (409, "edit_conflict")
        assert stale.json()["error"]["current"]["visibility"] == "draft"
        for wrong in ("published", "", None, 1, ["public"]):
            bad = await _patch(http, path, author, visibility=wrong)
            assert bad.status_code == 422, (path, wrong)
            assert bad.json()["error"]["field"] == "visibility"
        theirs = await _patch(http, path, stranger, visibility="public")
        assert theirs.status_code == 404
        anonymous = await http.patch(path, json={"visibility": "public"})
        assert anonymous.status_code == 401
    missing = await _patch(http, f"/api/lessons/{uuid.uuid4()}", author, visibility="public")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "lesson_not_found")
    page = (await http.get(f"/api/courses/{course['courseId']}", headers=_auth(author))).json()
    assert (page["visibility"], page["lessons"][0]["visibility"]) == ("draft", "draft")


async def test_learners_see_only_what_the_author_made_public_with_its_video_ready(
    http: httpx.AsyncClient, db: Database
) -> None:
    author = await create_user(db)
    learners: list[dict[str, str]] = [{}, _auth(await create_user(db))]
    course = (await _post(http, "/api/courses", author, title="Baking"))["courseId"]
    ready, early, held = [
        (await _post(http, f"/api/courses/{course}/lessons", author, title=t))["lessonId"]
        for t in ("Ready", "Early", "Held back")
    ]
    for lesson in (ready, held):
        await _ready(http, db, lesson)

    async def learners_see() -> tuple[list[str], list[str]]:
        """What each learner finds: the course's lessons (or nothing) and the catalog."""
        seen = []
        for headers in learners:
            page = await http.get(f"/api/courses/{course}", headers=headers)
            titles = [x["title"] for x in page.json()["lessons"]] if page.status_code == 200 else []
            catalog = (await http.get("/api/catalog", headers=headers)).json()["courses"]
            lessons = {
                x: (await http.get(f"/api/lessons/{x}", headers=headers)).status_code
                for x in (ready, early, held)
            }
            assert [c["publishedLessons"] for c in catalog] == ([len(titles)] if titles else [])
            assert sorted(k for k, v in lessons.items() if v == 200) == sorted(
                {"Ready": ready, "Early": early, "Held back": held}[t] for t in titles
            )
            seen.append((titles, [c["title"] for c in catalog]))
        assert seen[0] == seen[1]  # anonymous and signed-in learners alike
        return seen[0]

    assert await learners_see() == ([], [])  # ready videos alone reach nobody
    await _patch(http, f"/api/lessons/{ready}", author, visibility="public")
    assert await learners_see() == ([], [])  # the course is still a draft
    # The owner's catalog is the learners' too: their own drafts are not in it.
    assert (await http.get("/api/catalog", headers=_auth(author))).json()["courses"] == []
    await _patch(http, f"/api/courses/{course}", author, visibility="public")
    assert await learners_see() == (["Ready"], ["Baking"])
    await _patch(http, f"/api/lessons/{early}", author, visibility="public")
    assert await learners_see() == (["Ready"], ["Baking"])  # public, but no video yet
    await _ready(http, db, early)
    assert await learners_see() == (["Ready", "Early"], ["Baking"])  # appears by itself
    await _patch(http, f"/api/lessons/{ready}", author, visibility="draft")
    assert await learners_see() == (["Early"], ["Baking"])
    listed = (await http.get("/api/courses", headers=_auth(author))).json()["courses"]
    assert listed[0]["publicLessons"] == 1
    owner = (await http.get(f"/api/courses/{course}", headers=_auth(author))).json()
    assert [x["title"] for x in owner["lessons"]] == ["Ready", "Early", "Held back"]


async def _next(reader: SseReader, event: str) -> dict[str, Any]:
    """The stream's next `event`, past any `video` event (a lesson's state sent again)."""
    while True:
        [sent] = await reader.read(1)
        if sent["event"] == event:
            return sent
        assert sent["event"] == "video", sent


async def test_unpublishing_reaches_open_learner_streams_at_once(
    http: httpx.AsyncClient, db: Database
) -> None:
    author = await create_user(db)
    course = (await _post(http, "/api/courses", author, title="Baking"))["courseId"]
    first, second = [
        (await _post(http, f"/api/courses/{course}/lessons", author, title=t))["lessonId"]
        for t in ("First", "Second")
    ]
    for lesson in (first, second):
        await _ready(http, db, lesson)
        await _patch(http, f"/api/lessons/{lesson}", author, visibility="public")
    await _patch(http, f"/api/courses/{course}", author, visibility="public")
    learner = _auth(await create_user(db))
    async with (
        http.stream("GET", f"/api/courses/{course}/events", headers=learner) as course_stream,
        http.stream("GET", f"/api/lessons/{first}/events") as lesson_stream,
    ):
        on_course, on_lesson = SseReader(course_stream), SseReader(lesson_stream)
        listing, *_ = await on_course.read(3)
        assert [x["title"] for x in listing["data"]["lessons"]] == ["First", "Second"]
        [video] = await on_lesson.read(1)
        assert video["data"]["status"] == "published"
        await _patch(http, f"/api/lessons/{first}", author, visibility="draft")
        [ended] = await on_lesson.read(1)
        assert (ended["event"], ended["data"]) == ("end", {"reason": "not_visible"})
        # (A `video` event may come first: a notification of the publishing above, told late.)
        relisted = await _next(on_course, "lessons")
        assert [x["title"] for x in relisted["data"]["lessons"]] == ["Second"]
        await _patch(http, f"/api/courses/{course}", author, visibility="draft")
        gone = await _next(on_course, "end")
        assert gone["data"] == {"reason": "not_visible"}
    refused = await http.get(f"/api/courses/{course}/events", headers=learner)
    assert refused.status_code == 404


async def test_a_courses_own_changes_reach_its_stream_and_its_authors(
    http: httpx.AsyncClient, db: Database
) -> None:
    author = await create_user(db)
    course = (await _post(http, "/api/courses", author, title="Baking"))["courseId"]
    lesson = (await _post(http, f"/api/courses/{course}/lessons", author, title="Bread"))[
        "lessonId"
    ]
    async with (
        http.stream("GET", f"/api/courses/{course}/events", headers=_auth(author)) as on_course,
        http.stream("GET", "/api/me/events", headers=_auth(author)) as on_me,
    ):
        course_events, my_events = SseReader(on_course), SseReader(on_me)
        await course_events.read(2)  # the listing and the lesson's video
        [mine] = await my_events.read(1)
        assert mine["data"]["lessons"][0]["visibility"] == "draft"
        await _patch(http, f"/api/courses/{course}", author, title="Bread baking")
        for events in (course_events, my_events):
            [renamed] = await events.read(1)
            assert renamed["event"] == "course"
            assert (renamed["data"]["title"], renamed["data"]["visibility"]) == (
                "Bread baking",
                "draft",
            )
            assert renamed["data"]["courseId"] == course
        await _patch(http, f"/api/lessons/{lesson}", author, visibility="public")
        [relisted] = await course_events.read(1)
        assert relisted["data"]["lessons"][0]["visibility"] == "public"
        [told] = await my_events.read(1)
        assert (told["event"], told["data"]["visibility"]) == ("video", "public")
        assert told["data"]["visibleToLearners"] is False  # no video, course draft
        await _ready(http, db, lesson)
        *_, ready = await my_events.read(3)  # uploading, processing, published
        assert (ready["data"]["status"], ready["data"]["visibleToLearners"]) == (
            "published",
            False,  # ready, but its course is a draft: not visible to learners yet
        )
        await _patch(http, f"/api/courses/{course}", author, visibility="public")
        events = await my_events.read(2)
        assert {e["event"] for e in events} == {"course", "video"}
        video = next(e for e in events if e["event"] == "video")
        assert (video["data"]["courseVisibility"], video["data"]["visibleToLearners"]) == (
            "public",
            True,
        )


async def test_a_polling_hub_notices_visibility_changes_too(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without LISTEN (a transaction pooler) the hub polls: a lesson made draft, and every
    lesson of a course made draft (the lessons' own rows unchanged for a while), still reach
    the streams' watchers."""
    monkeypatch.setattr(hub_module, "RECENT_SECONDS", 0.5)
    author = await create_user(db)
    course = await create_course(db, author)
    lessons = [await create_lesson(db, author, course) for _ in range(2)]
    hub = LiveHub(db, None, poll_seconds=0.05)
    await hub.start()
    try:
        with hub.subscribe(ALL_LESSONS) as changes:
            await asyncio.sleep(0.2)  # the first polls see the current state
            while not changes.empty():
                changes.get_nowait()
            async with db.service_session() as conn:
                await conn.execute(
                    "update lessons set visibility = 'draft' where id = %s", (lessons[0],)
                )
            first = await asyncio.wait_for(changes.get(), timeout=5)
            await asyncio.sleep(1)  # no lesson changed lately now
            async with db.service_session() as conn:
                await conn.execute(
                    "update courses set visibility = 'draft' where id = %s", (course,)
                )
            both = [await asyncio.wait_for(changes.get(), timeout=5) for _ in range(2)]
    finally:
        await hub.stop()
    assert (first["id"], first["visibility"]) == (lessons[0], "draft")
    assert {row["id"] for row in both} == set(lessons)
    assert {row["course_visibility"] for row in both} == {"draft"}
