"""A learner's progress: `PUT /api/lessons/{id}/progress` and the per-lesson `progress` in the
course JSON, and the table's row-level security exercised directly in SQL as Supabase's API
roles (anon, authenticated) would be."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg
import pytest

from service.database.pool import Database
from tests.factories import claims_for, create_course, create_lesson, create_user
from tests.mux_scenario import Video, attach_upload, deliver
from tests.tokens import hs256


def _auth(user: uuid.UUID) -> dict[str, str]:
    return {"Authorization": f"Bearer {hs256(user)}"}


async def _publish(client: httpx.AsyncClient, db: Database, lesson: uuid.UUID) -> None:
    video = Video(lesson)
    await attach_upload(db, lesson, video.upload_id)
    await deliver(client, video.asset_ready())


async def _stored(db: Database, user: uuid.UUID, lesson: uuid.UUID) -> dict[str, Any] | None:
    return await db.call(
        "select position_seconds, completed from lesson_progress "
        "where user_id = %s and lesson_id = %s",
        (user, lesson),
    )


async def test_a_learner_saves_progress_and_reads_it_back_in_the_course(
    author_client: httpx.AsyncClient, db: Database
) -> None:
    author, learner, other = [await create_user(db) for _ in range(3)]
    course = await create_course(db, author, "Baking")
    first = await create_lesson(db, author, course, "Flour")
    second = await create_lesson(db, author, course, "Water")
    await _publish(author_client, db, first)
    await _publish(author_client, db, second)

    saved = await author_client.put(
        f"/api/lessons/{first}/progress",
        json={"positionSeconds": 1.5, "completed": False},
        headers=_auth(learner),
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["positionSeconds"] == 1.5 and saved.json()["completed"] is False
    again = await author_client.put(
        f"/api/lessons/{first}/progress",
        json={"positionSeconds": 3, "completed": True},
        headers=_auth(learner),
    )
    assert again.status_code == 200
    assert await _stored(db, learner, first) == {"position_seconds": 3.0, "completed": True}

    mine = (await author_client.get(f"/api/courses/{course}", headers=_auth(learner))).json()
    assert [lesson["progress"] for lesson in mine["lessons"]] == [
        {"positionSeconds": 3.0, "completed": True},
        None,
    ]
    # Another learner and an anonymous visitor see no one's progress but their own (none).
    for headers in (_auth(other), {}):
        theirs = (await author_client.get(f"/api/courses/{course}", headers=headers)).json()
        assert [lesson["progress"] for lesson in theirs["lessons"]] == [None, None]


async def test_progress_needs_a_user_a_visible_lesson_and_valid_fields(
    author_client: httpx.AsyncClient, db: Database
) -> None:
    author, learner = await create_user(db), await create_user(db)
    course = await create_course(db, author)
    published = await create_lesson(db, author, course, "Published")
    draft = await create_lesson(db, author, course, "Draft")
    await _publish(author_client, db, published)
    body = {"positionSeconds": 10, "completed": False}

    anonymous = await author_client.put(f"/api/lessons/{published}/progress", json=body)
    assert (anonymous.status_code, anonymous.json()["error"]["code"]) == (401, "missing_token")

    for lesson in (draft, uuid.uuid4(), "not-a-uuid"):
        hidden = await author_client.put(
            f"/api/lessons/{lesson}/progress", json=body, headers=_auth(learner)
        )
        assert (hidden.status_code, hidden.json()["error"]["code"]) == (404, "lesson_not_found")
    assert await _stored(db, learner, draft) is None
    # Its author sees the draft, so may record progress in it (previewing it).
    own = await author_client.put(
        f"/api/lessons/{draft}/progress", json=body, headers=_auth(author)
    )
    assert own.status_code == 200

    bad: list[tuple[dict[str, Any], str]] = [
        ({"completed": False}, "positionSeconds"),
        ({"positionSeconds": "12", "completed": False}, "positionSeconds"),
        ({"positionSeconds": True, "completed": False}, "positionSeconds"),
        ({"positionSeconds": -1, "completed": False}, "positionSeconds"),
        ({"positionSeconds": 86401, "completed": False}, "positionSeconds"),
        ({"positionSeconds": 1}, "completed"),
        ({"positionSeconds": 1, "completed": "yes"}, "completed"),
        ({"positionSeconds": 1, "completed": False, "userId": str(author)}, "userId"),
    ]
    for payload, field in bad:
        refused = await author_client.put(
            f"/api/lessons/{published}/progress", json=payload, headers=_auth(learner)
        )
        assert refused.status_code == 422, payload
        assert refused.json()["error"]["field"] == field, payload
    assert await _stored(db, learner, published) is None


async def test_progress_goes_with_its_lesson(
    author_client: httpx.AsyncClient, db: Database
) -> None:
    author, learner = await create_user(db), await create_user(db)
    lesson = await create_lesson(db, author)
    await _publish(author_client, db, lesson)
    await author_client.put(
        f"/api/lessons/{lesson}/progress",
        json={"positionSeconds": 2, "completed": False},
        headers=_auth(learner),
    )
    deleted = await author_client.delete(f"/api/lessons/{lesson}", headers=_auth(author))
    assert deleted.status_code == 200
    assert await _stored(db, learner, lesson) is None


# Row-level security, in SQL, as the API roles.


async def _published_lesson(db: Database) -> uuid.UUID:
    author = await create_user(db)
    lesson = await create_lesson(db, author)
    async with db.service_session() as conn:
        await conn.execute(
            "update lessons set status = 'published', mux_playback_id = 'pb' where id = %s",
            (lesson,),
        )
    return lesson


async def test_rls_each_user_reads_and_writes_only_their_own_progress(db: Database) -> None:
    lesson = await _published_lesson(db)
    alice, bob = await create_user(db), await create_user(db)
    async with db.user_session(claims_for(alice)) as conn:
        await conn.execute(
            "insert into lesson_progress (lesson_id, position_seconds) values (%s, 5)", (lesson,)
        )
    async with db.user_session(claims_for(bob)) as conn:
        rows = await (await conn.execute("select * from lesson_progress")).fetchall()
        assert rows == []
        cur = await conn.execute("update lesson_progress set completed = true")
        assert cur.rowcount == 0
        cur = await conn.execute("delete from lesson_progress")
        assert cur.rowcount == 0
    async with db.user_session(claims_for(alice)) as conn:
        rows = await (
            await conn.execute("select user_id, completed from lesson_progress")
        ).fetchall()
        assert rows == [{"user_id": alice, "completed": False}]

    # Bob cannot write a row in Alice's name.
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        async with db.user_session(claims_for(bob)) as conn:
            await conn.execute(
                "insert into lesson_progress (user_id, lesson_id) values (%s, %s)",
                (alice, lesson),
            )
    # Nor move his own row onto her.
    async with db.user_session(claims_for(bob)) as conn:
        await conn.execute("insert into lesson_progress (lesson_id) values (%s)", (lesson,))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        async with db.user_session(claims_for(bob)) as conn:
            await conn.execute("update lesson_progress set user_id = %s", (alice,))


async def test_rls_no_progress_for_a_lesson_the_user_may_not_see(db: Database) -> None:
    author, learner = await create_user(db), await create_user(db)
    draft = await create_lesson(db, author)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        async with db.user_session(claims_for(learner)) as conn:
            await conn.execute("insert into lesson_progress (lesson_id) values (%s)", (draft,))


async def test_rls_anonymous_callers_have_no_access(db: Database) -> None:
    lesson = await _published_lesson(db)
    for statement, params in (
        ("select * from lesson_progress", ()),
        ("insert into lesson_progress (lesson_id) values (%s)", (lesson,)),
        ("update lesson_progress set completed = true", ()),
        ("delete from lesson_progress", ()),
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            async with db.user_session(None) as conn:
                await conn.execute(statement, params)
