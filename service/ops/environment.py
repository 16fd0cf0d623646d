"""The doctor's checks of what the settings point at outside the database: a session-capable
connection for live status, Mux credentials Mux accepts, a webhook signing secret, a way to
verify access tokens (Supabase's JWKS or its JWT secret), and origins browsers may call from.
Each answers a `Check`."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import jwt
import psycopg

from service.mux.client import MuxClient, MuxError, MuxRejected
from service.ops.verdicts import (
    CONNECT_TIMEOUT_SECONDS,
    FAIL,
    OK,
    SKIP,
    WARN,
    Check,
    describe,
    one_line,
)
from service.request.auth import JWKS_PATH
from service.settings import Settings


async def session_connection(settings: Settings, database_reachable: bool) -> Check:
    """Live status LISTENs (and migrations lock) over a session-capable connection; behind a
    transaction pooler with no DATABASE_SESSION_URL, live status falls back to polling."""
    name = "session connection"
    url = settings.session_url
    if url is None:
        return Check(
            name,
            WARN,
            "none (DATABASE_URL is a transaction pooler): live status polls every "
            f"{settings.live_poll_seconds} s and migrations cannot run; set DATABASE_SESSION_URL",
        )
    if url == settings.database_url:
        if not database_reachable:
            return Check(name, SKIP, "DATABASE_URL, which does not answer")
        return Check(name, OK, "DATABASE_URL (live status LISTENs over it)")
    try:
        conn = await psycopg.AsyncConnection.connect(
            url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS
        )
    except psycopg.Error as exc:
        return Check(
            name, FAIL, f"DATABASE_SESSION_URL: cannot connect to {describe(url)}: {one_line(exc)}"
        )
    await conn.close()
    return Check(name, OK, f"DATABASE_SESSION_URL reachable at {describe(url)}")


async def mux_credentials(settings: Settings) -> Check:
    name = "Mux credentials"
    if not (settings.mux_token_id and settings.mux_token_secret):
        return Check(name, FAIL, "MUX_TOKEN_ID and MUX_TOKEN_SECRET must both be set")
    try:
        await MuxClient(settings, timeout=CONNECT_TIMEOUT_SECONDS).list_assets(limit=1)
    except MuxRejected as exc:
        return Check(name, FAIL, f"{settings.mux_api_url} refused the access token: {exc}")
    except MuxError as exc:
        return Check(name, FAIL, f"{settings.mux_api_url}: {exc}")
    return Check(
        name, OK, f"token {settings.mux_token_id} can read assets at {settings.mux_api_url}"
    )


def webhook_secret(settings: Settings) -> Check:
    count = len(settings.mux_webhook_secrets)
    if not count:
        return Check("webhook secret", FAIL, "MUX_WEBHOOK_SECRET is not set: every webhook is 401")
    return Check("webhook secret", OK, f"{count} signing secret(s) set")


async def token_verification(settings: Settings) -> Check:
    name = "access tokens"
    secret = bool(settings.supabase_jwt_secret)
    if not settings.supabase_url:
        if secret:
            return Check(name, OK, "SUPABASE_JWT_SECRET set (HS256 tokens)")
        return Check(name, FAIL, "neither SUPABASE_URL (JWKS) nor SUPABASE_JWT_SECRET is set")
    url = f"{settings.supabase_url}{JWKS_PATH}"
    try:
        async with httpx.AsyncClient(timeout=CONNECT_TIMEOUT_SECONDS) as http:
            response = await http.get(url)
        response.raise_for_status()
        keys = jwt.PyJWKSet.from_dict(response.json()).keys
    except (httpx.HTTPError, ValueError, jwt.PyJWKSetError) as exc:
        reason = f"JWKS at {url} unusable ({exc.__class__.__name__})"
        if secret:
            return Check(name, WARN, f"{reason}; only HS256 tokens will verify")
        return Check(name, FAIL, reason)
    extra = " and SUPABASE_JWT_SECRET" if secret else ""
    return Check(name, OK, f"JWKS reachable ({len(keys)} key(s)){extra}")


def cors(settings: Settings) -> Check:
    origins = settings.cors_allowed_origins
    if not origins:
        if settings.production:
            return Check(
                "CORS origins", FAIL, "CORS_ALLOWED_ORIGINS is empty: browsers cannot call the API"
            )
        return Check("CORS origins", OK, "none set (required only in production)")
    bad = [origin for origin in origins if not _is_origin(origin)]
    if bad:
        return Check(
            "CORS origins", FAIL, f"not an origin (scheme://host[:port]): {', '.join(bad)}"
        )
    return Check("CORS origins", OK, ", ".join(origins))


def _is_origin(value: str) -> bool:
    parts = urlsplit(value)
    return (
        parts.scheme in ("http", "https")
        and bool(parts.netloc)
        and parts.path == ""
        and not (parts.query or parts.fragment)
    )
