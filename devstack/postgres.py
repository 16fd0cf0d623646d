"""Find or start a PostgreSQL for development, the demo and the tests.

Production always names its database (`DATABASE_URL`). On a developer's machine or in CI we
prefer an explicit `DATABASE_URL`, then (for tests) a local server on 127.0.0.1:5432, then an
embedded server from the `pgserver` wheel, so a fresh checkout needs nothing installed.
"""

from __future__ import annotations

import logging
import os
import uuid
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

log = logging.getLogger(__name__)

LOCAL_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
EMBEDDED_DATA_DIR = Path(__file__).resolve().parent.parent / ".pgdata"

_embedded: Any = None  # keeps the pgserver handle alive for this process


def answers(url: str, timeout: int = 2) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=timeout, autocommit=True) as conn:
            conn.execute("select 1")
    except psycopg.Error:
        return False
    return True


def embedded_server_url(data_dir: Path = EMBEDDED_DATA_DIR) -> str:
    """Start (or reuse) the embedded PostgreSQL in `data_dir`; it stops when the last user exits."""
    global _embedded
    warnings.filterwarnings("ignore", module="platformdirs")  # pgserver's XDG_RUNTIME_DIR note
    try:
        import pgserver
    except ImportError as exc:
        raise RuntimeError(
            "no DATABASE_URL and the embedded PostgreSQL (pip package 'pgserver') is not "
            "installed; run `make install` or set DATABASE_URL"
        ) from exc
    data_dir.mkdir(parents=True, exist_ok=True)
    _embedded = pgserver.get_server(  # type: ignore[attr-defined]
        str(data_dir), cleanup_mode="stop"
    )
    url: str = _embedded.get_uri()
    log.info("embedded PostgreSQL running in %s", data_dir)
    return url


def server_url(*, prefer_local: bool) -> str:
    """A server URL to use: DATABASE_URL, else the local server (if preferred), else embedded."""
    explicit = os.environ.get("DATABASE_URL", "").strip()
    if explicit:
        return explicit
    if prefer_local and answers(LOCAL_SERVER_URL):
        return LOCAL_SERVER_URL
    return embedded_server_url()


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


def create_scratch_database(server: str, prefix: str = "mux_lessons_test") -> str:
    """Create a throw-away database on `server` and return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    return with_database(server, name)


def drop_database(server: str, url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
