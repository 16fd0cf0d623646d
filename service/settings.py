"""One settings object, read from the environment (and `.env`), validated at start-up.

A missing or malformed setting stops start-up with a one-line message naming it; values are
never echoed back, since several of them are secrets.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from dotenv import dotenv_values

from service.database import urls

ENVIRONMENTS = ("development", "test", "production")
PLAYBACK_POLICIES = ("public", "signed")
# Languages Mux generates subtitles in (API reference: `generated_subtitles[].language_code`).
SUBTITLE_LANGUAGES = (
    "en", "es", "it", "pt", "de", "fr", "pl", "ru", "nl", "ca", "tr",
    "sv", "uk", "no", "fi", "sk", "el", "cs", "hr", "da", "ro", "bg",
)  # fmt: skip
# Resolutions a static rendition may ask for (`static_renditions[].resolution`).
RENDITION_RESOLUTIONS = (
    "highest", "audio-only", "2160p", "1440p", "1080p", "720p", "540p", "480p", "360p", "270p",
)  # fmt: skip

_Getter = Callable[[str], str | None]


DATABASE_URL_MISSING = (
    "DATABASE_URL is not set: the PostgreSQL URL of the service's database "
    "(postgresql://user:password@host:port/database)"
)


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it and says what is expected."""


@dataclass(frozen=True)
class Settings:
    app_env: str = "development"
    database_url: str | None = field(default=None, repr=False)
    database_session_url: str | None = field(default=None, repr=False)
    db_pool_mode: str = "direct"
    db_pool_min: int = 2
    db_pool_max: int = 10
    db_prepared_statements: bool = True
    db_pool_timeout_seconds: float = 2.0
    db_lock_timeout_seconds: float = 0.5
    db_statement_timeout_seconds: float = 10.0
    mux_api_url: str = "https://api.mux.com"
    mux_image_base_url: str = "https://image.mux.com"
    mux_stream_base_url: str = "https://stream.mux.com"
    mux_token_id: str | None = None
    mux_token_secret: str | None = field(default=None, repr=False)
    mux_webhook_secrets: tuple[str, ...] = field(default=(), repr=False)
    mux_webhook_tolerance_seconds: int = 300
    mux_playback_policy: str = "public"
    mux_signing_key_id: str | None = None
    mux_signing_private_key: str | None = field(default=None, repr=False)
    webhook_max_body_bytes: int = 1024 * 1024
    http_max_head_bytes: int = 16 * 1024
    supabase_url: str | None = None
    supabase_jwt_secret: str | None = field(default=None, repr=False)
    cors_allowed_origins: tuple[str, ...] = ()
    admin_token: str | None = field(default=None, repr=False)
    metrics_token: str | None = field(default=None, repr=False)
    metrics_cache_seconds: float = 5.0
    worker_metrics_port: int | None = None
    worker_metrics_host: str = "127.0.0.1"
    upload_rate_limit_per_minute: int = 20
    allow_anonymous_uploads: bool = False
    live_max_streams: int = 10_000
    live_max_streams_per_user: int = 50
    live_max_anonymous_streams: int = 5_000
    live_max_streams_per_address: int = 100
    forwarded_allow_ips: tuple[str, ...] = ("127.0.0.1", "::1")
    playback_token_ttl_seconds: int = 900
    worker_max_attempts: int = 10
    worker_retry_base_seconds: float = 5.0
    worker_retry_max_seconds: float = 3600.0
    worker_poll_seconds: float = 1.0
    unmatched_max_age_seconds: int = 7 * 24 * 3600
    inbox_retention_days: int = 30
    reconcile_interval_seconds: int = 300
    reconcile_uploading_after_seconds: int = 3900
    reconcile_processing_after_seconds: int = 900
    reconcile_max_mux_calls: int = 50
    live_poll_seconds: float = 0.5
    mux_generated_subtitles: tuple[tuple[str, str | None], ...] = ()
    mux_static_renditions: tuple[str, ...] = ()
    superseded_asset_retention_seconds: int = 0
    cleanup_max_mux_calls: int = 50
    orphan_grace_seconds: int = 24 * 3600
    log_level: str = "INFO"

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
        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        app_env = (get("APP_ENV") or "development").lower()
        if app_env not in ENVIRONMENTS:
            raise SettingsError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}")
        production = app_env == "production"

        def required(name: str) -> str | None:
            value = get(name)
            if value is None and production:
                raise SettingsError(f"{name} is required when APP_ENV=production")
            return value

        database_url = required("DATABASE_URL")
        session_url = get("DATABASE_SESSION_URL")
        for name, url in (("DATABASE_URL", database_url), ("DATABASE_SESSION_URL", session_url)):
            if url is not None:
                _check_database_url(name, url)
        pool_mode = _pool_mode(get("DB_POOL_MODE"), database_url)
        if session_url is not None:
            _check_session_url(session_url)
        policy = (get("MUX_PLAYBACK_POLICY") or "public").lower()
        if policy not in PLAYBACK_POLICIES:
            raise SettingsError("MUX_PLAYBACK_POLICY must be 'public' or 'signed'")
        pool_timeout = _float(get, "DB_POOL_TIMEOUT_SECONDS", 2.0)
        max_streams = _int(get, "LIVE_MAX_STREAMS", 10_000, minimum=1)
        settings = cls(
            app_env=app_env,
            database_url=database_url,
            database_session_url=session_url,
            db_pool_mode=pool_mode,
            db_pool_min=_int(get, "DB_POOL_MIN", 2, minimum=0),
            db_pool_max=_int(get, "DB_POOL_MAX", 10, minimum=1),
            db_pool_timeout_seconds=pool_timeout,
            db_lock_timeout_seconds=_float(
                get, "DB_LOCK_TIMEOUT_SECONDS", min(0.5, pool_timeout / 4)
            ),
            db_statement_timeout_seconds=_float(get, "DB_STATEMENT_TIMEOUT_SECONDS", 10.0),
            db_prepared_statements=_bool(get, "DB_PREPARED_STATEMENTS", True),
            mux_api_url=_url(get, "MUX_API_URL", "https://api.mux.com"),
            mux_image_base_url=_url(get, "MUX_IMAGE_BASE_URL", "https://image.mux.com"),
            mux_stream_base_url=_url(get, "MUX_STREAM_BASE_URL", "https://stream.mux.com"),
            mux_token_id=required("MUX_TOKEN_ID"),
            mux_token_secret=required("MUX_TOKEN_SECRET"),
            mux_webhook_secrets=_csv(required("MUX_WEBHOOK_SECRET")),
            mux_webhook_tolerance_seconds=_int(
                get, "MUX_WEBHOOK_TOLERANCE_SECONDS", 300, minimum=1
            ),
            mux_playback_policy=policy,
            mux_signing_key_id=get("MUX_SIGNING_KEY_ID"),
            mux_signing_private_key=get("MUX_SIGNING_PRIVATE_KEY"),
            webhook_max_body_bytes=_int(get, "WEBHOOK_MAX_BODY_BYTES", 1024 * 1024, minimum=1024),
            http_max_head_bytes=_int(get, "HTTP_MAX_HEAD_BYTES", 16 * 1024, minimum=4096),
            supabase_url=_optional_url(get, "SUPABASE_URL"),
            supabase_jwt_secret=get("SUPABASE_JWT_SECRET"),
            cors_allowed_origins=_csv(get("CORS_ALLOWED_ORIGINS")),
            admin_token=get("ADMIN_TOKEN"),
            metrics_token=get("METRICS_TOKEN"),
            metrics_cache_seconds=_float(get, "METRICS_CACHE_SECONDS", 5.0),
            worker_metrics_port=(
                _int(get, "WORKER_METRICS_PORT", 0, minimum=1)
                if get("WORKER_METRICS_PORT")
                else None
            ),
            worker_metrics_host=_host(get, "WORKER_METRICS_HOST", "127.0.0.1"),
            upload_rate_limit_per_minute=_int(get, "UPLOAD_RATE_LIMIT_PER_MINUTE", 20, minimum=1),
            allow_anonymous_uploads=_bool(get, "ALLOW_ANONYMOUS_UPLOADS", False),
            live_max_streams=max_streams,
            live_max_streams_per_user=_int(get, "LIVE_MAX_STREAMS_PER_USER", 50, minimum=1),
            live_max_anonymous_streams=_int(
                get, "LIVE_MAX_ANONYMOUS_STREAMS", max_streams // 2, minimum=0
            ),
            live_max_streams_per_address=_int(get, "LIVE_MAX_STREAMS_PER_ADDRESS", 100, minimum=1),
            forwarded_allow_ips=_trusted_proxies(get("FORWARDED_ALLOW_IPS")),
            playback_token_ttl_seconds=_int(get, "PLAYBACK_TOKEN_TTL_SECONDS", 900, minimum=30),
            worker_max_attempts=_int(get, "WORKER_MAX_ATTEMPTS", 10, minimum=1),
            worker_retry_base_seconds=_float(get, "WORKER_RETRY_BASE_SECONDS", 5.0),
            worker_retry_max_seconds=_float(get, "WORKER_RETRY_MAX_SECONDS", 3600.0),
            worker_poll_seconds=_float(get, "WORKER_POLL_SECONDS", 1.0),
            unmatched_max_age_seconds=_int(
                get, "UNMATCHED_MAX_AGE_SECONDS", 7 * 24 * 3600, minimum=60
            ),
            inbox_retention_days=_int(get, "INBOX_RETENTION_DAYS", 30, minimum=0),
            reconcile_interval_seconds=_int(get, "RECONCILE_INTERVAL_SECONDS", 300, minimum=1),
            reconcile_uploading_after_seconds=_int(
                get, "RECONCILE_UPLOADING_AFTER_SECONDS", 3900, minimum=1
            ),
            reconcile_processing_after_seconds=_int(
                get, "RECONCILE_PROCESSING_AFTER_SECONDS", 900, minimum=1
            ),
            reconcile_max_mux_calls=_int(get, "RECONCILE_MAX_MUX_CALLS", 50, minimum=0),
            live_poll_seconds=_float(get, "LIVE_POLL_SECONDS", 0.5),
            mux_generated_subtitles=_subtitles(get("MUX_GENERATED_SUBTITLES")),
            mux_static_renditions=_renditions(get("MUX_STATIC_RENDITIONS")),
            superseded_asset_retention_seconds=_int(
                get, "SUPERSEDED_ASSET_RETENTION_SECONDS", 0, minimum=0
            ),
            cleanup_max_mux_calls=_int(get, "CLEANUP_MAX_MUX_CALLS", 50, minimum=1),
            orphan_grace_seconds=_int(get, "ORPHAN_GRACE_SECONDS", 24 * 3600, minimum=0),
            log_level=(get("LOG_LEVEL") or "INFO").upper(),
        )
        if settings.db_pool_min > settings.db_pool_max:
            raise SettingsError("DB_POOL_MIN must not exceed DB_POOL_MAX")
        if settings.db_lock_timeout_seconds * 3 > settings.db_pool_timeout_seconds:
            # A webhook batch held by a locked lesson waits twice (the batch, then that event
            # alone) and must still be answered within the pool timeout.
            raise SettingsError(
                "DB_LOCK_TIMEOUT_SECONDS must be at most a third of DB_POOL_TIMEOUT_SECONDS"
            )
        if policy == "signed" and not (
            settings.mux_signing_key_id and settings.mux_signing_private_key
        ):
            raise SettingsError(
                "MUX_SIGNING_KEY_ID and MUX_SIGNING_PRIVATE_KEY are required "
                "when MUX_PLAYBACK_POLICY=signed"
            )
        if settings.mux_signing_private_key and not _is_rsa_private_key(
            settings.mux_signing_private_key
        ):
            raise SettingsError(
                "MUX_SIGNING_PRIVATE_KEY must be the base64-encoded PEM private key Mux issued"
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
        if production and not (settings.supabase_jwt_secret or settings.supabase_url):
            raise SettingsError(
                "SUPABASE_URL (for JWKS) or SUPABASE_JWT_SECRET is required when APP_ENV=production"
            )
        return settings


def _check_database_url(name: str, url: str) -> None:
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
    problem = urls.tls_problem(url)
    if problem:
        raise SettingsError(f"{name}: {problem}")


def _pool_mode(explicit: str | None, database_url: str | None) -> str:
    """DB_POOL_MODE, else what Supabase's host and port say DATABASE_URL is."""
    if explicit is not None:
        if explicit.lower() not in urls.POOL_MODES:
            raise SettingsError(f"DB_POOL_MODE must be one of {', '.join(urls.POOL_MODES)}")
        return explicit.lower()
    if database_url is None:
        return "direct"
    try:
        return urls.infer_pool_mode(database_url)
    except urls.PoolModeUnknown as exc:
        raise SettingsError(
            f"DB_POOL_MODE is needed: the mode of DATABASE_URL cannot be told ({exc}); "
            "set it to direct, session or transaction"
        ) from exc


def _check_session_url(url: str) -> None:
    try:
        mode = urls.infer_pool_mode(url)
    except urls.PoolModeUnknown:
        return  # named explicitly as session-capable: taken at its word
    if mode == "transaction":
        raise SettingsError(
            "DATABASE_SESSION_URL is a transaction pooler; it must be the direct connection "
            "or the session pooler (port 5432)"
        )


def _is_rsa_private_key(encoded: str) -> bool:
    from service.lessons.playback import load_private_key

    try:
        load_private_key(encoded)
    except ValueError:
        return False
    return True


def _int(get: _Getter, name: str, default: int, *, minimum: int) -> int:
    raw = get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be an integer") from exc
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}")
    return value


def _float(get: _Getter, name: str, default: float) -> float:
    raw = get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number") from exc
    if not value > 0:
        raise SettingsError(f"{name} must be greater than 0")
    return value


def _host(get: _Getter, name: str, default: str) -> str:
    """An address to listen on: an IP address (`0.0.0.0` and `::` for every interface)."""
    raw = get(name)
    if raw is None:
        return default
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError as exc:
        raise SettingsError(f"{name} must be an IP address to listen on") from exc


def _trusted_proxies(raw: str | None) -> tuple[str, ...]:
    """FORWARDED_ALLOW_IPS as uvicorn reads it: IP addresses and networks, or `*`."""
    if raw is None:
        return ("127.0.0.1", "::1")
    entries = _csv(raw)
    for entry in entries:
        if entry == "*":
            continue
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError as exc:
            raise SettingsError(
                "FORWARDED_ALLOW_IPS must list IP addresses or networks (CIDR) of trusted "
                "proxies, comma-separated, or *"
            ) from exc
    return entries


def _bool(get: _Getter, name: str, default: bool) -> bool:
    raw = get(name)
    if raw is None:
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false")


def _url(get: _Getter, name: str, default: str) -> str:
    return _optional_url(get, name) or default


def _optional_url(get: _Getter, name: str) -> str | None:
    raw = get(name)
    if raw is None:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"{name} must be an http(s) URL")
    return raw.rstrip("/")


def _subtitles(raw: str | None) -> tuple[tuple[str, str | None], ...]:
    """`en:English (generated),fr`: language codes, each with an optional track name."""
    tracks = []
    for item in _csv(raw):
        code, _, name = item.partition(":")
        code = code.strip()
        if code not in SUBTITLE_LANGUAGES:
            raise SettingsError(
                "MUX_GENERATED_SUBTITLES must list language codes Mux can generate "
                f"({', '.join(SUBTITLE_LANGUAGES)}), each optionally followed by :name"
            )
        tracks.append((code, name.strip() or None))
    return tuple(tracks)


def _renditions(raw: str | None) -> tuple[str, ...]:
    resolutions = _csv(raw)
    if any(r not in RENDITION_RESOLUTIONS for r in resolutions):
        raise SettingsError(
            f"MUX_STATIC_RENDITIONS must list resolutions among {', '.join(RENDITION_RESOLUTIONS)}"
        )
    return resolutions


def _csv(raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return ()
    return tuple(item.strip() for item in raw.split(",") if item.strip())
