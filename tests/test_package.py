"""What an operator installs: the wheel, in a fresh virtual environment, run from a folder
outside the checkout. Every other test runs the source tree (an editable install), which
cannot see what the wheel leaves out; these run the README's production steps as written."""

from __future__ import annotations

import re
import signal
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from devstack import postgres
from devstack.ports import free_port
from mux_emulator.server import BackgroundServer
from service.database import migrations
from tests.installed import (
    ROOT,
    Installed,
    install,
    production_settings,
    source_tree,
    stop,
    wait_ready,
)
from tests.mux_scenario import Video, signed_request

README = ROOT / "README.md"


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """This checkout's wheel in a new virtual environment."""
    root = tmp_path_factory.mktemp("package")
    return install(source_tree(root / "source"), root)


def _readme_production_steps() -> list[str]:
    """The commands of README.md's production block, comments removed."""
    text = README.read_text(encoding="utf-8")
    match = re.search(r"## Running in production\n.*?```\n(.*?)```", text, re.S)
    assert match, "README.md has a `## Running in production` section with a command block"
    return [line.split("#", 1)[0].strip() for line in match.group(1).splitlines() if line.strip()]


@pytest.fixture
def supabase_like(pg_server: str) -> Iterator[str]:
    """An empty database as a new Supabase project has it: the realtime publication exists."""
    url = postgres.create_scratch_database(pg_server, prefix="mux_lessons_package")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create publication supabase_realtime")
    yield url
    postgres.drop_database(pg_server, url)


_SCHEMA = """
select 'table ' || table_schema || '.' || table_name from information_schema.tables
 where table_schema in ('public', 'auth', 'mux_lessons_meta')
union all
select 'column ' || table_schema || '.' || table_name || '.' || column_name || ' ' || data_type
  from information_schema.columns where table_schema in ('public', 'auth', 'mux_lessons_meta')
union all
select 'function ' || n.nspname || '.' || p.proname || '(' ||
       pg_get_function_identity_arguments(p.oid) || ')'
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
 where n.nspname in ('public', 'auth')
union all
select 'policy ' || schemaname || '.' || tablename || '.' || policyname || ' ' || cmd
  from pg_policies
union all
select 'index ' || schemaname || '.' || indexname from pg_indexes
 where schemaname in ('public', 'auth', 'mux_lessons_meta')
union all
select 'trigger ' || event_object_table || '.' || trigger_name
  from information_schema.triggers where trigger_schema = 'public'
union all
select 'migration ' || version || ' ' || name || ' ' || checksum
  from mux_lessons_meta.schema_migrations
"""


def _schema(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {row[0] for row in conn.execute(_SCHEMA)}


def test_the_wheel_carries_the_sql_and_no_development_code(installed: Installed) -> None:
    names = zipfile.ZipFile(installed.wheel).namelist()
    shipped = sorted(n.rsplit("/", 1)[1] for n in names if "/sql/migrations/" in n)
    assert shipped == sorted(p.name for p in (ROOT / "supabase" / "migrations").glob("*.sql"))
    standins = sorted(n.rsplit("/", 1)[1] for n in names if "/sql/standins/" in n)
    assert standins == sorted(p.name for p in (ROOT / "sql").glob("*.sql"))
    assert not [n for n in names if n.startswith(("devstack/", "tests/", "demo/", "bench/"))]
    # Nothing of the development stack is installed, so the service cannot lean on it.
    result = installed.run("python -c 'import devstack'", installed.env(), timeout=30)
    assert result.returncode != 0 and "No module named 'devstack'" in result.stderr


def test_doctor_on_an_empty_database_fails_line_by_line_without_a_traceback(
    installed: Installed, scratch_database: str
) -> None:
    result = installed.run(
        "mux-lessons doctor", installed.env(DATABASE_URL=scratch_database), timeout=60
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stdout.splitlines()

    def verdict(check: str) -> str:
        [line] = [line for line in lines if line.startswith(check + " ")]
        return line[len(check) :].strip()

    assert verdict("database").startswith("ok")
    assert verdict("migrations").startswith("FAIL") and "none of the" in verdict("migrations")
    for check in ("row level security", "API roles and grants"):
        assert verdict(check).startswith("FAIL") and "mux-lessons migrate" in verdict(check)
    assert verdict("realtime").startswith("FAIL")


def test_without_database_url_the_installed_service_names_the_setting(
    installed: Installed,
) -> None:
    for command in (
        "mux-lessons serve",
        "mux-lessons migrate",
        "mux-lessons worker",
        "uvicorn service.app:app",
    ):
        result = installed.run(command, installed.env(), timeout=60)
        assert result.returncode == 2, (command, result.stderr)
        assert (
            result.stderr.strip()
            .splitlines()[-1]
            .startswith("configuration error: DATABASE_URL is not set")
        ), (command, result.stderr)
        assert "Traceback" not in result.stderr


def _lesson_with_upload(url: str, upload_id: str) -> uuid.UUID:
    """A lesson whose upload Mux issued (what the author API leaves behind)."""
    with psycopg.connect(url, autocommit=True) as conn:
        author = uuid.uuid4()
        conn.execute("insert into auth.users (id, email) values (%s, %s)", (author, "a@x.test"))
        [course] = (
            conn.execute(
                "insert into courses (owner_id, title) values (%s, 'Course') returning id",
                (author,),
            ).fetchone()
            or ()
        )
        [lesson] = (
            conn.execute(
                "insert into lessons (course_id, title) values (%s, 'Lesson') returning id",
                (course,),
            ).fetchone()
            or ()
        )
        conn.execute("select public.mux_attach_upload(%s, %s, 'public')", (lesson, upload_id))
    return uuid.UUID(str(lesson))


def test_the_readme_production_steps_migrate_serve_and_report_readiness_truthfully(
    installed: Installed,
    supabase_like: str,
    database_url: str,
    mux_server: BackgroundServer,
    tmp_path: Path,
) -> None:
    steps = _readme_production_steps()
    install, migrate, doctor, web, worker = steps
    assert install.startswith("pip install ") and install.endswith(".whl")
    env = installed.env(**production_settings(supabase_like, mux_server))

    result = installed.run(migrate, env)
    assert result.returncode == 0, result.stderr
    assert _schema(supabase_like) == _schema(database_url)  # as migrating from the checkout

    result = installed.run(doctor, env)
    assert (result.returncode, result.stdout.splitlines()[-1]) == (0, "all checks passed"), (
        result.stdout + result.stderr
    )

    port = free_port()
    service = f"http://127.0.0.1:{port}"
    log = tmp_path / "web.log"
    web_process = installed.start(f"{web} --host 127.0.0.1 --port {port}", env, log)
    worker_log = tmp_path / "worker.log"
    worker_process = installed.start(worker, env, worker_log)
    try:
        ready = wait_ready(service, web_process, log)
        assert (ready.status_code, ready.json()["status"]) == (200, "ready"), ready.text

        video = Video(lesson_id=None)
        lesson = _lesson_with_upload(supabase_like, video.upload_id)
        video.lesson_id = lesson
        body, headers = signed_request(video.upload_asset_created())
        answer = httpx.post(f"{service}/api/webhooks/mux", content=body, headers=headers)
        assert answer.status_code == 200, answer.text
        with psycopg.connect(supabase_like) as conn:
            stored = conn.execute(
                "select state::text, lesson_id from mux_events where upload_id = %s",
                (video.upload_id,),
            ).fetchall()
            status = conn.execute("select status::text from lessons where id = %s", (lesson,))
            assert stored == [("applied", lesson)] and status.fetchone() == ("processing",)

        # A database missing the last migration is not ready, and says which one.
        latest = migrations.discover()[-1]
        with psycopg.connect(supabase_like, autocommit=True) as conn:
            conn.execute(
                "delete from mux_lessons_meta.schema_migrations where version = %s",
                (latest.version,),
            )
        not_ready = httpx.get(f"{service}/readyz", timeout=5)
        assert not_ready.status_code == 503
        assert not_ready.json()["code"] == "migrations_pending"
        assert not_ready.json()["pending"] == [latest.path.name]

        deadline = time.monotonic() + 30
        while "worker started" not in worker_log.read_text():
            assert worker_process.poll() is None, worker_log.read_text()
            assert time.monotonic() < deadline, worker_log.read_text()
            time.sleep(0.1)
    finally:
        web_code = stop(web_process)
        worker_code = stop(worker_process)
    assert web_code in (0, -signal.SIGTERM), log.read_text()
    assert worker_code == 0, worker_log.read_text()
    assert "Traceback" not in log.read_text() + worker_log.read_text()


def test_an_installation_missing_migrations_refuses_to_migrate_or_be_ready(
    installed: Installed, scratch_database: str
) -> None:
    folder = installed.site_packages / "service" / "database" / "sql" / "migrations"
    latest = sorted(folder.glob("*.sql"))[-1]
    hidden = latest.with_suffix(".hidden")
    latest.rename(hidden)
    try:
        env = installed.env(DATABASE_URL=scratch_database)
        result = installed.run("mux-lessons migrate", env)
        assert result.returncode == 1, result.stdout + result.stderr
        assert f"lacks 1 of the migrations it was built with ({latest.name})" in result.stderr
        assert "Traceback" not in result.stderr
        with psycopg.connect(scratch_database) as conn:  # nothing was applied
            assert conn.execute("select to_regclass('public.lessons')").fetchone() == (None,)
        result = installed.run("mux-lessons doctor", env)
        assert result.returncode == 1 and latest.name in result.stdout
    finally:
        hidden.rename(latest)
