"""What a database URL says before any connection is made: its pool mode, and whether its TLS
options can work. (The settings read DATABASE_URL with it; connecting is the database
package's: `service/database/connect_checks.py`.)

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
from urllib.parse import parse_qs, urlsplit

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
