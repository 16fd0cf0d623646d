"""Who gets a live stream when a process is busy: per signed-in user, per client address for
anonymous viewers (the forwarded address behind a trusted proxy), and a share of the process
that anonymous streams together never exceed, so a flood without a token never takes the
slots signed-in users need (N6)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, cast

import httpx
import pytest

from mux_emulator.server import BackgroundServer
from service.app import create_app
from service.database.pool import Database
from service.live.admission import TooManyStreams
from service.live.hub import LiveHub
from service.live.visibility import ViewDecider
from service.live.watchers import Watchers
from service.settings import Settings
from tests.factories import create_lesson, create_user
from tests.tokens import claims, hs256


def _watchers(**limits: int) -> Watchers:
    # Admission touches neither the hub nor the decider.
    return Watchers(cast(LiveHub, None), cast(ViewDecider, None), **limits)


def _refused(admit: Callable[[], object]) -> tuple[int, str]:
    with pytest.raises(TooManyStreams) as info:
        admit()
    return info.value.status, info.value.code


def test_anonymous_streams_are_capped_per_address_and_together() -> None:
    watchers = _watchers(
        max_streams=10, max_streams_per_user=3, max_anonymous_streams=6, max_streams_per_address=4
    )
    held = [watchers.admit(None, "198.51.100.7") for _ in range(4)]
    assert _refused(lambda: watchers.admit(None, "198.51.100.7")) == (429, "too_many_streams")
    held += [watchers.admit(None, "198.51.100.8") for _ in range(2)]
    # Six anonymous streams: the anonymous share is taken, whatever the address.
    assert _refused(lambda: watchers.admit(None, "203.0.113.1")) == (503, "too_many_streams")
    # Anonymous Supabase users (`is_anonymous`) are anonymous viewers too.
    anonymous_user = claims(uuid.uuid4(), is_anonymous=True)
    assert _refused(lambda: watchers.admit(anonymous_user, "203.0.113.1"))[0] == 503
    # Signed-in users still get the rest of the process, from the flooding address too.
    for user in (uuid.uuid4(), uuid.uuid4()):
        held += [watchers.admit(claims(user), "198.51.100.7") for _ in range(2)]
    assert watchers.open_streams == 10
    assert _refused(lambda: watchers.admit(claims(uuid.uuid4()), "192.0.2.1"))[0] == 503
    for release in held:
        release()
        release()  # a second release changes nothing
    assert watchers.open_streams == 0
    assert [watchers.admit(None, "198.51.100.7") for _ in range(4)]


def test_an_ipv6_client_is_one_address_per_64_bit_prefix() -> None:
    watchers = _watchers(max_streams_per_address=2)
    watchers.admit(None, "2001:db8:1:2::1")
    watchers.admit(None, "2001:db8:1:2:ffff::9")
    assert _refused(lambda: watchers.admit(None, "2001:db8:1:2::77"))[0] == 429
    watchers.admit(None, "2001:db8:1:3::1")  # another /64


@pytest.fixture
def published(db: Database) -> Callable[[], Any]:
    async def make() -> tuple[uuid.UUID, uuid.UUID]:
        author = await create_user(db)
        lesson = await create_lesson(db, author)
        async with db.service_session() as conn:
            await conn.execute("update lessons set status = 'published' where id = %s", (lesson,))
        return author, lesson

    return make


@contextlib.contextmanager
def _serving(settings: Settings, **uvicorn_config: Any) -> Iterator[BackgroundServer]:
    server = BackgroundServer(create_app(settings), **uvicorn_config).start()
    try:
        yield server
    finally:
        server.stop()


LIMITS = {
    "live_max_streams": 12,
    "live_max_anonymous_streams": 6,
    "live_max_streams_per_address": 3,
    "live_max_streams_per_user": 5,
}


@contextlib.asynccontextmanager
async def _open(
    http: httpx.AsyncClient, path: str, headers: dict[str, str] | None = None
) -> AsyncIterator[httpx.Response]:
    async with http.stream("GET", path, headers=headers) as response:
        lines = response.aiter_lines()  # kept: a dropped reader closes the stream
        if response.status_code == 200:
            await anext(lines)
        else:
            await response.aread()
        yield response


async def test_one_anonymous_client_cannot_take_the_slots_signed_in_users_need(
    author_settings: Settings, published: Callable[[], Any]
) -> None:
    author, lesson = await published()
    path = f"/api/lessons/{lesson}/events"
    settings = dataclasses.replace(author_settings, **LIMITS)
    with _serving(settings) as server:
        limits = httpx.Limits(max_connections=50, max_keepalive_connections=0)
        async with (
            httpx.AsyncClient(base_url=server.url, timeout=10, limits=limits) as http,
            contextlib.AsyncExitStack() as held,
        ):
            statuses = [
                (await held.enter_async_context(_open(http, path))).status_code
                for _ in range(LIMITS["live_max_streams"])
            ]
            assert statuses == [200] * 3 + [429] * 9  # one client: its own few streams
            refused = await held.enter_async_context(_open(http, path))
            assert refused.json()["error"]["code"] == "too_many_streams"
            assert refused.headers["retry-after"]
            signed_in = {"Authorization": f"Bearer {hs256(author)}"}
            for _ in range(LIMITS["live_max_streams_per_user"]):
                mine = await held.enter_async_context(_open(http, path, signed_in))
                assert mine.status_code == 200


async def test_behind_a_trusted_proxy_each_forwarded_address_counts_on_its_own(
    author_settings: Settings, published: Callable[[], Any]
) -> None:
    """uvicorn takes the client's address from X-Forwarded-For only when the peer is one of
    FORWARDED_ALLOW_IPS (the setting `mux-lessons serve` hands it; uvicorn's own variable for
    plain `uvicorn`): a trusted proxy's clients are told apart, anyone else's header is
    ignored."""
    _, lesson = await published()
    path = f"/api/lessons/{lesson}/events"
    settings = dataclasses.replace(author_settings, **LIMITS)
    forwarded = [{"X-Forwarded-For": f"203.0.113.{n}"} for n in range(1, 9)]
    for trusted, expected in (("127.0.0.1", [200] * 6 + [503] * 2), ("192.0.2.1", [200] * 3)):
        with _serving(settings, forwarded_allow_ips=trusted) as server:
            limits = httpx.Limits(max_connections=50, max_keepalive_connections=0)
            async with (
                httpx.AsyncClient(base_url=server.url, timeout=10, limits=limits) as http,
                contextlib.AsyncExitStack() as held,
            ):
                responses = await asyncio.gather(
                    *(held.enter_async_context(_open(http, path, h)) for h in forwarded)
                )
                statuses = sorted(r.status_code for r in responses)
        assert statuses[: len(expected)] == expected, (trusted, statuses)
        if trusted == "192.0.2.1":  # not the peer: every stream is 127.0.0.1's
            assert statuses == [200] * 3 + [429] * 5
