"""`python -m service doctor`: every check passes on a correct deployment (Postgres with the
Supabase publication, the Mux emulator) and each misconfiguration is caught by its own line."""

from __future__ import annotations

import dataclasses
import os
import subprocess
from collections.abc import Iterator

import httpx
import psycopg
import pytest
import respx

from devstack import postgres
from mux_emulator.config import EmulatorConfig
from mux_emulator.server import BackgroundServer
from service.database import migrations
from service.ops import doctor
from service.ops.verdicts import Check
from service.settings import Settings
from tests.commands import run_service
from tests.tokens import JWKS_URL, JWT_SECRET, SUPABASE_URL, SigningKey, jwks


@pytest.fixture
def deployment(scratch_database: str) -> Iterator[str]:
    """A database as on Supabase: the realtime publication exists before migrating."""
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        conn.execute("create publication supabase_realtime")
    migrations.migrate(scratch_database)
    yield scratch_database


@pytest.fixture
def settings(deployment: str, mux_server: BackgroundServer) -> Settings:
    emulator: EmulatorConfig = mux_server.app.state.config
    return Settings(
        app_env="production",
        database_url=deployment,
        mux_api_url=mux_server.url,
        mux_token_id=emulator.token_id,
        mux_token_secret=emulator.token_secret,
        mux_webhook_secrets=("whsec",),
        supabase_jwt_secret=JWT_SECRET,
        cors_allowed_origins=("https://app.example.test",),
    )


async def _verdicts(settings: Settings) -> dict[str, Check]:
    return {check.name: check for check in await doctor.run_checks(settings)}


def _sql(url: str, statement: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)


async def test_a_correct_deployment_passes_every_check(settings: Settings) -> None:
    checks = await doctor.run_checks(settings)
    assert {c.name: c.verdict for c in checks} == {
        "database": "ok",
        "migrations": "ok",
        "row level security": "ok",
        "API roles and grants": "ok",
        "realtime": "ok",
        "inbox": "ok",
        "session connection": "ok",
        "Mux credentials": "ok",
        "webhook secret": "ok",
        "access tokens": "ok",
        "CORS origins": "ok",
    }
    assert doctor.exit_code(checks) == 0


def _doctor_cli(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("MUX_", "SUPABASE_"))}
    base.pop("DATABASE_URL", None)
    return run_service("doctor", env={**base, **env})


def _env(settings: Settings) -> dict[str, str]:
    return {
        "APP_ENV": "production",
        "DATABASE_URL": str(settings.database_url),
        "MUX_API_URL": settings.mux_api_url,
        "MUX_TOKEN_ID": str(settings.mux_token_id),
        "MUX_TOKEN_SECRET": str(settings.mux_token_secret),
        "MUX_WEBHOOK_SECRET": "whsec",
        "SUPABASE_JWT_SECRET": JWT_SECRET,
        "CORS_ALLOWED_ORIGINS": "https://app.example.test",
    }


def test_cli_prints_a_table_and_exits_zero_when_all_pass(settings: Settings) -> None:
    result = _doctor_cli(_env(settings))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["check", "verdict", "detail"]
    for name in ("database", "migrations", "realtime", "Mux credentials", "CORS origins"):
        assert any(line.startswith(name) and " ok " in line for line in lines), name
    assert "all checks passed" in result.stdout
    for secret in (str(settings.mux_token_secret), JWT_SECRET, "whsec"):
        assert secret not in result.stdout


def test_cli_reports_settings_that_do_not_parse_and_still_checks_the_rest(
    settings: Settings,
) -> None:
    env = _env(settings)
    del env["MUX_WEBHOOK_SECRET"]
    result = _doctor_cli(env)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(
        line.startswith("settings") and "FAIL" in line and "MUX_WEBHOOK_SECRET" in line
        for line in lines
    )
    assert any(line.startswith("webhook secret") and "FAIL" in line for line in lines)
    assert any(line.startswith("database") and " ok " in line for line in lines)
    assert "2 check(s) failed" in result.stdout


async def test_unreachable_database(settings: Settings) -> None:
    checks = await _verdicts(
        dataclasses.replace(settings, database_url="postgresql://nobody:pw@127.0.0.1:1/none")
    )
    assert checks["database"].verdict == "FAIL"
    assert "pw" not in checks["database"].detail
    assert all(checks[name].verdict == "skip" for name in doctor.DATABASE_CHECKS)
    assert doctor.exit_code(list(checks.values())) == 1


async def test_missing_database_url(settings: Settings) -> None:
    checks = await _verdicts(dataclasses.replace(settings, database_url=None))
    assert checks["database"].verdict == "FAIL"


@pytest.fixture
def empty_database(pg_server: str) -> Iterator[str]:
    url = postgres.create_scratch_database(pg_server, prefix="mux_lessons_empty")
    yield url
    postgres.drop_database(pg_server, url)


async def test_an_empty_database_fails_each_database_check_without_raising(
    settings: Settings, empty_database: str
) -> None:
    checks = await _verdicts(dataclasses.replace(settings, database_url=empty_database))
    assert checks["database"].verdict == "ok"
    assert {name: checks[name].verdict for name in doctor.DATABASE_CHECKS} == dict.fromkeys(
        doctor.DATABASE_CHECKS, "FAIL"
    )
    assert "none of the" in checks["migrations"].detail
    for name in ("migrations", "row level security", "API roles and grants"):
        assert "run `mux-lessons migrate`" in checks[name].detail, checks[name]


async def test_a_check_that_raises_is_its_own_fail_line() -> None:
    async def broken() -> Check:
        raise RuntimeError("boom\n  with a second line")

    check = await doctor._guarded("Mux credentials", broken)
    assert check == Check(
        "Mux credentials", "FAIL", "the check itself failed: RuntimeError: boom with a second line"
    )


async def test_pending_migration(settings: Settings, deployment: str) -> None:
    latest = migrations.discover()[-1]
    _sql(
        deployment,
        f"delete from mux_lessons_meta.schema_migrations where version = '{latest.version}'",
    )
    check = (await _verdicts(settings))["migrations"]
    assert check.verdict == "FAIL"
    assert latest.path.name in check.detail


async def test_a_newer_schema_is_ok_and_names_both_versions(
    settings: Settings, deployment: str
) -> None:
    _sql(
        deployment,
        "insert into mux_lessons_meta.schema_migrations (version, name, checksum) "
        "values ('29991231000000', 'a_later_release', 'x')",
    )
    check = (await _verdicts(settings))["migrations"]
    assert check.verdict == "ok", check.detail
    assert "1 of a later release (database at 29991231000000" in check.detail
    assert f"this package at {migrations.discover()[-1].version}" in check.detail


async def test_table_without_row_level_security(settings: Settings, deployment: str) -> None:
    _sql(deployment, "alter table public.courses disable row level security")
    check = (await _verdicts(settings))["row level security"]
    assert (check.verdict, check.detail) == ("FAIL", "disabled on public.courses")


@pytest.mark.parametrize(
    ("statement", "reported"),
    [
        (
            "grant update (status) on public.lessons to authenticated",
            "authenticated may write video columns of lessons (status)",
        ),
        ("grant select on public.mux_events to anon", "anon may use service tables (mux_events)"),
        ("revoke select on public.lessons from anon", "anon cannot read courses and lessons"),
        (
            "grant insert on public.lesson_downloads to authenticated",
            "authenticated may write read-only tables (lesson_downloads)",
        ),
    ],
)
async def test_wrong_grants(
    settings: Settings, deployment: str, statement: str, reported: str
) -> None:
    _sql(deployment, statement)
    check = (await _verdicts(settings))["API roles and grants"]
    assert check.verdict == "FAIL"
    assert reported in check.detail


async def test_missing_api_role(settings: Settings) -> None:
    # Roles are cluster-wide: simulate a project without them by asking for one that is absent.
    original = doctor.API_ROLES
    doctor.API_ROLES = (*original, "role_that_does_not_exist")
    try:
        check = (await _verdicts(settings))["API roles and grants"]
    finally:
        doctor.API_ROLES = original
    assert check.verdict == "FAIL"
    assert "role_that_does_not_exist" in check.detail


async def test_lessons_missing_from_the_realtime_publication(
    settings: Settings, deployment: str
) -> None:
    _sql(deployment, "alter publication supabase_realtime drop table public.lessons")
    check = (await _verdicts(settings))["realtime"]
    assert check.verdict == "FAIL"
    assert "add table public.lessons" in check.detail
    _sql(deployment, "drop publication supabase_realtime")
    assert (await _verdicts(settings))["realtime"].verdict == "FAIL"


async def test_mux_credentials_refused_missing_or_unreachable(settings: Settings) -> None:
    wrong = await _verdicts(dataclasses.replace(settings, mux_token_secret="wrong"))
    assert wrong["Mux credentials"].verdict == "FAIL"
    assert "refused" in wrong["Mux credentials"].detail
    assert "wrong" not in wrong["Mux credentials"].detail
    missing = await _verdicts(dataclasses.replace(settings, mux_token_id=None))
    assert missing["Mux credentials"].verdict == "FAIL"
    down = await _verdicts(dataclasses.replace(settings, mux_api_url="http://127.0.0.1:1"))
    assert down["Mux credentials"].verdict == "FAIL"
    assert "unreachable" in down["Mux credentials"].detail


async def test_missing_webhook_secret(settings: Settings) -> None:
    check = (await _verdicts(dataclasses.replace(settings, mux_webhook_secrets=())))[
        "webhook secret"
    ]
    assert check.verdict == "FAIL"


async def test_access_tokens_need_a_reachable_jwks_or_a_secret(settings: Settings) -> None:
    neither = dataclasses.replace(settings, supabase_jwt_secret=None, supabase_url=None)
    assert (await _verdicts(neither))["access tokens"].verdict == "FAIL"
    with_jwks = dataclasses.replace(neither, supabase_url=SUPABASE_URL)
    with respx.mock(assert_all_called=False) as mock:
        mock.get(JWKS_URL).mock(return_value=httpx.Response(200, json=jwks(SigningKey())))
        assert (await _verdicts(with_jwks))["access tokens"].verdict == "ok"
    with respx.mock(assert_all_called=False) as mock:
        mock.get(JWKS_URL).mock(return_value=httpx.Response(503))
        assert (await _verdicts(with_jwks))["access tokens"].verdict == "FAIL"
        both = dataclasses.replace(with_jwks, supabase_jwt_secret=JWT_SECRET)
        assert (await _verdicts(both))["access tokens"].verdict == "warn"
    with respx.mock(assert_all_called=False) as mock:
        mock.get(JWKS_URL).mock(side_effect=httpx.ConnectError("refused"))
        assert (await _verdicts(with_jwks))["access tokens"].verdict == "FAIL"


async def test_cors_origins_required_in_production(settings: Settings) -> None:
    unset = dataclasses.replace(settings, cors_allowed_origins=())
    assert (await _verdicts(unset))["CORS origins"].verdict == "FAIL"
    development = dataclasses.replace(unset, app_env="development")
    assert (await _verdicts(development))["CORS origins"].verdict == "ok"
    with_path = dataclasses.replace(settings, cors_allowed_origins=("https://app.example.test/x",))
    assert (await _verdicts(with_path))["CORS origins"].verdict == "FAIL"


async def test_session_connection_for_live_status(settings: Settings, deployment: str) -> None:
    pooled = dataclasses.replace(settings, db_pool_mode="transaction")
    assert (await _verdicts(pooled))["session connection"].verdict == "warn"
    with_session = dataclasses.replace(pooled, database_session_url=deployment)
    assert (await _verdicts(with_session))["session connection"].verdict == "ok"
    unreachable = dataclasses.replace(
        pooled, database_session_url="postgresql://nobody:pw@127.0.0.1:1/none"
    )
    check = (await _verdicts(unreachable))["session connection"]
    assert check.verdict == "FAIL"
    assert "pw" not in check.detail


async def test_the_inbox_its_size_age_and_retention(settings: Settings, deployment: str) -> None:
    _sql(
        deployment,
        "insert into mux_events (id, type, payload, state, received_at) "
        "values ('e1', 'video.asset.ready', '{}', 'applied', now() - interval '3 days')",
    )
    check = (await _verdicts(settings))["inbox"]
    assert check.verdict == "ok"
    assert "about 1 events" in check.detail and "oldest received 3.0 days ago" in check.detail
    assert "deleted after 30 days (INBOX_RETENTION_DAYS)" in check.detail
