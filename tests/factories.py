"""Builders for test data, made through the same sessions the service uses."""

from __future__ import annotations

import uuid
from typing import Any

from service.database.pool import Database


def claims_for(user_id: uuid.UUID | str, **extra: Any) -> dict[str, Any]:
    """The claims Supabase puts in an access token for a signed-in user."""
    return {"sub": str(user_id), "role": "authenticated", "aud": "authenticated", **extra}


async def create_user(db: Database, email: str | None = None) -> uuid.UUID:
    user_id = uuid.uuid4()
    async with db.service_session() as conn:
        await conn.execute(
            "insert into auth.users (id, email) values (%s, %s)",
            (user_id, email or f"{user_id.hex[:8]}@example.test"),
        )
    return user_id


async def create_course(db: Database, owner: uuid.UUID, title: str = "Course") -> uuid.UUID:
    async with db.user_session(claims_for(owner)) as conn:
        cur = await conn.execute("insert into courses (title) values (%s) returning id", (title,))
        row = await cur.fetchone()
    assert row
    return uuid.UUID(str(row["id"]))


async def create_lesson(
    db: Database, owner: uuid.UUID, course: uuid.UUID | None = None, title: str = "Lesson"
) -> uuid.UUID:
    course = course or await create_course(db, owner)
    async with db.user_session(claims_for(owner)) as conn:
        cur = await conn.execute(
            "insert into lessons (course_id, title) values (%s, %s) returning id", (course, title)
        )
        row = await cur.fetchone()
    assert row
    return uuid.UUID(str(row["id"]))


async def lesson_row(db: Database, lesson_id: uuid.UUID) -> dict[str, Any]:
    async with db.service_session() as conn:
        cur = await conn.execute("select * from lessons where id = %s", (lesson_id,))
        row = await cur.fetchone()
    assert row is not None
    return row
