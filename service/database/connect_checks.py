"""The checks made by connecting to the configured database: whether TLS, when a URL requires
it, can be had (once with each URL at start-up), and what needs a session-capable connection;
with where a URL points, for their messages.

What a URL says before any connection (its pool mode from Supabase's hosts and ports, TLS
options that cannot work) is read with the settings (`service/settings/database_urls.py`);
`check_tls_settings` connects once with each configured URL at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import psycopg

from service.settings.database_urls import SUPABASE_CA_HINT, query, sslmode

if TYPE_CHECKING:
    from service.settings import Settings


class SessionUrlRequired(Exception):
    """Something that needs a database session was asked of a transaction pooler."""

    def __init__(self, purpose: str) -> None:
        super().__init__(
            f"{purpose} need a session-capable connection, but DATABASE_URL is a transaction "
            "pooler; set DATABASE_SESSION_URL to the direct connection "
            "(db.<ref>.supabase.co:5432) or the session pooler (port 5432)"
        )


class TlsFailure(Exception):
    """TLS was required (sslmode) and the connection could not be made with it."""


def where(url: str) -> str:
    """host:port/database of a URL, for messages (never the user or password)."""
    parts = urlsplit(url)
    host = parts.hostname or query(url).get("host", "local socket")
    return f"{host}:{parts.port or 5432}{parts.path or '/'}"


def is_tls_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(word in text for word in ("ssl", "certificate", "tls"))


def check_tls(url: str, setting: str, *, timeout: int = 5) -> None:
    """Connect once; raise TlsFailure with a clear message if TLS was required and failed.

    Other connection failures (the database is down) are left to the callers' own handling:
    a service that starts while the database is away answers 503 until it is back.
    """
    try:
        with psycopg.connect(url, connect_timeout=timeout, autocommit=True) as conn:
            conn.execute("select 1")
    except psycopg.OperationalError as exc:
        if not is_tls_error(exc):
            return
        reason = " ".join(str(exc).split())
        raise TlsFailure(
            f"cannot connect to {where(url)} ({setting}, sslmode={sslmode(url)}): TLS is "
            f"required and failed: {reason}. {SUPABASE_CA_HINT[0].upper()}{SUPABASE_CA_HINT[1:]}"
        ) from None


def check_tls_settings(settings: Settings) -> None:
    """Stop start-up with a clear message when a URL requires TLS and cannot get it."""
    for setting, url in (
        ("DATABASE_URL", settings.database_url),
        ("DATABASE_SESSION_URL", settings.database_session_url),
    ):
        if url is not None:
            check_tls(url, setting)
