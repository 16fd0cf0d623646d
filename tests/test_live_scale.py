"""Live status at scale, through a real server: one statement per change whatever the number of
viewers, opens that cost nothing on a watched lesson, bursts that share statements, limits, and
the course-wide stream with RLS and per-lesson resume."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from mux_emulator.server import BackgroundServer
from service.app import create_app
from service.database.pool import Database
from service.live.visibility import ViewDecider
from service.live.watchers import Watchers
from service.settings import Settings
from tests.factories import create_course, create_lesson, create_user
from tests.mux_scenario import Video, attach_upload, deliver
from tests.sse_client import SseReader
from tests.tokens import ADMIN_TOKEN, claims, hs256

MANY = 60


@pytest.fixture
def scale_service(db: Database, author_settings: Settings) -> Iterator[BackgroundServer]:
    """The service with a small pool (3) and low stream limits, to show what they bound."""
    settings = dataclasses.replace(
        author_settings,
        admin_token=ADMIN_TOKEN,
        db_pool_max=3,
        live_max_streams=MANY + 20,
        live_max_streams_per_user=5,
    )
    server = BackgroundServer(create_app(settings)).start()
    yield server
    server.stop()


def _watchers(server: BackgroundServer) -> Watchers:
    watchers: Watchers = server.app.state.watchers
    return watchers


def _decider(server: BackgroundServer) -> ViewDecider:
    return _watchers(server).decider


async def _published(http: httpx.AsyncClient, db: Database, author: uuid.UUID, **kw: Any) -> Video:
    video = Video(await create_lesson(db, author, **kw))
    await attach_upload(db, video.lesson_id, video.upload_id)
    await deliver(http, video.asset_ready())
    return video


@contextlib.asynccontextmanager
async def _streams(
    http: httpx.AsyncClient, paths: list[str]
) -> AsyncIterator[list[tuple[httpx.Response, SseReader]]]:
    """Open every path at once; yields (response, reader) per path, all closed on exit."""
    async with contextlib.AsyncExitStack() as stack:

        async def open_one(path: str) -> tuple[httpx.Response, SseReader]:
            response = await stack.enter_async_context(http.stream("GET", path))
            return response, SseReader(response)

        yield list(await asyncio.gather(*(open_one(p) for p in paths)))


def _client(server: BackgroundServer) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=500, max_keepalive_connections=0)
    return httpx.AsyncClient(base_url=server.url, timeout=15, limits=limits)


async def test_a_change_watched_by_many_viewers_costs_one_statement(
    db: Database, scale_service: BackgroundServer
) -> None:
    author = await create_user(db)
    students = [await create_user(db) for _ in range(10)]
    async with _client(scale_service) as http:
        video = await _published(http, db, author)
        path = f"/api/lessons/{video.lesson_id}/events"
        paths = [path] * (MANY - len(students)) + [
            f"{path}?access_token={hs256(s)}" for s in students
        ]
        async with _streams(http, paths) as streams:
            firsts = await asyncio.gather(*(reader.read(1) for _, reader in streams))
            assert {e[0]["data"]["status"] for e in firsts} == {"published"}
            before = _decider(scale_service).statements
            # A replacement upload: the lesson is hidden from learners while it goes up, so
            # every one of these streams (none is the owner's) is told so and ends. (The next
            # webhooks would publish it again; sent before every stream was told, they could
            # make the hidden moment unobservable, so they wait.)
            replacement = Video(video.lesson_id)
            await attach_upload(db, video.lesson_id, replacement.upload_id)
            finals = [(await reader.read(1))[0] for _, reader in streams]
            await deliver(http, replacement.upload_asset_created())
            await deliver(http, replacement.asset_ready())  # the new video is published
    # Each change is decided once for all 60 streams of 11 distinct viewers: never one
    # statement per stream.
    assert _decider(scale_service).statements - before <= 3
    anonymous, signed_in = finals[: MANY - len(students)], finals[MANY - len(students) :]
    assert all(e == {"event": "end", "data": {"reason": "not_visible"}} for e in anonymous)
    assert all(e["event"] == "end" for e in signed_in)  # students are not the owner either


async def test_opening_a_stream_on_a_watched_lesson_costs_no_database_round_trip(
    db: Database, scale_service: BackgroundServer
) -> None:
    author = await create_user(db)
    async with _client(scale_service) as http:
        video = await _published(http, db, author)
        path = f"/api/lessons/{video.lesson_id}/events"
        async with _streams(http, [path]) as [(_, first)]:
            await first.read(1)
            # The publish's notification may still be on its way, and would be decided once
            # more. Another lesson changed after it is a barrier: notifications come in commit
            # order and are decided in turn, so once that lesson's stream is told, every
            # decision still to come is one an open causes.
            barrier = Video(await create_lesson(db, author))
            barrier_path = f"/api/lessons/{barrier.lesson_id}/events?access_token={hs256(author)}"
            async with _streams(http, [barrier_path]) as [(_, told)]:
                await told.read(1)
                await attach_upload(db, barrier.lesson_id, barrier.upload_id)
                assert (await told.read(1))[0]["data"]["status"] == "uploading"
            before = _decider(scale_service).statements
            async with _streams(http, [path] * 30) as streams:
                events = await asyncio.gather(*(reader.read(1) for _, reader in streams))
            assert _decider(scale_service).statements == before
    assert {e[0]["data"]["playbackId"] for e in events} == {video.playback_id}


async def test_a_burst_of_opens_on_many_lessons_shares_statements_and_never_fails(
    db: Database, scale_service: BackgroundServer
) -> None:
    author = await create_user(db)
    course = await create_course(db, author)
    async with _client(scale_service) as http:
        videos = [await _published(http, db, author, course=course) for _ in range(MANY)]
        before = _decider(scale_service).statements
        paths = [f"/api/lessons/{v.lesson_id}/events" for v in videos]
        async with _streams(http, paths) as streams:
            assert {response.status_code for response, _ in streams} == {200}
            events = await asyncio.gather(*(reader.read(1) for _, reader in streams))
    assert [e[0]["data"]["lessonId"] for e in events] == [str(v.lesson_id) for v in videos]
    # 60 opens through a pool of 3 connections: batched into far fewer statements.
    assert _decider(scale_service).statements - before < MANY / 3


async def test_stream_limits_answer_with_clear_errors(
    db: Database, scale_service: BackgroundServer
) -> None:
    author = await create_user(db)
    lesson = await create_lesson(db, author)
    path = f"/api/lessons/{lesson}/events?access_token={hs256(author)}"
    async with _client(scale_service) as http, _streams(http, [path] * 5) as streams:
        await asyncio.gather(*(reader.read(1) for _, reader in streams))
        refused = await http.get(path)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "too_many_streams"
        assert refused.headers["retry-after"]
        watchers = _watchers(scale_service)
        watchers.max_streams = watchers.open_streams  # the process is full
        try:
            full = await http.get(f"/api/lessons/{lesson}/events")
        finally:
            watchers.max_streams = MANY + 20
    assert (full.status_code, full.json()["error"]["code"]) == (503, "too_many_streams")
    assert full.headers["retry-after"]


async def test_visibility_is_decided_by_rls_for_each_viewer_in_one_statement(
    db: Database,
) -> None:
    owner, stranger = await create_user(db), await create_user(db)
    course = await create_course(db, owner)
    draft = await create_lesson(db, owner, course)
    published = await create_lesson(db, owner, course)
    async with db.service_session() as conn:
        await conn.execute("update lessons set status = 'published' where id = %s", (published,))
    decider = ViewDecider(db)
    # Verified tokens carry `exp`. The last: a role other than `authenticated` runs as `anon`,
    # exactly as a request would (the token verifier refuses such tokens before this).
    viewers = [None, claims(stranger), claims(owner), {**claims(owner), "role": "service_role"}]
    answers = await asyncio.gather(
        *(decider.decide(claims, [draft, published]) for claims in viewers)
    )
    seen = [{lesson for lesson, row in answer.items() if row} for answer in answers]
    assert seen[:3] == [{published}, {published}, {draft, published}]
    assert decider.statements == 1
    for viewer, answer in zip(viewers, answers, strict=True):  # the same as each would read
        async with db.user_session(viewer) as conn:
            cur = await conn.execute(
                "select id from lessons where id = any(%s)", ([draft, published],)
            )
            assert {r["id"] for r in await cur.fetchall()} == {k for k, v in answer.items() if v}


# --- the course-wide stream -------------------------------------------------------------------


async def _course_events(reader: SseReader, count: int) -> list[dict[str, Any]]:
    return await reader.read(count)


async def test_course_stream_shows_what_the_caller_may_see_and_follows_it(
    db: Database, live_service: BackgroundServer
) -> None:
    author, other = await create_user(db), await create_user(db)
    course = await create_course(db, author, title="Live badges")
    async with httpx.AsyncClient(base_url=live_service.url, timeout=10) as http:
        shown = await _published(http, db, author, course=course, title="Shown")
        draft = Video(await create_lesson(db, author, course, title="Draft"))
        await attach_upload(db, draft.lesson_id, draft.upload_id)
        # another author's course with only a draft: never visible to a stranger
        other_course = await create_course(db, other)
        await create_lesson(db, other, other_course, title="Someone else's draft")
        hidden = await http.get(f"/api/courses/{other_course}/events")
        assert (hidden.status_code, hidden.json()["error"]["code"]) == (404, "course_not_found")

        async with http.stream("GET", f"/api/courses/{course}/events") as stream:  # anonymous
            reader = SseReader(stream)
            listing, video = await reader.read(2)
            assert listing["event"] == "lessons"
            assert [x["title"] for x in listing["data"]["lessons"]] == ["Shown"]
            assert (video["event"], video["data"]["lessonId"]) == ("video", str(shown.lesson_id))

            await deliver(http, draft.upload_asset_created())  # still hidden: nothing sent
            await deliver(http, draft.asset_ready())  # published: it appears
            listing, video = await reader.read(2)
            assert [x["title"] for x in listing["data"]["lessons"]] == ["Shown", "Draft"]
            assert (video["data"]["lessonId"], video["data"]["status"]) == (
                str(draft.lesson_id),
                "published",
            )
            last_id = video["id"]

            again = Video(shown.lesson_id)  # re-upload: hidden from students again
            await attach_upload(db, shown.lesson_id, again.upload_id)
            [listing] = await reader.read(1)
            assert [x["title"] for x in listing["data"]["lessons"]] == ["Draft"]

        # Resuming: only what changed since the client's last event is sent again.
        async with http.stream(
            "GET", f"/api/courses/{course}/events", headers={"Last-Event-ID": last_id}
        ) as stream:
            reader = SseReader(stream)
            [listing] = await reader.read(1)
            assert [x["title"] for x in listing["data"]["lessons"]] == ["Draft"]
            async with db.service_session() as conn:  # deleted (dashboard, SQL): it goes away
                await conn.execute("delete from lessons where id = %s", (draft.lesson_id,))
            [last] = await reader.read(1)
    assert last == {"event": "end", "data": {"reason": "not_visible"}}  # nothing left to see


async def test_course_owner_sees_drafts_and_resumes_per_lesson(
    db: Database, live_service: BackgroundServer
) -> None:
    author = await create_user(db)
    course = await create_course(db, author)
    one = Video(await create_lesson(db, author, course, title="One"))
    two = Video(await create_lesson(db, author, course, title="Two"))
    for video in (one, two):
        await attach_upload(db, video.lesson_id, video.upload_id)
    path = f"/api/courses/{course}/events?access_token={hs256(author)}"
    async with httpx.AsyncClient(base_url=live_service.url, timeout=10) as http:
        async with http.stream("GET", path) as stream:
            reader = SseReader(stream)
            _listing, first, second = await reader.read(3)
            assert {first["data"]["status"], second["data"]["status"]} == {"uploading"}
            resume_from = second["id"]
        await deliver(http, two.upload_asset_created())  # while disconnected
        async with http.stream("GET", path, headers={"Last-Event-ID": resume_from}) as stream:
            reader = SseReader(stream)
            _, changed = await reader.read(2)
            assert (changed["data"]["lessonId"], changed["data"]["status"]) == (
                str(two.lesson_id),
                "processing",
            )  # lesson one, unchanged, is not sent again
            await deliver(http, one.upload_asset_created())
            [live] = await reader.read(1)
    assert (live["data"]["lessonId"], live["data"]["status"]) == (str(one.lesson_id), "processing")


async def test_course_stream_relists_when_a_lesson_is_renamed_or_moved(
    db: Database, live_service: BackgroundServer
) -> None:
    """Another tab renames or reorders: the course page's list follows, without a reload."""
    author = await create_user(db)
    course = await create_course(db, author)
    one = await create_lesson(db, author, course, title="One")
    two = await create_lesson(db, author, course, title="Two")
    headers = {"Authorization": f"Bearer {hs256(author)}"}
    path = f"/api/courses/{course}/events?access_token={hs256(author)}"
    async with (
        httpx.AsyncClient(base_url=live_service.url, timeout=10) as http,
        http.stream("GET", path) as stream,
    ):
        reader = SseReader(stream)
        await reader.read(3)
        renamed = await http.patch(f"/api/lessons/{one}", json={"title": "Uno"}, headers=headers)
        assert renamed.status_code == 200
        [listing] = await reader.read(1)
        assert [x["title"] for x in listing["data"]["lessons"]] == ["Uno", "Two"]
        moved = await http.put(
            f"/api/courses/{course}/lesson-order",
            json={"lessonIds": [str(two), str(one)]},
            headers=headers,
        )
        assert moved.status_code == 200
        for _ in range(2):  # one listing per lesson moved; the last is the whole new order
            [listing] = await reader.read(1)
    assert [x["title"] for x in listing["data"]["lessons"]] == ["Two", "Uno"]
