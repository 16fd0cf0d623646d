"""The migration runner: applies everything once, is idempotent, and tolerates concurrency."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from service.database import migrations
from tests.commands import run_service

ALL = [f"{m.version}_{m.name}" for m in migrations.discover()]


def _recorded_versions(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select version from mux_lessons_meta.schema_migrations order by version"
        ).fetchall()
    return [r[0] for r in rows]


def test_applies_everything_on_an_empty_database_then_nothing(scratch_database: str) -> None:
    assert migrations.migrate(scratch_database) == ["sql/ stand-ins", *ALL]
    assert migrations.migrate(scratch_database) == []
    assert _recorded_versions(scratch_database) == [m.version for m in migrations.discover()]
    state = migrations.status(scratch_database)
    assert state.pending == [] and not state.standins_needed


def test_two_concurrent_processes_do_not_conflict(
    scratch_database: str, repo_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**repo_env, "DATABASE_URL": scratch_database}

    def run() -> subprocess.CompletedProcess[str]:
        return run_service("migrate", env=env, cwd=tmp_path, timeout=120)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: run(), range(2)))
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    outputs = sorted(r.stdout.strip() for r in results)
    assert outputs[1] == "up to date"  # exactly one of them did the work
    assert _recorded_versions(scratch_database) == [m.version for m in migrations.discover()]


def test_status_lists_pending_then_applied(
    scratch_database: str, repo_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**repo_env, "DATABASE_URL": scratch_database}
    before = run_service("migrate", "--status", env=env, cwd=tmp_path)
    assert before.returncode == 0, before.stderr
    assert all(f"pending  {name}" in before.stdout for name in ALL)
    migrations.migrate(scratch_database)
    after = run_service("migrate", "--status", env=env, cwd=tmp_path)
    assert after.returncode == 0, after.stderr
    assert "pending" not in after.stdout
    assert after.stdout.count("applied") == len(ALL)


def test_supabase_database_keeps_its_own_auth_schema(scratch_database: str) -> None:
    """When `auth` already exists (a Supabase project), the stand-ins are not applied."""
    standins = (migrations.STANDINS_DIR / "01_auth.sql").read_text()
    supabase_auth = standins.split("create or replace function auth.email()")[0]
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        conn.execute((migrations.STANDINS_DIR / "00_roles.sql").read_text())
        conn.execute(
            supabase_auth + "\ncreate or replace function auth.jwt() returns jsonb "
            "language sql stable as $$ select '{}'::jsonb $$;"
        )
    assert migrations.migrate(scratch_database) == ALL
    with psycopg.connect(scratch_database) as conn:
        email_fn = conn.execute("select to_regprocedure('auth.email()')").fetchone()
    assert email_fn == (None,)


def test_lessons_join_the_supabase_realtime_publication_when_it_exists(
    scratch_database: str,
) -> None:
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        conn.execute("create publication supabase_realtime")
    migrations.migrate(scratch_database)
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        tables = conn.execute(
            "select schemaname, tablename from pg_publication_tables "
            "where pubname = 'supabase_realtime'"
        ).fetchall()
        conn.execute("drop publication supabase_realtime")
    assert tables == [("public", "lessons")]


def test_an_edited_applied_migration_is_refused(scratch_database: str, tmp_path: Path) -> None:
    migrations.migrate(scratch_database)
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        conn.execute("update mux_lessons_meta.schema_migrations set checksum = 'stale'")
    try:
        migrations.migrate(scratch_database)
    except migrations.MigrationError as exc:
        assert "was changed after it was applied" in str(exc)
    else:
        raise AssertionError("an edited migration must not pass silently")


def test_files_applied_by_supabase_db_push_are_adopted_not_applied_again(
    scratch_database: str,
) -> None:
    """A project migrated with `supabase db push` (which records versions in its own history
    table) and then deployed with `python -m service migrate` must not re-run the files."""
    migrations.migrate(scratch_database)
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        conn.execute("drop schema mux_lessons_meta cascade")  # as if only the CLI had run
        conn.execute("create schema supabase_migrations")
        conn.execute(
            "create table supabase_migrations.schema_migrations "
            "(version text primary key, statements text[], name text)"
        )
        for m in migrations.discover():
            conn.execute(
                "insert into supabase_migrations.schema_migrations (version, name) values (%s, %s)",
                (m.version, m.name),
            )
    assert migrations.status(scratch_database).pending == []
    assert migrations.migrate(scratch_database) == []
    assert _recorded_versions(scratch_database) == [m.version for m in migrations.discover()]


def test_no_migrations_in_the_package_is_an_error_not_an_empty_list(tmp_path: Path) -> None:
    with pytest.raises(migrations.MigrationError, match="no migrations found in the package"):
        migrations.discover(tmp_path)


def test_fewer_migrations_than_the_wheel_was_built_with_is_an_error(
    scratch_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = {m.path.name for m in migrations.discover()} | {"29990101000000_gone.sql"}
    monkeypatch.setattr(migrations, "shipped_names", lambda: shipped)
    with pytest.raises(migrations.MigrationError, match=r"lacks 1 of the migrations .*gone\.sql"):
        migrations.migrate(scratch_database)
    with psycopg.connect(scratch_database) as conn:  # nothing was applied
        assert conn.execute("select to_regclass('public.lessons')").fetchone() == (None,)
