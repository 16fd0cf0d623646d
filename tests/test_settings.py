"""Configuration: required settings are named, malformed ones are refused, secrets not echoed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from service.settings import Settings, SettingsError

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


def test_transaction_pooler_disables_prepared_statements() -> None:
    env = {**PRODUCTION, "DATABASE_URL": "postgresql://u:p@pooler.supabase.com:6543/postgres"}
    assert not Settings.from_env(env, dotenv_path=None).db_prepared_statements


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
    result = subprocess.run(
        [sys.executable, "-m", "service", "migrate"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected), result.stderr
