"""Which database connection does what: the pool URL, the session URL, the pool mode, TLS.

A hosted Supabase project offers three connection strings (Project -> Connect):

| host:port | mode |
|---|---|
| `db.<ref>.supabase.co:5432` | direct |
| `db.<ref>.supabase.co:6543` | transaction (the dedicated PgBouncer) |
| `aws-<n>-<region>.pooler.supabase.com:5432` | session (Supavisor) |
| `aws-<n>-<region>.pooler.supabase.com:6543` | transaction (Supavisor) |

`DATABASE_URL` carries the request and worker pool in any mode. What needs a session of its own
(the LISTEN connection of live status, the migration runner's advisory lock) goes through
`DATABASE_SESSION_URL`, which defaults to `DATABASE_URL` unless that is a transaction pooler.
The mode is `DB_POOL_MODE` when set, else read from Supabase's host names and ports above; a
port alone (6543 on some other host) is never taken as proof either way.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import psycopg

if TYPE_CHECKING:
    from service.settings import Settings

POOL_MODES = ("direct", "session", "transaction")
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
SUPABASE_DIRECT_HOST = re.compile(r"^db\.[a-z0-9]+\.supabase\.co$")
SUPABASE_POOLER_HOST = re.compile(r"^[a-z0-9-]+\.pooler\.supabase\.com$")
SUPAVISOR_PORTS = {5432: "session", 6543: "transaction"}
DEDICATED_POOLER_PORTS = {5432: "direct", 6543: "transaction"}
TRANSACTION_POOLER_PORT = 6543
SUPABASE_CA_HINT = (
    "for Supabase, download the CA certificate (Database settings -> SSL Configuration) and "
    "add ?sslmode=verify-full&sslrootcert=/path/to/prod-ca-2021.crt"
)


class PoolModeUnknown(ValueError):
    """The URL's pool mode cannot be told from its host and port; DB_POOL_MODE must say."""


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


def _query(url: str) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlsplit(url).query).items()}


def infer_pool_mode(url: str) -> str:
    """`direct`, `session` or `transaction`, from Supabase's host names and ports.

    Any other host is taken as a direct connection unless it listens on 6543, the
    conventional transaction-pooler port: then the mode is refused as unknown, so that a
    self-run pooler is named explicitly (`DB_POOL_MODE`) rather than guessed either way.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port or 5432
    if SUPABASE_POOLER_HOST.match(host):
        if port in SUPAVISOR_PORTS:
            return SUPAVISOR_PORTS[port]
        raise PoolModeUnknown(f"Supabase pooler host on port {port}")
    if SUPABASE_DIRECT_HOST.match(host):
        if port in DEDICATED_POOLER_PORTS:
            return DEDICATED_POOLER_PORTS[port]
        raise PoolModeUnknown(f"Supabase database host on port {port}")
    if port == TRANSACTION_POOLER_PORT:
        raise PoolModeUnknown("port 6543, usually a transaction pooler, on a host not Supabase's")
    return "direct"


def sslmode(url: str) -> str:
    """The sslmode libpq will use: the URL's, else PGSSLMODE, else libpq's default."""
    return _query(url).get("sslmode") or os.environ.get("PGSSLMODE") or "prefer"


def tls_problem(url: str) -> str | None:
    """Why this URL's TLS settings cannot work, before trying to connect (None if they can)."""
    mode = sslmode(url)
    if mode not in SSL_MODES:
        return f"sslmode={mode} is not one of {', '.join(SSL_MODES)}"
    if mode not in ("verify-ca", "verify-full"):
        return None
    root = _query(url).get("sslrootcert") or os.environ.get("PGSSLROOTCERT")
    if root == "system":
        return None
    if root is None:
        default = Path.home() / ".postgresql" / "root.crt"
        if default.exists():
            return None
        return f"sslmode={mode} needs the server's CA certificate: {SUPABASE_CA_HINT}"
    if not Path(root).is_file():
        return f"sslmode={mode}: the CA certificate file {root} does not exist"
    return None


def where(url: str) -> str:
    """host:port/database of a URL, for messages (never the user or password)."""
    parts = urlsplit(url)
    host = parts.hostname or _query(url).get("host", "local socket")
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
