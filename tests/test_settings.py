"""Configuration: required settings are named, malformed ones are refused, secrets not echoed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.settings import DATABASE_URL_MISSING, Settings, SettingsError
from tests.commands import run_service

PRODUCTION = {
    "APP_ENV": "production",
    "DATABASE_URL": "postgresql://svc:secretpw@db.example.test:5432/postgres",
    "MUX_TOKEN_ID": "id",
    "MUX_TOKEN_SECRET": "secret",
    "MUX_WEBHOOK_SECRET": "whsec-old, whsec-new",
    "SUPABASE_URL": "https://project.supabase.co",
}


def test_production_settings_parse() -> None:
    settings = Settings.from_env(PRODUCTION, dotenv_path=None)
    assert settings.production
    assert settings.mux_webhook_secrets == ("whsec-old", "whsec-new")
    assert settings.db_prepared_statements
    assert "secretpw" not in repr(settings) and "whsec" not in repr(settings)


SUPAVISOR = "aws-0-eu-central-1.pooler.supabase.com"
DIRECT = "db.abcdefghijklmnopqrst.supabase.co"


@pytest.mark.parametrize(
    ("host_port", "mode"),
    [
        (f"{DIRECT}:5432", "direct"),
        (f"{DIRECT}:6543", "transaction"),  # Supabase's dedicated PgBouncer
        (f"{SUPAVISOR}:5432", "session"),
        (f"{SUPAVISOR}:6543", "transaction"),
        ("db.internal.example:5432", "direct"),
        ("127.0.0.1", "direct"),
    ],
)
def test_pool_mode_is_read_from_supabase_hosts_and_ports(host_port: str, mode: str) -> None:
    env = {**PRODUCTION, "DATABASE_URL": f"postgresql://u:p@{host_port}/postgres"}
    settings = Settings.from_env(env, dotenv_path=None)
    assert settings.db_pool_mode == mode
    assert settings.prepared_statements is (mode != "transaction")
    assert settings.session_url == (None if mode == "transaction" else env["DATABASE_URL"])


def test_port_6543_alone_is_not_taken_as_a_pooler_either_way() -> None:
    env = {**PRODUCTION, "DATABASE_URL": "postgresql://u:hunter2@pgb.internal:6543/postgres"}
    with pytest.raises(SettingsError, match="DB_POOL_MODE is needed") as info:
        Settings.from_env(env, dotenv_path=None)
    assert "hunter2" not in str(info.value)
    settings = Settings.from_env({**env, "DB_POOL_MODE": "session"}, dotenv_path=None)
    assert (settings.db_pool_mode, settings.prepared_statements) == ("session", True)


def test_an_explicit_pool_mode_wins_for_a_self_run_pooler() -> None:
    env = {
        **PRODUCTION,
        "DATABASE_URL": "postgresql://u:p@pgbouncer.internal:6432/postgres",
        "DB_POOL_MODE": "transaction",
    }
    settings = Settings.from_env(env, dotenv_path=None)
    assert not settings.prepared_statements
    assert settings.session_url is None  # live status polls; migrations are refused
    direct = "postgresql://u:p@db.internal:5432/postgres"
    with_session = Settings.from_env({**env, "DATABASE_SESSION_URL": direct}, dotenv_path=None)
    assert with_session.session_url == direct


def test_a_transaction_pooler_is_refused_as_the_session_url() -> None:
    env = {**PRODUCTION, "DATABASE_SESSION_URL": f"postgresql://u:p@{SUPAVISOR}:6543/postgres"}
    with pytest.raises(SettingsError, match="DATABASE_SESSION_URL is a transaction pooler"):
        Settings.from_env(env, dotenv_path=None)


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("sslmode=sometimes", "sslmode=sometimes is not one of"),
        ("sslmode=verify-full&sslrootcert=/nonexistent/prod-ca-2021.crt", "does not exist"),
    ],
)
def test_tls_settings_that_cannot_work_are_refused(query: str, fragment: str) -> None:
    env = {**PRODUCTION, "DATABASE_URL": f"postgresql://u:hunter2@{DIRECT}:5432/postgres?{query}"}
    with pytest.raises(SettingsError, match=re.escape(fragment)) as info:
        Settings.from_env(env, dotenv_path=None)
    assert str(info.value).startswith("DATABASE_URL: ")
    assert "hunter2" not in str(info.value)


def test_verify_full_without_a_ca_file_says_where_to_get_supabases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.postgresql/root.crt
    monkeypatch.delenv("PGSSLROOTCERT", raising=False)
    url = f"postgresql://u:p@{DIRECT}:5432/postgres?sslmode=verify-full"
    with pytest.raises(SettingsError, match=re.escape("prod-ca-2021.crt")):
        Settings.from_env({**PRODUCTION, "DATABASE_URL": url}, dotenv_path=None)
    ca = tmp_path / "prod-ca-2021.crt"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    ok = f"{url}&sslrootcert={ca}"
    assert Settings.from_env({**PRODUCTION, "DATABASE_URL": ok}, dotenv_path=None).database_url


def test_database_bounds_and_anonymous_uploads() -> None:
    defaults = Settings.from_env(PRODUCTION, dotenv_path=None)
    assert (defaults.db_lock_timeout_seconds, defaults.db_statement_timeout_seconds) == (0.5, 10)
    assert not defaults.allow_anonymous_uploads
    short = Settings.from_env({**PRODUCTION, "DB_POOL_TIMEOUT_SECONDS": "1"}, dotenv_path=None)
    assert short.db_lock_timeout_seconds == 0.25  # a quarter of the pool timeout when unset
    env = {**PRODUCTION, "ALLOW_ANONYMOUS_UPLOADS": "true", "DB_LOCK_TIMEOUT_SECONDS": "0.2"}
    chosen = Settings.from_env(env, dotenv_path=None)
    assert chosen.allow_anonymous_uploads and chosen.db_lock_timeout_seconds == 0.2


@pytest.mark.parametrize(
    "name", ["DATABASE_URL", "MUX_TOKEN_ID", "MUX_TOKEN_SECRET", "MUX_WEBHOOK_SECRET"]
)
def test_missing_required_setting_in_production_is_named(name: str) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != name}
    with pytest.raises(SettingsError, match=name):
        Settings.from_env(env, dotenv_path=None)


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("DATABASE_URL", "mysql://u:hunter2@h/db", "DATABASE_URL is malformed"),
        ("DATABASE_URL", "postgresql://u:hunter2@h:port/db", "DATABASE_URL is malformed"),
        ("DB_POOL_MAX", "many", "DB_POOL_MAX must be an integer"),
        ("MUX_PLAYBACK_POLICY", "private", "MUX_PLAYBACK_POLICY"),
        ("SUPABASE_URL", "project.supabase.co", "SUPABASE_URL must be an http(s) URL"),
        ("APP_ENV", "staging", "APP_ENV must be one of"),
        ("DB_LOCK_TIMEOUT_SECONDS", "1", "at most a third of DB_POOL_TIMEOUT_SECONDS"),
        ("ALLOW_ANONYMOUS_UPLOADS", "sometimes", "ALLOW_ANONYMOUS_UPLOADS must be true or false"),
        ("HTTP_MAX_HEAD_BYTES", "1024", "HTTP_MAX_HEAD_BYTES must be at least 4096"),
        ("WORKER_METRICS_PORT", "9100", "WORKER_METRICS_PORT needs METRICS_TOKEN"),
        ("LIVE_MAX_ANONYMOUS_STREAMS", "10000", "LIVE_MAX_ANONYMOUS_STREAMS must be less than"),
        ("LIVE_MAX_STREAMS_PER_ADDRESS", "0", "LIVE_MAX_STREAMS_PER_ADDRESS must be at least 1"),
        ("FORWARDED_ALLOW_IPS", "10.0.0.0/8, proxy.internal", "FORWARDED_ALLOW_IPS must list"),
        ("WORKER_METRICS_HOST", "metrics.internal", "WORKER_METRICS_HOST must be an IP address"),
    ],
)
def test_malformed_settings_are_refused_without_echoing_them(
    name: str, value: str, fragment: str
) -> None:
    with pytest.raises(SettingsError, match=re.escape(fragment)) as info:
        Settings.from_env({**PRODUCTION, name: value}, dotenv_path=None)
    assert "hunter2" not in str(info.value)


def test_signed_playback_needs_a_signing_key() -> None:
    with pytest.raises(SettingsError, match="MUX_SIGNING_KEY_ID"):
        Settings.from_env({**PRODUCTION, "MUX_PLAYBACK_POLICY": "signed"}, dotenv_path=None)


def test_dotenv_fills_in_and_the_environment_wins(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("MUX_TOKEN_ID=from-file\nMUX_TOKEN_SECRET=file-secret\n")
    settings = Settings.from_env({"MUX_TOKEN_ID": "from-env"}, dotenv_path=str(dotenv))
    assert (settings.mux_token_id, settings.mux_token_secret) == ("from-env", "file-secret")


@pytest.mark.parametrize(
    ("database_url", "expected"),
    [
        (None, "configuration error: DATABASE_URL is required when APP_ENV=production"),
        ("not a url", "configuration error: DATABASE_URL is malformed"),
    ],
)
def test_cli_stops_with_one_clear_line(
    repo_env: dict[str, str], tmp_path: Path, database_url: str | None, expected: str
) -> None:
    env = {**repo_env, **PRODUCTION}
    env.pop("DATABASE_URL")
    if database_url:
        env["DATABASE_URL"] = database_url
    result = run_service("migrate", env=env, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected), result.stderr


@pytest.mark.parametrize("command", ["serve", "migrate", "worker", "events list"])
def test_without_database_url_commands_name_it_and_start_no_database(
    repo_env: dict[str, str], tmp_path: Path, command: str
) -> None:
    """Even in development the service never starts a database of its own (that is
    `make serve`'s job, through devstack): it names the missing setting."""
    result = run_service(*command.split(), env={**repo_env, "APP_ENV": "development"}, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [f"configuration error: {DATABASE_URL_MISSING}"], result.stderr
    assert not (tmp_path / ".pgdata").exists()


def test_caption_and_download_settings_are_parsed() -> None:
    env = {
        "MUX_GENERATED_SUBTITLES": "en:English (generated), fr",
        "MUX_STATIC_RENDITIONS": "highest, audio-only",
        "SUPERSEDED_ASSET_RETENTION_SECONDS": "86400",
    }
    settings = Settings.from_env(env, dotenv_path=None)
    assert settings.mux_generated_subtitles == (("en", "English (generated)"), ("fr", None))
    assert settings.mux_static_renditions == ("highest", "audio-only")
    assert settings.superseded_asset_retention_seconds == 86400
    defaults = Settings.from_env({}, dotenv_path=None)
    assert (defaults.mux_generated_subtitles, defaults.mux_static_renditions) == ((), ())
    assert defaults.superseded_asset_retention_seconds == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MUX_GENERATED_SUBTITLES", "klingon"),
        ("MUX_STATIC_RENDITIONS", "4k"),
        ("SUPERSEDED_ASSET_RETENTION_SECONDS", "-1"),
        ("CLEANUP_MAX_MUX_CALLS", "0"),
    ],
)
def test_malformed_lifecycle_settings_are_named(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value}, dotenv_path=None)


def test_stream_admission_settings_default_to_a_share_for_signed_in_users() -> None:
    defaults = Settings.from_env({}, dotenv_path=None)
    assert (defaults.live_max_anonymous_streams, defaults.live_max_streams_per_address) == (
        5000,
        100,
    )
    assert defaults.forwarded_allow_ips == ("127.0.0.1", "::1")  # uvicorn's own default
    settings = Settings.from_env(
        {"LIVE_MAX_STREAMS": "300", "FORWARDED_ALLOW_IPS": "10.0.0.0/8, 192.0.2.7"},
        dotenv_path=None,
    )
    assert settings.live_max_anonymous_streams == 150
    assert settings.forwarded_allow_ips == ("10.0.0.0/8", "192.0.2.7")
