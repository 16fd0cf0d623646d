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


async def create_course(
    db: Database, owner: uuid.UUID, title: str = "Course", *, visibility: str = "public"
) -> uuid.UUID:
    """A course its owner created (as they would: it starts `draft`) and, unless `visibility`
    says `draft`, then made public: learners see its lessons whose videos are published."""
    async with db.user_session(claims_for(owner)) as conn:
        cur = await conn.execute("insert into courses (title) values (%s) returning id", (title,))
        row = await cur.fetchone()
    assert row
    course = uuid.UUID(str(row["id"]))
    await _make(db, "courses", course, visibility)
    return course


async def create_lesson(
    db: Database,
    owner: uuid.UUID,
    course: uuid.UUID | None = None,
    title: str = "Lesson",
    *,
    visibility: str = "public",
) -> uuid.UUID:
    """A lesson its owner added (it starts `draft`) and, unless `visibility` says `draft`,
    then made public: learners see it once its video is published (in a public course)."""
    course = course or await create_course(db, owner, visibility=visibility)
    async with db.user_session(claims_for(owner)) as conn:
        cur = await conn.execute(
            "insert into lessons (course_id, title) values (%s, %s) returning id", (course, title)
        )
        row = await cur.fetchone()
    assert row
    lesson = uuid.UUID(str(row["id"]))
    await _make(db, "lessons", lesson, visibility)
    return lesson


async def _make(db: Database, table: str, row: uuid.UUID, visibility: str) -> None:
    if visibility != "draft":
        async with db.service_session() as conn:
            await conn.execute(
                f"update {table} set visibility = %s where id = %s", (visibility, row)
            )


async def lesson_row(db: Database, lesson_id: uuid.UUID) -> dict[str, Any]:
    async with db.service_session() as conn:
        cur = await conn.execute("select * from lessons where id = %s", (lesson_id,))
        row = await cur.fetchone()
    assert row is not None
    return row
