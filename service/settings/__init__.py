"""One settings object, read from the environment (and `.env`), validated at start-up.

A missing or malformed setting stops start-up with a one-line message naming it; values are
never echoed back, since several of them are secrets. Each setting is declared once, below:
its type, its default and how its variable (the field's name in capitals) is read
(`readers.py`; database URLs in `database_urls.py`).

This package is the bottom of the service: it imports nothing from the rest of it, so every
package may use it. What a value must be is checked here (a database URL's TLS options, the
signing key's format); what needs a connection is checked where the connection is made.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import Field, dataclass, fields
from typing import Any
from urllib.parse import urlsplit

from dotenv import dotenv_values

from service.settings import database_urls
from service.settings.readers import (
    SettingsError,
    boolean,
    comma_separated,
    http_url,
    integer,
    listen_address,
    one_of,
    renditions,
    seconds,
    setting,
    signing_key,
    subtitles,
    trusted_proxies,
)

__all__ = ["DATABASE_URL_MISSING", "ENVIRONMENTS", "Settings", "SettingsError"]

ENVIRONMENTS = ("development", "test", "production")
PLAYBACK_POLICIES = ("public", "signed")
DATABASE_URL_MISSING = (
    "DATABASE_URL is not set: the PostgreSQL URL of the service's database "
    "(postgresql://user:password@host:port/database)"
)


def _database_url(name: str, url: str) -> str:
    """A PostgreSQL URL whose TLS options can work (`database_urls.tls_problem`)."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise SettingsError(
            f"{name} is malformed: expected postgresql://user:password@host:port/database"
        )
    try:
        parts.port  # noqa: B018 - raises on a non-numeric port
    except ValueError as exc:
        raise SettingsError(f"{name} is malformed: the port is not a number") from exc
    if not (parts.hostname or "host=" in parts.query):
        raise SettingsError(f"{name} is malformed: no host")
    problem = database_urls.tls_problem(url)
    if problem:
        raise SettingsError(f"{name}: {problem}")
    return url


def _session_url(name: str, url: str) -> str:
    """A URL for what needs a session: never a transaction pooler."""
    _database_url(name, url)
    try:
        mode = database_urls.infer_pool_mode(url)
    except database_urls.PoolModeUnknown:
        return url  # named explicitly as session-capable: taken at its word
    if mode == "transaction":
        raise SettingsError(
            f"{name} is a transaction pooler; it must be the direct connection "
            "or the session pooler (port 5432)"
        )
    return url


def _pool_mode(values: dict[str, Any]) -> str:
    """Without DB_POOL_MODE: what Supabase's host and port say DATABASE_URL is."""
    if values["database_url"] is None:
        return "direct"
    try:
        return database_urls.infer_pool_mode(values["database_url"])
    except database_urls.PoolModeUnknown as exc:
        raise SettingsError(
            f"DB_POOL_MODE is needed: the mode of DATABASE_URL cannot be told ({exc}); "
            "set it to direct, session or transaction"
        ) from exc


_POLICY_MESSAGE = "MUX_PLAYBACK_POLICY must be 'public' or 'signed'"
_POOL_MODE_MESSAGE = f"DB_POOL_MODE must be one of {', '.join(database_urls.POOL_MODES)}"


@dataclass(frozen=True)
class Settings:
    app_env: str = setting("development")  # read first: what is required depends on it
    database_url: str | None = setting(None, _database_url, required=True, secret=True)
    database_session_url: str | None = setting(None, _session_url, secret=True)
    db_pool_mode: str = setting(
        "direct",
        one_of(database_urls.POOL_MODES, _POOL_MODE_MESSAGE),
        derived=_pool_mode,
    )
    db_pool_min: int = setting(2, integer(0))
    db_pool_max: int = setting(10, integer(1))
    db_prepared_statements: bool = setting(True, boolean)
    db_pool_timeout_seconds: float = setting(2.0, seconds)
    db_lock_timeout_seconds: float = setting(
        0.5, seconds, derived=lambda v: min(0.5, v["db_pool_timeout_seconds"] / 4)
    )
    db_statement_timeout_seconds: float = setting(10.0, seconds)
    mux_api_url: str = setting("https://api.mux.com", http_url)
    mux_image_base_url: str = setting("https://image.mux.com", http_url)
    mux_stream_base_url: str = setting("https://stream.mux.com", http_url)
    mux_token_id: str | None = setting(None, required=True)
    mux_token_secret: str | None = setting(None, required=True, secret=True)
    mux_webhook_secrets: tuple[str, ...] = setting(
        (), comma_separated, env="MUX_WEBHOOK_SECRET", required=True, secret=True
    )
    mux_webhook_tolerance_seconds: int = setting(300, integer(1))
    mux_playback_policy: str = setting("public", one_of(PLAYBACK_POLICIES, _POLICY_MESSAGE))
    mux_signing_key_id: str | None = setting(None)
    mux_signing_private_key: str | None = setting(None, signing_key, secret=True)
    webhook_max_body_bytes: int = setting(1024 * 1024, integer(1024))
    http_max_head_bytes: int = setting(16 * 1024, integer(4096))
    supabase_url: str | None = setting(None, http_url)
    supabase_jwt_secret: str | None = setting(None, secret=True)
    cors_allowed_origins: tuple[str, ...] = setting((), comma_separated)
    admin_token: str | None = setting(None, secret=True)
    metrics_token: str | None = setting(None, secret=True)
    metrics_cache_seconds: float = setting(5.0, seconds)
    worker_metrics_port: int | None = setting(None, integer(1))
    worker_metrics_host: str = setting("127.0.0.1", listen_address)
    upload_rate_limit_per_minute: int = setting(20, integer(1))
    allow_anonymous_uploads: bool = setting(False, boolean)
    live_max_streams: int = setting(10_000, integer(1))
    live_max_streams_per_user: int = setting(50, integer(1))
    live_max_anonymous_streams: int = setting(
        5_000, integer(0), derived=lambda v: v["live_max_streams"] // 2
    )
    live_max_streams_per_address: int = setting(100, integer(1))
    forwarded_allow_ips: tuple[str, ...] = setting(("127.0.0.1", "::1"), trusted_proxies)
    playback_token_ttl_seconds: int = setting(900, integer(30))
    worker_max_attempts: int = setting(10, integer(1))
    worker_retry_base_seconds: float = setting(5.0, seconds)
    worker_retry_max_seconds: float = setting(3600.0, seconds)
    worker_poll_seconds: float = setting(1.0, seconds)
    unmatched_max_age_seconds: int = setting(7 * 24 * 3600, integer(60))
    inbox_retention_days: int = setting(30, integer(0))
    reconcile_interval_seconds: int = setting(300, integer(1))
    reconcile_uploading_after_seconds: int = setting(3900, integer(1))
    reconcile_processing_after_seconds: int = setting(900, integer(1))
    reconcile_max_mux_calls: int = setting(50, integer(0))
    live_poll_seconds: float = setting(0.5, seconds)
    mux_generated_subtitles: tuple[tuple[str, str | None], ...] = setting((), subtitles)
    mux_static_renditions: tuple[str, ...] = setting((), renditions)
    superseded_asset_retention_seconds: int = setting(0, integer(0))
    cleanup_max_mux_calls: int = setting(50, integer(1))
    orphan_grace_seconds: int = setting(24 * 3600, integer(0))
    log_level: str = setting("INFO", lambda _, raw: raw.upper())

    @property
    def production(self) -> bool:
        return self.app_env == "production"

    @property
    def session_url(self) -> str | None:
        """The URL for what needs a session (LISTEN, migrations): DATABASE_SESSION_URL, else
        DATABASE_URL unless that is a transaction pooler; None when there is none."""
        if self.database_session_url:
            return self.database_session_url
        return None if self.db_pool_mode == "transaction" else self.database_url

    @property
    def prepared_statements(self) -> bool:
        """Server-side prepared statements cannot survive a transaction pooler."""
        return self.db_prepared_statements and self.db_pool_mode != "transaction"

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, dotenv_path: str | None = ".env"
    ) -> Settings:
        """Read settings; real environment variables win over `.env` entries."""
        values: dict[str, str] = {}
        if dotenv_path and os.path.exists(dotenv_path):
            values.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
        values.update(os.environ if environ is None else environ)
        return cls._parse(values)

    @classmethod
    def _parse(cls, env: Mapping[str, str]) -> Settings:
        """Each setting in the order declared (a derived default sees the ones before it),
        then the rules that tie several together."""
        app_env = (env.get("APP_ENV", "").strip() or "development").lower()
        if app_env not in ENVIRONMENTS:
            raise SettingsError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}")
        values: dict[str, Any] = {"app_env": app_env}
        for declared in fields(cls)[1:]:
            values[declared.name] = _read(declared, env, values, production=app_env == "production")
        settings = cls(**values)
        _check_together(settings)
        return settings


def _read(
    declared: Field[Any], env: Mapping[str, str], values: dict[str, Any], *, production: bool
) -> Any:
    """One setting from its variable, else its default (derived from `values`, if so declared)."""
    meta = declared.metadata
    name = meta["env"] or declared.name.upper()
    raw = env.get(name, "").strip() or None
    if raw is None:
        if meta["required"] and production:
            raise SettingsError(f"{name} is required when APP_ENV=production")
        return meta["derived"](values) if meta["derived"] else declared.default
    return meta["parse"](name, raw) if meta["parse"] else raw


def _check_together(settings: Settings) -> None:
    """The rules about several settings at once."""
    if settings.db_pool_min > settings.db_pool_max:
        raise SettingsError("DB_POOL_MIN must not exceed DB_POOL_MAX")
    if settings.db_lock_timeout_seconds * 3 > settings.db_pool_timeout_seconds:
        # A webhook batch held by a locked lesson waits twice (the batch, then that event
        # alone) and must still be answered within the pool timeout.
        raise SettingsError(
            "DB_LOCK_TIMEOUT_SECONDS must be at most a third of DB_POOL_TIMEOUT_SECONDS"
        )
    if settings.mux_playback_policy == "signed" and not (
        settings.mux_signing_key_id and settings.mux_signing_private_key
    ):
        raise SettingsError(
            "MUX_SIGNING_KEY_ID and MUX_SIGNING_PRIVATE_KEY are required "
            "when MUX_PLAYBACK_POLICY=signed"
        )
    if settings.live_max_anonymous_streams >= settings.live_max_streams:
        raise SettingsError(
            "LIVE_MAX_ANONYMOUS_STREAMS must be less than LIVE_MAX_STREAMS "
            "(the rest is kept for signed-in users)"
        )
    if settings.worker_metrics_port is not None and not settings.metrics_token:
        raise SettingsError(
            "WORKER_METRICS_PORT needs METRICS_TOKEN: the worker's metrics answer only "
            "`Authorization: Bearer <METRICS_TOKEN>`"
        )
    if settings.production and not (settings.supabase_jwt_secret or settings.supabase_url):
        raise SettingsError(
            "SUPABASE_URL (for JWKS) or SUPABASE_JWT_SECRET is required when APP_ENV=production"
        )
