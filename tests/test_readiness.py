"""`/readyz`: ready only when the database answers and every shipped migration is applied."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import psycopg
import pytest

from service.app import create_app
from service.database import migrations
from service.database.pool import Database
from service.settings import Settings


async def _get(database: Database, path: str = "/readyz") -> httpx.Response:
    app = create_app(
        Settings(app_env="test", database_url="postgresql://unused"), database=database
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        return await client.get(path)


@pytest.fixture
async def scratch_db(scratch_database: str) -> AsyncIterator[Database]:
    database = Database(scratch_database, min_size=0, max_size=2)
    await database.open()
    try:
        yield database
    finally:
        await database.close()


async def test_ready_when_every_migration_is_applied(db: Database) -> None:
    response = await _get(db)
    assert response.status_code == 200
    latest = migrations.discover()[-1].version
    assert response.json() == {
        "status": "ready",
        "database": "ok",
        "migrations": "current",
        "schema": {"package": latest, "database": latest},
    }


async def test_a_newer_schema_is_ready_and_names_both_versions(
    scratch_database: str, scratch_db: Database
) -> None:
    """A later release migrated the database while this one still serves: a rolling deploy's
    normal state, compatible by the upgrade rules (docs/upgrades.md)."""
    migrations.migrate(scratch_database)
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        conn.execute(
            "insert into mux_lessons_meta.schema_migrations (version, name, checksum) "
            "values ('29991231000000', 'a_later_release', 'x')"
        )
    response = await _get(scratch_db)
    assert response.status_code == 200, response.text
    latest = migrations.discover()[-1].version
    assert response.json()["migrations"] == "newer"
    assert response.json()["schema"] == {
        "package": latest,
        "database": "29991231000000",
        "newer": ["29991231000000"],
    }


async def test_not_ready_on_an_unmigrated_database_names_every_migration(
    scratch_db: Database,
) -> None:
    response = await _get(scratch_db)
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "migrations_pending"
    assert body["pending"] == [m.path.name for m in migrations.discover()]
    # Liveness is a different question: the process and its database are fine.
    assert (await _get(scratch_db, "/healthz")).status_code == 200


async def test_not_ready_when_the_latest_migration_is_missing(
    scratch_database: str, scratch_db: Database
) -> None:
    migrations.migrate(scratch_database)
    latest = migrations.discover()[-1]
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        conn.execute(
            "delete from mux_lessons_meta.schema_migrations where version = %s", (latest.version,)
        )
    response = await _get(scratch_db)
    assert response.status_code == 503
    assert response.json()["pending"] == [latest.path.name]


async def test_migrations_pushed_by_the_supabase_cli_count_as_applied(
    scratch_database: str, scratch_db: Database
) -> None:
    migrations.migrate(scratch_database)
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        conn.execute("drop schema mux_lessons_meta cascade")
        conn.execute("create schema supabase_migrations")
        conn.execute(
            "create table supabase_migrations.schema_migrations (version text primary key)"
        )
        for m in migrations.discover():
            conn.execute(
                "insert into supabase_migrations.schema_migrations values (%s)", (m.version,)
            )
    assert (await _get(scratch_db)).status_code == 200


async def test_never_ready_when_the_installation_lacks_migrations(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An installed wheel missing a file it was built with (its RECORD names it) must not
    report a database as current, however complete the database's own history looks."""
    monkeypatch.setattr(migrations, "shipped_names", lambda: {"29990101000000_gone.sql"})
    response = await _get(db)
    assert response.status_code == 503
    assert response.json()["code"] == "migrations_missing"
    assert "29990101000000_gone.sql" in response.json()["message"]


async def test_not_ready_when_the_database_is_down() -> None:
    database = Database(
        "postgresql://postgres@127.0.0.1:1/postgres", min_size=0, max_size=1, timeout=0.5
    )
    await database.open()
    try:
        response = await _get(database)
    finally:
        await database.close()
    assert response.status_code == 503
    assert (response.json()["code"], response.json()["database"]) == (
        "database_unavailable",
        "down",
    )
