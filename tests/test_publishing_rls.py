"""Publishing (issue 28) in the database itself: `visibility` on courses and lessons, the RLS
rule learners read through (as `anon` and as another `authenticated` user, exactly as
PostgREST and Realtime would), what authors may write, the change notifications, and the
upgrade that keeps visible whatever learners could see before it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from service.database import migrations
from service.database.pool import Database
from tests.factories import claims_for, create_course, create_lesson, create_user, lesson_row


async def _set(db: Database, table: str, row: uuid.UUID, **columns: Any) -> None:
    sets = ", ".join(f"{name} = %({name})s" for name in columns)
    async with db.service_session() as conn:
        await conn.execute(f"update {table} set {sets} where id = %(id)s", {**columns, "id": row})


async def _video_ready(db: Database, lesson: uuid.UUID, asset: str = "") -> None:
    asset = asset or f"asset-{lesson}"
    await _set(db, "lessons", lesson, status="published", mux_playback_id="pb", mux_asset_id=asset)


async def _seen(db: Database, claims: dict[str, Any] | None) -> tuple[set[Any], set[Any]]:
    """The lessons and courses (ids) these claims read through PostgREST's roles."""
    async with db.user_session(claims) as conn:
        lessons = {r["id"] for r in await (await conn.execute("select id from lessons")).fetchall()}
        courses = {r["id"] for r in await (await conn.execute("select id from courses")).fetchall()}
    return lessons, courses


async def _learners(db: Database) -> list[dict[str, Any] | None]:
    return [None, claims_for(await create_user(db))]  # anon, and a signed-in non-owner


async def test_new_courses_and_lessons_start_draft(db: Database) -> None:
    alice = await create_user(db)
    course = await create_course(db, alice, visibility="draft")
    lesson = await create_lesson(db, alice, course, visibility="draft")
    assert (await lesson_row(db, lesson))["visibility"] == "draft"
    async with db.service_session() as conn:
        cur = await conn.execute("select visibility from courses where id = %s", (course,))
        assert (await cur.fetchone() or {})["visibility"] == "draft"


async def test_learners_see_a_lesson_only_when_course_and_lesson_are_public_and_published(
    db: Database,
) -> None:
    alice = await create_user(db)
    course = await create_course(db, alice, visibility="draft")
    lesson = await create_lesson(db, alice, course, "Ready", visibility="draft")
    early = await create_lesson(db, alice, course, "Public before its video", visibility="draft")
    await _video_ready(db, lesson)
    learners = await _learners(db)

    async def every_learner_sees(lessons: set[Any], courses: set[Any]) -> None:
        for claims in learners:
            assert await _seen(db, claims) == (lessons, courses), claims

    await every_learner_sees(set(), set())  # a finished video alone reaches nobody
    await _set(db, "lessons", lesson, visibility="public")
    await every_learner_sees(set(), set())  # the course is still a draft
    await _set(db, "courses", course, visibility="public")
    await every_learner_sees({lesson}, {course})
    await _set(db, "lessons", early, visibility="public")
    await every_learner_sees({lesson}, {course})  # public, but its video is not ready
    await _video_ready(db, early)
    await every_learner_sees({lesson, early}, {course})  # appears by itself when ready
    await _set(db, "lessons", lesson, visibility="draft")
    await every_learner_sees({early}, {course})
    await _set(db, "lessons", early, visibility="draft")
    await every_learner_sees(set(), set())  # a public course with nothing to watch is hidden
    await _set(db, "lessons", lesson, visibility="public")
    await _set(db, "courses", course, visibility="draft")
    await every_learner_sees(set(), set())
    # Its owner sees everything, whatever the visibility.
    assert await _seen(db, claims_for(alice)) == ({lesson, early}, {course})


async def test_captions_and_downloads_follow_the_lesson(db: Database) -> None:
    alice = await create_user(db)
    course = await create_course(db, alice, visibility="draft")
    lesson = await create_lesson(db, alice, course, visibility="draft")
    await _video_ready(db, lesson, "a")
    await _set(db, "lessons", lesson, visibility="public")
    async with db.service_session() as conn:
        await conn.execute(
            "insert into lesson_text_tracks (asset_id, track_id, status) values ('a', 't', 'ready')"
        )
        await conn.execute(
            "insert into lesson_downloads (asset_id, name, status) values ('a', 'x.mp4', 'ready')"
        )

    async def tracks(claims: dict[str, Any] | None) -> int:
        async with db.user_session(claims) as conn:
            cur = await conn.execute(
                "select (select count(*) from lesson_text_tracks) "
                "+ (select count(*) from lesson_downloads) as n"
            )
            return int((await cur.fetchone() or {})["n"])

    learners = await _learners(db)
    assert [await tracks(c) for c in learners] == [0, 0]  # the course is a draft
    await _set(db, "courses", course, visibility="public")
    assert [await tracks(c) for c in learners] == [2, 2]


async def test_an_author_changes_visibility_of_their_own_rows_only(db: Database) -> None:
    alice, bob = await create_user(db), await create_user(db)
    course = await create_course(db, alice, visibility="draft")
    lesson = await create_lesson(db, alice, course, visibility="draft")
    async with db.user_session(claims_for(alice)) as conn:
        await conn.execute("update courses set visibility = 'public' where id = %s", (course,))
        await conn.execute("update lessons set visibility = 'public' where id = %s", (lesson,))
    assert (await lesson_row(db, lesson))["visibility"] == "public"
    async with db.user_session(claims_for(bob)) as conn:
        for table, row in (("courses", course), ("lessons", lesson)):
            cur = await conn.execute(
                f"update {table} set visibility = 'draft' where id = %s", (row,)
            )
            assert cur.rowcount == 0, table
    assert (await lesson_row(db, lesson))["visibility"] == "public"
    for table, row in (("courses", course), ("lessons", lesson)):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            async with db.user_session(None) as conn:
                await conn.execute(f"update {table} set visibility = 'draft' where id = %s", (row,))
        with pytest.raises(psycopg.errors.CheckViolation):
            async with db.user_session(claims_for(alice)) as conn:
                await conn.execute(
                    f"update {table} set visibility = 'hidden' where id = %s", (row,)
                )


async def test_new_rows_cannot_be_inserted_public(db: Database) -> None:
    alice = await create_user(db)
    course = await create_course(db, alice, visibility="draft")
    for statement, params in (
        ("insert into courses (title, visibility) values ('x', 'public')", ()),
        (
            "insert into lessons (course_id, title, visibility) values (%s, 'x', 'public')",
            (course,),
        ),
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            async with db.user_session(claims_for(alice)) as conn:
                await conn.execute(statement, params)


async def test_visibility_does_not_make_a_text_edit_stale(db: Database) -> None:
    alice = await create_user(db)
    course = await create_course(db, alice, visibility="draft")
    lesson = await create_lesson(db, alice, course, visibility="draft")
    await _set(db, "lessons", lesson, visibility="public")
    await _set(db, "courses", course, visibility="public")
    row = await lesson_row(db, lesson)
    assert (row["revision"], row["video_version"]) == (1, 0)
    async with db.service_session() as conn:
        cur = await conn.execute("select revision from courses where id = %s", (course,))
        assert (await cur.fetchone() or {})["revision"] == 1


@pytest.fixture
def listener(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("listen lesson_video")
        conn.execute("listen course_change")
        yield conn


def _heard(conn: psycopg.Connection[Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(n.channel, json.loads(n.payload)) for n in conn.notifies(timeout=0.3)]


async def test_visibility_changes_are_announced_in_the_previous_releases_shape(
    db: Database, listener: psycopg.Connection[Any]
) -> None:
    alice = await create_user(db)
    course = await create_course(db, alice, visibility="draft")
    first = await create_lesson(db, alice, course, visibility="draft")
    second = await create_lesson(db, alice, course, visibility="draft")
    _heard(listener)  # the inserts' own
    await _set(db, "lessons", first, visibility="public")
    lesson_shape = {"id", "course_id", "owner_id", "video_version", "deleted"}
    heard = _heard(listener)
    assert heard == [
        (
            "lesson_video",
            {
                "id": str(first),
                "course_id": str(course),
                "owner_id": str(alice),
                "video_version": 0,
                "deleted": False,
            },
        )
    ]
    await _set(db, "courses", course, visibility="public")
    heard = _heard(listener)
    assert heard[0] == (
        "course_change",
        {"id": str(course), "owner_id": str(alice), "deleted": False},
    )
    lessons = heard[1:]
    assert {p["id"] for _, p in lessons} == {str(first), str(second)}
    assert all(ch == "lesson_video" and set(p) == lesson_shape for ch, p in lessons)
    await _set(db, "courses", course, title="Renamed")
    assert [ch for ch, _ in _heard(listener)] == ["course_change"]  # a rename: the course only
    await _set(db, "courses", course, updated_at="2020-01-01")
    assert _heard(listener) == []  # nothing a reader shows changed


async def test_the_upgrade_keeps_visible_what_learners_could_see(
    scratch_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    everything = migrations.discover()
    # Up to the publishing migration (later ones, e.g. learner_progress, are not this test's).
    at = next(i for i, m in enumerate(everything) if m.name == "publishing")
    publishing = everything[at]
    monkeypatch.setattr(migrations, "discover", lambda: everything[:at])
    migrations.migrate(scratch_database)
    owner = uuid.uuid4()
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        conn.execute("insert into auth.users (id, email) values (%s, 'a@example.test')", (owner,))
        ids = {}
        for title in ("watched", "empty"):
            cur = conn.execute(
                "insert into courses (owner_id, title, updated_at) values (%s, %s, '2020-01-01') "
                "returning id",
                (owner, title),
            )
            ids[title] = (cur.fetchone() or [None])[0]
        published = conn.execute(
            "insert into lessons (course_id, title, status, mux_playback_id, updated_at) "
            "values (%s, 'ready', 'published', 'pb', '2020-01-01') returning id",
            (ids["watched"],),
        ).fetchone()
        drafts = conn.execute(
            "insert into lessons (course_id, title, updated_at) "
            "values (%s, 'draft', '2020-01-01'), (%s, 'other', '2020-01-01') returning id",
            (ids["watched"], ids["empty"]),
        ).fetchall()
    monkeypatch.setattr(migrations, "discover", lambda: everything[: at + 1])
    assert migrations.migrate(scratch_database) == [f"{publishing.version}_publishing"]
    monkeypatch.undo()
    with psycopg.connect(scratch_database) as conn:
        lessons = dict(conn.execute("select id, visibility from lessons").fetchall())
        courses = dict(conn.execute("select title, visibility from courses").fetchall())
        stamps = conn.execute(
            "select count(*) from (select updated_at from lessons union all "
            "select updated_at from courses) t where updated_at <> '2020-01-01'"
        ).fetchone()
    assert published is not None
    assert lessons == {published[0]: "public", drafts[0][0]: "draft", drafts[1][0]: "draft"}
    assert courses == {"watched": "public", "empty": "draft"}
    assert stamps == (0,)
