"""The service as it is really run (`python -m service serve` and plain `uvicorn
service.app:app`), with either HTTP parser, at every log level: no secret reaches any log
line, and request heads are bounded."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devstack.ports import free_port
from tests.tokens import ADMIN_TOKEN, JWT_SECRET, hs256

BIG = 1024 * 1024
# (launcher, HTTP parser, log level): every level of each launcher, both parsers.
SERVERS = [
    ("serve", "httptools", "DEBUG"),
    ("serve", "h11", "INFO"),
    ("serve", "httptools", "WARNING"),
    ("uvicorn", "service.http_parsers:HttpToolsProtocol", "trace"),
    ("uvicorn", "service.http_parsers:H11Protocol", "debug"),
    ("uvicorn", "service.http_parsers:HttpToolsProtocol", "info"),
    ("uvicorn", "service.http_parsers:H11Protocol", "warning"),
    # The parsers' former name, which process files written for earlier releases still give.
    ("uvicorn", "service.request.limits:HttpToolsProtocol", "info"),
]


class Served:
    def __init__(self, launcher: str, level: str, log: Path, database_url: str) -> None:
        self.launcher, self.level, self.log = launcher, level, log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url

    def start(self, http: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MUX_", "SUPABASE_"))}
        env.update(
            DATABASE_URL=self.database_url,
            APP_ENV="test",
            ADMIN_TOKEN=ADMIN_TOKEN,
            SUPABASE_JWT_SECRET=JWT_SECRET,
            LOG_LEVEL=self.level.upper() if self.launcher == "serve" else "DEBUG",
            PYTHONUNBUFFERED="1",
        )
        port = str(self.port)
        if self.launcher == "serve":
            command = ["-m", "service", "serve", "--port", port, "--http", http]
        else:
            command = ["-m", "uvicorn", "service.app:app", "--port", port, "--http", http]
            command += ["--log-level", self.level]
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(
                [sys.executable, *command],
                env=env,
                cwd=Path(__file__).resolve().parents[2],
                stdout=sink,
                stderr=subprocess.STDOUT,
            )

    def wait_until_up(self, deadline: float) -> None:
        while True:
            assert self.process.poll() is None, self.output()
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, self.output()
            time.sleep(0.1)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def servers(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Served]]:
    """All of SERVERS at once (started side by side: start-up is most of the cost)."""
    started: list[Served] = []
    try:
        for launcher, http, level in SERVERS:
            log = tmp_path_factory.mktemp("served") / f"{launcher}-{level}.log"
            server = Served(launcher, level, log, database_url)
            server.start(http)
            started.append(server)
        deadline = time.monotonic() + 90
        for server in started:
            server.wait_until_up(deadline)
        yield started
    finally:
        for server in started:
            server.process.terminate()
        for server in started:
            server.process.wait(timeout=30)


IDS = ["-".join(server) for server in SERVERS]


@pytest.fixture(params=range(len(SERVERS)), ids=IDS)
def served(request: pytest.FixtureRequest, servers: list[Served]) -> Served:
    return servers[request.param]


def test_no_token_or_session_reaches_the_logs(served: Served) -> None:
    user_token = hs256(uuid.uuid4())
    lesson = uuid.uuid4()
    with httpx.Client(base_url=served.url, timeout=10) as http:
        stream = http.get(f"/api/lessons/{lesson}/events?access_token={user_token}")
        video = http.get(
            f"/api/lessons/{lesson}/video", headers={"Authorization": f"Bearer {user_token}"}
        )
        by_url = http.get(f"/admin?token={ADMIN_TOKEN}")  # never signs in; still redacted
        encoded = http.get(f"/admin?t%6Fken={ADMIN_TOKEN}")
        login = http.post("/admin", data={"token": ADMIN_TOKEN})  # the login form
        session = http.cookies["mux_lessons_admin"]
        page = http.get("/admin")
        wrong = http.post("/admin", data={"token": "not-the-admin-token-but-still-secret"})
    assert [stream.status_code, video.status_code, login.status_code, page.status_code] == [
        404,
        404,
        303,
        200,
    ]
    assert [by_url.status_code, encoded.status_code, wrong.status_code] == [401, 401, 401]
    time.sleep(0.3)  # let the access log lines reach the file
    output = served.output()
    for secret in (user_token, ADMIN_TOKEN, session, "not-the-admin-token-but-still-secret"):
        assert secret not in output
    if served.level.upper() != "WARNING":
        # The access log really ran, with the tokens in its URLs replaced.
        assert f"/api/lessons/{lesson}/events?access_token=[redacted]" in output, output
        assert "/admin?token=[redacted]" in output, output
        assert "/admin?t%6Fken=[redacted]" in output, output


def _send_head(port: int, head: bytes, chunk: int = 64 * 1024) -> bytes:
    """Send a request head in chunks, as a client would; whatever the server answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            for start in range(0, len(head), chunk):
                sock.sendall(head[start : start + chunk])
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused early: the server stopped reading, as it should
        answer = b""
        try:
            while data := sock.recv(65536):
                answer += data
        except (ConnectionResetError, TimeoutError):
            pass
    return answer


@pytest.mark.parametrize("where", ["header", "request line"])
@pytest.mark.parametrize("size", [BIG, 60 * 1024], ids=["1 MB in 64 KB writes", "60 KB at once"])
def test_request_heads_are_bounded(served: Served, where: str, size: int) -> None:
    """N1's request (`GET /healthz?` + `://x` x 15,000) included: refused before anything
    else reads it (the access log's redaction among them)."""
    if where == "header":
        head = b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * size + b"\r\n\r\n"
    else:
        head = b"GET /healthz?" + b"://x" * (size // 4) + b" HTTP/1.1\r\nHost: t\r\n\r\n"
    answer = _send_head(served.port, head, chunk=size if size < BIG else 64 * 1024)
    status = answer.split(b"\r\n", 1)[0]
    assert status == b"HTTP/1.1 431 Request Header Fields Too Large", answer[:200]
    ordinary = b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Pad: " + b"a" * 8000 + b"\r\n"
    assert _send_head(served.port, ordinary + b"Connection: close\r\n\r\n").startswith(
        b"HTTP/1.1 200"
    )
