"""Debian's PgBouncer in front of a development PostgreSQL, for the tests and the demo.

Production sits behind Supabase's poolers; this puts a real transaction pooler (the same kind
of thing as Supabase's port 6543) in front of the local database, so what breaks behind one
(prepared statements, session locks, LISTEN, SET) breaks here first. `make test` installs the
`pgbouncer` package when it is missing (`make pgbouncer`).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

import psycopg

from devstack.ports import free_port

SEARCH_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


class PoolerUnavailable(RuntimeError):
    """pgbouncer is not installed or did not start."""


def pgbouncer_binary() -> str:
    found = shutil.which("pgbouncer") or shutil.which("pgbouncer", path=SEARCH_PATH)
    if found is None:
        raise PoolerUnavailable(
            "Debian's pgbouncer is not installed: run `make pgbouncer` (`make test` does)"
        )
    return found


def _server_host(server_url: str) -> str:
    parts = urlsplit(server_url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    return query.get("host") or parts.hostname or "127.0.0.1"


def _server_connstring(server_url: str) -> tuple[str, str]:
    """PgBouncer's `[databases]` connect string for a server URL, and the user it logs in as."""
    parts = urlsplit(server_url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    user = unquote(parts.username or query.get("user") or "postgres")
    fields = {
        "host": _server_host(server_url),
        "port": str(parts.port or query.get("port") or 5432),
        "user": user,
    }
    if parts.password:
        fields["password"] = unquote(parts.password)
    return " ".join(f"{key}={value}" for key, value in fields.items()), user


@dataclass
class PgBouncer:
    process: subprocess.Popen[bytes]
    port: int
    directory: Path
    user: str
    pool_mode: str

    def url(self, database_url: str, **query: str) -> str:
        """The same database as `database_url`, through this pooler."""
        database = urlsplit(database_url).path or "/postgres"
        extra = "&".join(f"{key}={value}" for key, value in query.items())
        return urlunsplit(("postgresql", f"{self.user}@127.0.0.1:{self.port}", database, extra, ""))

    @property
    def log(self) -> str:
        path = self.directory / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def start_pgbouncer(
    server_url: str,
    *,
    pool_mode: str = "transaction",
    pool_size: int = 5,
    tls_cert: tuple[Path, Path] | None = None,
) -> PgBouncer:
    """Start pgbouncer on a free loopback port in front of `server_url`'s server.

    Every database name is passed through to the server (`*`), logging in as the server
    URL's user, so a test's scratch database is reachable through it by name. `tls_cert`
    (certificate, key) makes it offer TLS to clients (without requiring it).
    """
    binary = pgbouncer_binary()
    connstring, user = _server_connstring(server_url)
    directory = Path(tempfile.mkdtemp(prefix="mux-lessons-pgbouncer-"))
    directory.chmod(0o777)  # pgbouncer refuses to run as root; it drops to another user
    tls = ""
    if tls_cert is not None:
        cert, key = (shutil.copy(path, directory / path.name) for path in tls_cert)
        tls = f"client_tls_sslmode = allow\nclient_tls_cert_file = {cert}\n"
        tls += f"client_tls_key_file = {key}\n"
    last_error = ""
    for _ in range(3):  # the free port may be taken between choosing and binding it
        port = free_port()
        config = directory / "pgbouncer.ini"
        config.write_text(
            f"""[databases]
* = {connstring}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = any
pool_mode = {pool_mode}
default_pool_size = {pool_size}
max_client_conn = 1000
server_round_robin = 1
ignore_startup_parameters = extra_float_digits
logfile = {directory / "pgbouncer.log"}
pidfile = {directory / "pgbouncer.pid"}
{tls}"""
        )
        for path in directory.iterdir():
            path.chmod(0o644)
        args = [binary, str(config)]
        if os.geteuid() == 0:
            args[1:1] = ["-u", _unprivileged_user(_server_host(server_url))]
        with (directory / "stderr.log").open("wb") as stderr:
            process = subprocess.Popen(  # noqa: S603 - the system's pgbouncer, our own config
                args, stdout=subprocess.DEVNULL, stderr=stderr
            )
        bouncer = PgBouncer(process, port, directory, user, pool_mode)
        if _wait_until_up(bouncer):
            return bouncer
        if process.poll() is None:
            process.kill()
        process.wait()
        stderr_text = (directory / "stderr.log").read_text(errors="replace")
        last_error = stderr_text.strip() or bouncer.log.strip()
    shutil.rmtree(directory, ignore_errors=True)
    raise PoolerUnavailable(f"pgbouncer did not start: {last_error[-500:]}")


def _unprivileged_user(server_host: str) -> str:
    """Who pgbouncer runs as: the owner of the server's socket directory (the embedded
    server's is private to its user), else `postgres`, else `nobody`."""
    if server_host.startswith("/") and os.path.isdir(server_host):
        owner = os.stat(server_host).st_uid
        if owner != 0:
            return pwd.getpwuid(owner).pw_name
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise PoolerUnavailable("pgbouncer will not run as root and no other user exists")


def _wait_until_up(bouncer: PgBouncer, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if bouncer.process.poll() is not None:
            return False
        try:
            with psycopg.connect(
                bouncer.url("/postgres"), connect_timeout=2, prepare_threshold=None
            ) as conn:
                conn.execute("select 1")
            return True
        except psycopg.OperationalError:
            time.sleep(0.05)
    return False
