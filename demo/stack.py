"""The local stack `make demo` and `make web` run: PostgreSQL, the Mux emulator and the service
(with its worker) on free ports, plus the demo author's course and lesson."""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from devstack import postgres
from devstack.pooler import start_pgbouncer
from devstack.ports import free_port
from service.database import migrations
from service.database.pool import Database

ROOT = Path(__file__).resolve().parent.parent
DEV_JWT_SECRET = "local-development-jwt-secret-not-for-production"  # noqa: S105
DEFAULT_DATA_DIR = ROOT / ".pgdata" / "demo"

CHAOS_ARGS = [
    "--duplicate-probability",
    "0.5",
    "--reorder-window",
    "0.8",
    "--drop-event-type",
    "video.asset.ready",
    "--seed",
    "7",
]


@contextmanager
def process(
    argv: list[str], env: dict[str, str], log: Path, cwd: Path = ROOT
) -> Iterator[subprocess.Popen[bytes]]:
    """A child process with its output in `log`, asked to stop (then killed) on exit."""
    with log.open("wb") as output:
        child = subprocess.Popen(  # noqa: S603 - our own interpreter, modules and node
            argv, env=env, cwd=cwd, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            yield child
        finally:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


def last_lines(log: Path, count: int = 6) -> list[str]:
    """The last non-empty lines a process wrote (its one-line configuration error, say)."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return [line for line in text.splitlines() if line.strip()][-count:]


def exited_early(name: str, child: subprocess.Popen[bytes], log: Path) -> SystemExit:
    """Stop, saying why a process of the stack is gone: its last lines, then its log."""
    lines = last_lines(log)
    said = "".join(f"\n  | {line}" for line in lines) if lines else "\n  (it wrote nothing)"
    return SystemExit(
        f"{name} exited early (exit code {child.returncode}); its last lines:{said}\n"
        f"  full log: {log}"
    )


async def wait_until_up(url: str, child: subprocess.Popen[bytes], log: Path, name: str) -> None:
    """Until `url` answers below 500; stops with the process's own last lines if it exits."""
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(timeout=2) as http:
        while time.monotonic() < deadline:
            if child.poll() is not None:
                raise exited_early(name, child, log)
            try:
                if (await http.get(url)).status_code < 500:
                    if child.poll() is not None:  # someone else answered on its port
                        raise exited_early(name, child, log)
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"{name} did not come up at {url} within 60 s; see {log}")


@dataclass
class DemoLesson:
    author: uuid.UUID
    email: str
    course: uuid.UUID
    lesson: uuid.UUID


async def create_demo_lesson(database_url: str) -> DemoLesson:
    """A demo author (as Supabase Auth would have) and, as that author, a course and lesson,
    both published by the author (public): visitors see the lesson once its video is ready."""
    db = Database(database_url, min_size=1, max_size=2)
    await db.open()
    try:
        author = uuid.uuid4()
        email = f"demo-{author.hex[:6]}@example.test"
        async with db.service_session() as conn:
            await conn.execute(
                "insert into auth.users (id, email) values (%s, %s)", (author, email)
            )
        claims = {"sub": str(author), "role": "authenticated"}
        async with db.user_session(claims) as conn:
            course = await (
                await conn.execute(
                    "insert into courses (title) values ('Demo course') returning id"
                )
            ).fetchone()
            assert course is not None
            lesson = await (
                await conn.execute(
                    "insert into lessons (course_id, title) values (%s, %s) returning id",
                    (course["id"], "Demo lesson"),
                )
            ).fetchone()
            assert lesson is not None
            await conn.execute(
                "update courses set visibility = 'public' where id = %s", (course["id"],)
            )
            await conn.execute(
                "update lessons set visibility = 'public' where id = %s", (lesson["id"],)
            )
        assert lesson is not None
        return DemoLesson(author, email, course["id"], lesson["id"])
    finally:
        await db.close()


@dataclass
class Stack:
    """Where the running stack is, and its processes (each stopped when the stack ends)."""

    database_url: str
    embedded: bool
    emulator: str
    service: str
    logs: Path
    webhook_secret: str
    admin_token: str
    exits: ExitStack = field(repr=False)
    pooler_url: str | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict, repr=False)
    commands: dict[str, tuple[list[str], dict[str, str], Path]] = field(
        default_factory=dict, repr=False
    )

    def start(self, name: str, argv: list[str], env: dict[str, str], cwd: Path = ROOT) -> None:
        """Start a process of the stack, its output in `<logs>/<name>.log`."""
        self.commands[name] = (argv, env, cwd)
        self.processes[name] = self.exits.enter_context(process(argv, env, self.log(name), cwd))

    def kill(self, name: str) -> None:
        """SIGKILL a process of the stack, as a crash would."""
        child = self.processes[name]
        child.kill()
        child.wait(timeout=10)

    def restart(self, name: str) -> None:
        """Start a killed process again with the same command (same port)."""
        self.start(name, *self.commands[name])

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    async def wait_for(self, name: str, url: str) -> None:
        """Until the process `name` answers at `url` (its last lines if it exits instead)."""
        await wait_until_up(url, self.processes[name], self.log(name), name)

    async def wait_until_up(self) -> None:
        await self.wait_for("emulator", f"{self.emulator}/_emulator/stats")
        await self.wait_for("service", f"{self.service}/healthz")


def add_data_dir_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        default=str(DEFAULT_DATA_DIR),
        help="where the embedded PostgreSQL keeps its data",
    )


def logs_dir(data_dir: Path) -> Path:
    return data_dir.parent / "demo-logs"


async def until_interrupted() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


def database_url(data_dir: Path) -> tuple[str, bool]:
    """DATABASE_URL when set, else the embedded PostgreSQL in `data_dir`; migrated."""
    explicit = os.environ.get("DATABASE_URL", "").strip()
    url = explicit or postgres.embedded_server_url(data_dir)
    migrations.migrate(url)
    return url, not explicit


def clean_env() -> dict[str, str]:
    """This environment without the developer's Mux and Supabase settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("MUX_", "SUPABASE_"))}


@contextmanager
def running_stack(
    logs: Path,
    *,
    front_end_origin: str,
    database: tuple[str, bool],
    chaos: bool = False,
    jwt_secret: str = DEV_JWT_SECRET,
    webhook_secret: str | None = None,
    service_settings: dict[str, str] | None = None,
    pooler: str | None = None,
) -> Iterator[Stack]:
    """The emulator and the service (with worker) running; `await stack.wait_until_up()`.

    `database` is (URL, embedded?) of a migrated database; `service_settings` override the
    service's environment. `pooler` puts PgBouncer in transaction mode between the service
    and the database: `listen` with the database as DATABASE_SESSION_URL (live status
    LISTENs), `poll` with no session URL (live status polls).
    """
    emulator_port, service_port = free_port(), free_port()
    emulator, service = f"http://127.0.0.1:{emulator_port}", f"http://127.0.0.1:{service_port}"
    logs.mkdir(parents=True, exist_ok=True)
    with ExitStack() as exits:
        stack = Stack(
            database_url=database[0],
            embedded=database[1],
            emulator=emulator,
            service=service,
            logs=logs,
            webhook_secret=webhook_secret or secrets.token_hex(16),
            admin_token=secrets.token_urlsafe(16),
            exits=exits,
        )
        emulator_args = [
            *("-m", "mux_emulator", "--port", str(emulator_port)),
            *("--webhook-secret", stack.webhook_secret),
            *("--webhook-url", f"{service}/api/webhooks/mux"),
            *("--processing-seconds", "1.0", "--retry-base-seconds", "0.5"),
            *(CHAOS_ARGS if chaos else []),
        ]
        env = clean_env()
        database_env = {"DATABASE_URL": stack.database_url}
        if pooler is not None:
            bouncer = start_pgbouncer(stack.database_url)
            exits.callback(bouncer.stop)
            stack.pooler_url = bouncer.url(stack.database_url)
            database_env = {"DATABASE_URL": stack.pooler_url, "DB_POOL_MODE": "transaction"}
            if pooler == "listen":
                database_env["DATABASE_SESSION_URL"] = stack.database_url
        service_env = {
            **env,
            "APP_ENV": "development",
            **database_env,
            "MUX_API_URL": emulator,
            "MUX_IMAGE_BASE_URL": f"{emulator}/image",
            "MUX_STREAM_BASE_URL": f"{emulator}/stream",
            "MUX_TOKEN_ID": "emulator-token-id",
            "MUX_TOKEN_SECRET": "emulator-token-secret",
            "MUX_WEBHOOK_SECRET": stack.webhook_secret,
            "SUPABASE_JWT_SECRET": jwt_secret,
            "CORS_ALLOWED_ORIGINS": front_end_origin,
            "ADMIN_TOKEN": stack.admin_token,
            "WORKER_POLL_SECONDS": "0.2",
            "RECONCILE_INTERVAL_SECONDS": "2",
            "RECONCILE_PROCESSING_AFTER_SECONDS": "3",
            "LOG_LEVEL": "INFO",
            **(service_settings or {}),
        }
        service_args = ["-m", "service", "serve", "--with-worker", "--port", str(service_port)]
        stack.start("emulator", [sys.executable, *emulator_args], env)
        stack.start("service", [sys.executable, *service_args], service_env)
        yield stack
