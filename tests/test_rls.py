"""Row-level security and column privileges, exercised as Supabase's API roles would be."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from service.database.pool import Database
from tests.factories import claims_for, create_course, create_lesson, create_user, lesson_row


async def _publish(db: Database, lesson: uuid.UUID) -> None:
    async with db.service_session() as conn:
        await conn.execute(
            "update lessons set status = 'published', mux_playback_id = 'pb1' where id = %s",
            (lesson,),
        )


async def test_author_creates_course_and_lessons_and_edits_titles(db: Database) -> None:
    alice = await create_user(db)
    course = await create_course(db, alice, "Intro")
    lesson = await create_lesson(db, alice, course, "One")
    second = await create_lesson(db, alice, course, "Two")
    async with db.user_session(claims_for(alice)) as conn:
        await conn.execute("update lessons set title = 'Uno' where id = %s", (lesson,))
        await conn.execute(
            "select public.reorder_lessons(%s, %s::uuid[])", (course, [second, lesson])
        )
        await conn.execute("update courses set title = 'Intro 2' where id = %s", (course,))
    row = await lesson_row(db, lesson)
    assert (row["title"], row["position"], row["status"]) == ("Uno", 2, "draft")
    assert row["updated_at"] >= row["created_at"]


async def test_author_cannot_see_or_touch_another_authors_drafts(db: Database) -> None:
    alice, bob = await create_user(db), await create_user(db)
    bobs_lesson = await create_lesson(db, bob)
    async with db.user_session(claims_for(alice)) as conn:
        cur = await conn.execute("select id from lessons where id = %s", (bobs_lesson,))
        assert await cur.fetchall() == []
        cur = await conn.execute(
            "update lessons set title = 'hijacked' where id = %s", (bobs_lesson,)
        )
        assert cur.rowcount == 0
        cur = await conn.execute("delete from lessons where id = %s", (bobs_lesson,))
        assert cur.rowcount == 0
    assert (await lesson_row(db, bobs_lesson))["title"] == "Lesson"


async def test_author_cannot_add_lessons_to_another_authors_course(db: Database) -> None:
    alice, bob = await create_user(db), await create_user(db)
    bobs_course = await create_course(db, bob)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        async with db.user_session(claims_for(alice)) as conn:
            await conn.execute(
                "insert into lessons (course_id, title) values (%s, 'sneaky')", (bobs_course,)
            )


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("status", "published"),
        ("mux_playback_id", "made-up"),
        ("mux_upload_id", "u1"),
        ("mux_asset_id", "a1"),
        ("playback_policy", "public"),
        ("duration_seconds", 12),
        ("aspect_ratio", "16:9"),
        ("video_error", "x"),
    ],
)
async def test_author_cannot_write_video_columns_on_own_lesson(
    db: Database, column: str, value: object
) -> None:
    alice = await create_user(db)
    lesson = await create_lesson(db, alice)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        async with db.user_session(claims_for(alice)) as conn:
            await conn.execute(f"update lessons set {column} = %s where id = %s", (value, lesson))
    assert (await lesson_row(db, lesson))["status"] == "draft"


async def test_author_cannot_insert_a_lesson_already_published(db: Database) -> None:
    alice = await create_user(db)
    course = await create_course(db, alice)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        async with db.user_session(claims_for(alice)) as conn:
            await conn.execute(
                "insert into lessons (course_id, title, status, mux_playback_id) "
                "values (%s, 'x', 'published', 'made-up')",
                (course,),
            )


async def test_anon_reads_only_published_lessons_and_their_courses(db: Database) -> None:
    alice = await create_user(db)
    published_course = await create_course(db, alice, "Public")
    hidden_course = await create_course(db, alice, "Hidden")
    published = await create_lesson(db, alice, published_course, "Live")
    await create_lesson(db, alice, published_course, "Draft")
    await create_lesson(db, alice, hidden_course, "Draft too")
    await _publish(db, published)
    for claims in (None, claims_for(await create_user(db))):
        async with db.user_session(claims) as conn:
            lessons = await (await conn.execute("select id from lessons")).fetchall()
            courses = await (await conn.execute("select title from courses")).fetchall()
        assert [r["id"] for r in lessons] == [published]
        assert [r["title"] for r in courses] == ["Public"]


async def test_anon_cannot_write(db: Database) -> None:
    alice = await create_user(db)
    lesson = await create_lesson(db, alice)
    await _publish(db, lesson)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        async with db.user_session(None) as conn:
            await conn.execute("update lessons set title = 'x' where id = %s", (lesson,))


async def test_service_role_can_change_video_columns(db: Database) -> None:
    alice = await create_user(db)
    lesson = await create_lesson(db, alice)
    before = await lesson_row(db, lesson)
    async with db.service_session() as conn:
        await conn.execute("select set_config('role', 'service_role', true)")
        await conn.execute(
            "update lessons set status = 'processing', mux_asset_id = 'a1' where id = %s",
            (lesson,),
        )
    after = await lesson_row(db, lesson)
    assert (after["status"], after["mux_asset_id"]) == ("processing", "a1")
    assert after["status_changed_at"] > before["status_changed_at"]


@pytest.mark.parametrize("as_user", [False, True])
async def test_inbox_is_invisible_to_api_roles(db: Database, as_user: bool) -> None:
    async with db.service_session() as conn:
        await conn.execute(
            "insert into mux_events (id, type, payload) values ('e1', 'video.asset.ready', '{}')"
        )
    claims = claims_for(await create_user(db)) if as_user else None
    for statement in (
        "select * from mux_events",
        "insert into mux_events (id, type, payload) values ('e2', 't', '{}')",
        "update mux_events set state = 'applied'",
        "delete from mux_events",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            async with db.user_session(claims) as conn:
                await conn.execute(statement)


async def test_auth_helpers_read_request_jwt_claims_like_supabase(db: Database) -> None:
    alice = await create_user(db, "alice@example.test")
    async with db.user_session(claims_for(alice, email="alice@example.test")) as conn:
        cur = await conn.execute(
            "select auth.uid() as uid, auth.role() as role, auth.jwt() ->> 'email' as email, "
            "current_user as who"
        )
        row = await cur.fetchone()
    assert row == {
        "uid": alice,
        "role": "authenticated",
        "email": "alice@example.test",
        "who": "authenticated",
    }
