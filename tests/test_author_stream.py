"""`GET /api/me/events`: an author's one stream of every video change of every lesson they own,
through a real server: what it sends, resuming with Last-Event-ID, access lost, token expiry,
limits."""

from __future__ import annotations

import dataclasses
import time
import uuid
from typing import Any

import httpx
import pytest

from mux_emulator.server import BackgroundServer
from service.app import create_app
from service.database.pool import Database
from service.settings import Settings
from tests.conftest import DbRoute
from tests.factories import create_course, create_lesson, create_user
from tests.mux_scenario import Video, attach_upload, deliver
from tests.sse_client import SseReader
from tests.tokens import hs256

pytestmark = pytest.mark.pooler

PATH = "/api/me/events"


async def _lesson(db: Database, author: uuid.UUID, course: uuid.UUID, title: str) -> Video:
    video = Video(await create_lesson(db, author, course, title=title))
    assert video.lesson_id is not None
    await attach_upload(db, video.lesson_id, video.upload_id)
    return video


def _headers(author: uuid.UUID, last_event_id: str | None = None, **claims: Any) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {hs256(author, **claims)}"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    return headers


async def test_an_author_hears_of_every_change_to_their_lessons_and_nothing_else(
    db: Database, live_service: BackgroundServer, db_route: DbRoute
) -> None:
    author, other = await create_user(db), await create_user(db)
    first = await _lesson(db, author, await create_course(db, author, "One"), "Intro")
    second_course = await create_course(db, author, "Two")
    second = await _lesson(db, author, second_course, "Outro")
    theirs = await _lesson(db, other, await create_course(db, other), "Not yours")
    async with (
        httpx.AsyncClient(base_url=live_service.url, timeout=10) as http,
        http.stream("GET", PATH, headers=_headers(author)) as stream,
    ):
        assert stream.status_code == 200
        events = SseReader(stream)
        [listing] = await events.read(1)
        assert listing["event"] == "lessons"
        assert {(x["lessonId"], x["title"], x["status"]) for x in listing["data"]["lessons"]} == {
            (str(first.lesson_id), "Intro", "uploading"),
            (str(second.lesson_id), "Outro", "uploading"),
        }
        await deliver(http, theirs.upload_asset_created())  # another author's: never sent
        await deliver(http, first.upload_asset_created())
        [processing] = await events.read(1)
        assert (processing["event"], processing["data"]["status"]) == ("video", "processing")
        assert processing["data"]["lessonId"] == str(first.lesson_id)
        assert processing["data"]["title"] == "Intro"
        await deliver(http, first.asset_ready())
        [published] = await events.read(1)
        assert (published["data"]["status"], published["data"]["playbackId"]) == (
            "published",
            first.playback_id,
        )
        await deliver(http, second.upload_errored())
        [errored] = await events.read(1)
        assert (errored["data"]["lessonId"], errored["data"]["status"]) == (
            str(second.lesson_id),
            "errored",
        )
        assert errored["data"]["error"]
        # A draft: made public, it would be sent again (who may see it changed).
        created = await create_lesson(
            db, author, second_course, title="Brand new", visibility="draft"
        )
        [new] = await events.read(1)
        assert (new["data"]["lessonId"], new["data"]["status"]) == (str(created), "draft")
        if db_route.name == "direct":  # polling (behind a pooler) notices no deletion
            async with db.user_session({"sub": str(author), "role": "authenticated"}) as conn:
                await conn.execute("delete from lessons where id = %s", (str(second.lesson_id),))
            [removed] = await events.read(1)
            assert (removed["event"], removed["data"]) == (
                "removed",
                {"lessonId": str(second.lesson_id)},
            )
    assert str(theirs.lesson_id) not in str(listing) + str(processing) + str(errored)


async def test_an_edited_lesson_is_sent_again_with_its_revision_and_the_same_video_version(
    db: Database, live_service: BackgroundServer
) -> None:
    """An author's open lesson page shows a rename made in another tab (issue 29): the stream
    sends the lesson again, its video as it was. A move alone is not sent."""
    author = await create_user(db)
    course = await create_course(db, author)
    lesson = await _lesson(db, author, course, "Before")
    other = await _lesson(db, author, course, "Other")
    async with (
        httpx.AsyncClient(base_url=live_service.url, timeout=10) as http,
        http.stream("GET", PATH, headers=_headers(author)) as stream,
    ):
        events = SseReader(stream)
        [listing] = await events.read(1)
        version = {x["lessonId"]: x["videoVersion"] for x in listing["data"]["lessons"]}
        moved = await http.put(
            f"/api/courses/{course}/lesson-order",
            json={"lessonIds": [str(other.lesson_id), str(lesson.lesson_id)]},
            headers=_headers(author),
        )
        assert moved.status_code == 200, moved.text
        renamed = await http.patch(
            f"/api/lessons/{lesson.lesson_id}", json={"title": "After"}, headers=_headers(author)
        )
        assert renamed.status_code == 200, renamed.text
        [event] = await events.read(1)
        # A description alone is news too: its `revision` grows (the page reads the lesson).
        described = await http.patch(
            f"/api/lessons/{lesson.lesson_id}",
            json={"description": "Now with a description"},
            headers=_headers(author),
        )
        assert described.status_code == 200, described.text
        [again] = await events.read(1)
    assert event["event"] == "video"
    assert (event["data"]["lessonId"], event["data"]["title"]) == (str(lesson.lesson_id), "After")
    assert event["data"]["videoVersion"] == version[str(lesson.lesson_id)]
    assert event["data"]["status"] == "uploading"
    assert again["data"]["lessonId"] == str(lesson.lesson_id)
    assert again["data"]["revision"] == event["data"]["revision"] + 1
    assert again["data"]["videoVersion"] == version[str(lesson.lesson_id)]


async def test_a_reconnecting_client_is_sent_only_what_changed_since(
    db: Database, live_service: BackgroundServer
) -> None:
    author = await create_user(db)
    course = await create_course(db, author)
    changed, unchanged, deleted = [await _lesson(db, author, course, t) for t in "ABC"]
    async with httpx.AsyncClient(base_url=live_service.url, timeout=10) as http:
        async with http.stream("GET", PATH, headers=_headers(author)) as stream:
            [listing] = await SseReader(stream).read(1)
        await deliver(http, changed.upload_asset_created())  # while disconnected
        async with db.user_session({"sub": str(author), "role": "authenticated"}) as conn:
            await conn.execute("delete from lessons where id = %s", (str(deleted.lesson_id),))
        added = await create_lesson(db, author, course, title="D")
        resumed = _headers(author, last_event_id=listing["id"])
        async with http.stream("GET", PATH, headers=resumed) as stream:
            events = SseReader(stream)
            relisted, *videos = await events.read(3)
            await deliver(http, unchanged.upload_asset_created())  # live again
            [live] = await events.read(1)
    assert {x["lessonId"] for x in relisted["data"]["lessons"]} == {
        str(changed.lesson_id),
        str(unchanged.lesson_id),
        str(added),
    }
    assert sorted((v["data"]["lessonId"], v["data"]["status"]) for v in videos) == sorted(
        [(str(changed.lesson_id), "processing"), (str(added), "draft")]
    )
    assert live["data"]["lessonId"] == str(unchanged.lesson_id)  # and nothing sent twice


async def test_a_lesson_given_to_another_owner_is_no_longer_told(
    db: Database, live_service: BackgroundServer
) -> None:
    author, heir = await create_user(db), await create_user(db)
    given_course = await create_course(db, author)
    given = await _lesson(db, author, given_course, "Given away")
    kept = await _lesson(db, author, await create_course(db, author), "Kept")
    async with (
        httpx.AsyncClient(base_url=live_service.url, timeout=10) as http,
        http.stream("GET", PATH, headers=_headers(author)) as stream,
    ):
        events = SseReader(stream)
        await events.read(1)
        async with db.service_session() as conn:
            await conn.execute(
                "update courses set owner_id = %s where id = %s", (heir, given_course)
            )
        await deliver(http, given.upload_asset_created())
        await deliver(http, kept.upload_asset_created())
        before_kept = []
        while (event := (await events.read(1))[0])["data"].get("lessonId") != str(kept.lesson_id):
            before_kept.append(event)
    # Nothing of the given lesson's video reaches its former owner: at most that it is no
    # longer theirs (`removed`, as a polling hub may notice the course's new owner first).
    assert all(
        (e["event"], e["data"]) == ("removed", {"lessonId": str(given.lesson_id)})
        for e in before_kept
    ), before_kept


async def test_the_stream_needs_a_signed_in_caller_ends_when_the_token_expires_and_is_limited(
    db: Database, author_settings: Settings
) -> None:
    author = await create_user(db)
    await _lesson(db, author, await create_course(db, author), "Soon expired")
    settings = dataclasses.replace(author_settings, live_max_streams_per_user=2)
    server = BackgroundServer(create_app(settings)).start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            anonymous = await http.get(PATH)
            assert (anonymous.status_code, anonymous.json()["error"]["code"]) == (
                401,
                "missing_token",
            )
            expired = await http.get(PATH, headers=_headers(author, exp=int(time.time()) - 5))
            assert (expired.status_code, expired.json()["error"]["code"]) == (401, "token_expired")
            soon = _headers(author, exp=int(time.time()) + 2)
            async with http.stream("GET", PATH, headers=soon) as stream:
                events = SseReader(stream)
                [_, end] = await events.read(2, timeout=10)
            assert (end["event"], end["data"]) == ("end", {"reason": "token_expired"})
            async with (
                http.stream("GET", PATH, headers=_headers(author)) as one,
                http.stream("GET", PATH, headers=_headers(author)) as two,
            ):
                assert (one.status_code, two.status_code) == (200, 200)
                third = await http.get(PATH, headers=_headers(author))
                assert (third.status_code, third.json()["error"]["code"]) == (
                    429,
                    "too_many_streams",
                )
    finally:
        server.stop()
