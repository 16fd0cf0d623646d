"""What a database URL says before any connection is made: its pool mode, and whether its TLS
options can work. (Connecting is the database package's: `service/database/urls.py`.)

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
from typing import Any
from urllib.parse import parse_qs, urlsplit

from service.settings.readers import SettingsError

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


def query(url: str) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlsplit(url).query).items()}


class PoolModeUnknown(ValueError):
    """The URL's pool mode cannot be told from its host and port; DB_POOL_MODE must say."""


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
    return query(url).get("sslmode") or os.environ.get("PGSSLMODE") or "prefer"


def tls_problem(url: str) -> str | None:
    """Why this URL's TLS settings cannot work, before trying to connect (None if they can)."""
    mode = sslmode(url)
    if mode not in SSL_MODES:
        return f"sslmode={mode} is not one of {', '.join(SSL_MODES)}"
    if mode not in ("verify-ca", "verify-full"):
        return None
    root = query(url).get("sslrootcert") or os.environ.get("PGSSLROOTCERT")
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


def read_url(name: str, url: str) -> str:
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
    problem = tls_problem(url)
    if problem:
        raise SettingsError(f"{name}: {problem}")
    return url


def read_session_url(name: str, url: str) -> str:
    """A URL for what needs a session: never a transaction pooler."""
    read_url(name, url)
    try:
        mode = infer_pool_mode(url)
    except PoolModeUnknown:
        return url  # named explicitly as session-capable: taken at its word
    if mode == "transaction":
        raise SettingsError(
            f"{name} is a transaction pooler; it must be the direct connection "
            "or the session pooler (port 5432)"
        )
    return url


def inferred_pool_mode(values: dict[str, Any]) -> str:
    """Without DB_POOL_MODE: what Supabase's host and port say DATABASE_URL is."""
    if values["database_url"] is None:
        return "direct"
    try:
        return infer_pool_mode(values["database_url"])
    except PoolModeUnknown as exc:
        raise SettingsError(
            f"DB_POOL_MODE is needed: the mode of DATABASE_URL cannot be told ({exc}); "
            "set it to direct, session or transaction"
        ) from exc
