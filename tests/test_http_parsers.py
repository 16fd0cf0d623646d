"""Request heads (request line plus headers) bounded in both of uvicorn's HTTP/1.1 parsers,
however the head arrives: in one write, in two, or a kilobyte at a time. A head over the limit
is answered 431 and the connection closed; the application never sees it."""

from __future__ import annotations

import dataclasses
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from hypothesis import given, settings
from hypothesis import strategies as st

from service import http_parsers
from service.app import create_app
from service.database.pool import Database
from service.settings import Settings

PARSERS = {"httptools": http_parsers.HttpToolsProtocol, "h11": http_parsers.H11Protocol}
LIMIT = 16 * 1024


async def _ok(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture(params=list(PARSERS), scope="module")
def port(request: pytest.FixtureRequest) -> Iterator[int]:
    config = uvicorn.Config(
        _ok, host="127.0.0.1", port=0, http=PARSERS[request.param], log_level="critical"
    )
    config.lifespan = "off"
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    yield server.servers[0].sockets[0].getsockname()[1]
    server.should_exit = True
    thread.join(10)


def _answers(port: int, chunks: list[bytes]) -> list[bytes]:
    """Send `chunks` as separate writes; the status line of every answer the server sent."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            for chunk in chunks:
                sock.sendall(chunk)
                if len(chunks) > 1:
                    time.sleep(0.002)  # separate reads on the server, not one coalesced
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused early: the server stopped reading, as it should
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    return [line for line in answer.split(b"\r\n") if line.startswith(b"HTTP/1.1 ")]


def _head(size: int, where: str) -> bytes:
    """A GET whose head is `size` bytes, the padding in one header or in the query."""
    base = b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    pad = size - len(base)
    if where == "header":
        pad -= len(b"X-Pad: \r\n")
        return base[:-2] + b"X-Pad: " + b"a" * pad + b"\r\n\r\n"
    pad -= 1
    return b"GET /healthz?" + b"a" * pad + base[len(b"GET /healthz") :]


def _split(data: bytes, parts: int) -> list[bytes]:
    step = -(-len(data) // parts)
    return [data[i : i + step] for i in range(0, len(data), step)]


TOO_LARGE = b"HTTP/1.1 431 Request Header Fields Too Large"


@pytest.mark.parametrize("where", ["header", "query"])
@pytest.mark.parametrize(
    ("size", "writes"),
    [(20_000, 1), (60_000, 1), (100_000, 1), (24_000, 2), (LIMIT + 1, 1), (40_000, 40)],
)
def test_a_head_over_the_limit_is_431_however_it_arrives(
    port: int, where: str, size: int, writes: int
) -> None:
    assert _answers(port, _split(_head(size, where), writes)) == [TOO_LARGE]


@pytest.mark.parametrize("where", ["header", "query"])
@pytest.mark.parametrize(("size", "writes"), [(LIMIT, 1), (LIMIT, 3), (LIMIT - 200, 15)])
def test_a_head_within_the_limit_is_served(port: int, where: str, size: int, writes: int) -> None:
    assert _answers(port, _split(_head(size, where), writes)) == [b"HTTP/1.1 200 OK"]


def test_pipelined_requests_are_each_counted_on_their_own(port: int) -> None:
    keep = _head(10_000, "header").replace(b"Connection: close", b"Connection: keep-alive")
    answers = _answers(port, [keep + keep + _head(10_000, "header")])
    assert answers == [b"HTTP/1.1 200 OK"] * 3


def test_the_limit_is_a_setting(port: int) -> None:
    http_parsers.configure(4096)
    try:
        assert _answers(port, [_head(5000, "header")]) == [TOO_LARGE]
        assert _answers(port, [_head(4000, "query")]) == [b"HTTP/1.1 200 OK"]
    finally:
        http_parsers.configure(LIMIT)
    assert _answers(port, [_head(5000, "header")]) == [b"HTTP/1.1 200 OK"]


async def test_the_service_hands_its_setting_to_the_protocols(
    db: Database, webhook_settings: Settings
) -> None:
    """`HTTP_MAX_HEAD_BYTES` reaches the protocol however the service is started: `create_app`
    (which `mux-lessons serve` and `uvicorn service.app:app` both run) configures it."""
    settings = Settings.from_env({"HTTP_MAX_HEAD_BYTES": "8192"}, dotenv_path=None)
    assert settings.http_max_head_bytes == 8192
    create_app(dataclasses.replace(webhook_settings, http_max_head_bytes=8192), database=db)
    try:
        assert http_parsers.max_head_bytes() == 8192
    finally:
        http_parsers.configure(LIMIT)


@settings(max_examples=30, deadline=None)
@given(
    size=st.integers(min_value=LIMIT - 1500, max_value=LIMIT + 1500),
    where=st.sampled_from(["header", "query"]),
    cuts=st.lists(st.integers(min_value=1, max_value=LIMIT + 1500), max_size=4),
)
def test_fuzzed_heads_are_refused_exactly_past_the_limit(
    port: int, size: int, where: str, cuts: list[int]
) -> None:
    head = _head(size, where)
    edges = [0, *sorted({cut for cut in cuts if cut < len(head)}), len(head)]
    chunks = [head[a:b] for a, b in itertools.pairwise(edges)]
    expected = TOO_LARGE if size > LIMIT else b"HTTP/1.1 200 OK"
    assert _answers(port, chunks) == [expected], (size, where, edges)
