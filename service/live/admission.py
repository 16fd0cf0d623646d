"""How many live streams one process holds, and for whom: the limits every stream route
applies alike (`open_stream` asks `admit` before anything else).

Every stream counts against the process (`max_streams`, 503). A signed-in user's against the
user (`max_streams_per_user`, 429). An anonymous viewer's (no token, or a Supabase anonymous
user, whom anyone can mint) also against the client's address (`max_streams_per_address`,
429; an IPv6 client is its /64) and against the share of the process all anonymous streams
together may hold (`max_anonymous_streams`, 503, half by default), so a flood without a token
never takes the slots signed-in users need. A refusal is `too_many_streams` with
`Retry-After`; a process shutting down refuses every stream (`shutting_down`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import TYPE_CHECKING, TypedDict, Unpack

from service.errors import ApiError
from service.telemetry import metrics

if TYPE_CHECKING:
    from service.live.visibility import Claims


class TooManyStreams(ApiError):
    pass


def _refused(
    status: int, message: str, *, code: str = "too_many_streams", retry_after: str = "5"
) -> TooManyStreams:
    return TooManyStreams(status, code, message, headers={"Retry-After": retry_after})


class StreamLimits(TypedDict, total=False):
    """The limits, each with its default when left out (`Admission`)."""

    max_streams: int
    max_streams_per_user: int
    max_anonymous_streams: int | None
    max_streams_per_address: int


class Admission:
    """The streams this process holds, counted per user and per anonymous client address."""

    def __init__(self, **limits: Unpack[StreamLimits]) -> None:
        self.max_streams = limits.get("max_streams", 10_000)
        self.max_streams_per_user = limits.get("max_streams_per_user", 50)
        anonymous = limits.get("max_anonymous_streams")
        self.max_anonymous_streams = self.max_streams // 2 if anonymous is None else anonymous
        self.max_streams_per_address = limits.get("max_streams_per_address", 100)
        self.open_streams = 0
        self.anonymous_streams = 0
        self.closing = False  # shutting down: every new stream is refused
        self._per_user: dict[str, int] = {}
        self._per_address: dict[str, int] = {}

    def admit(self, claims: Claims | None, address: str | None) -> Callable[[], None]:
        """Count a new stream against the limits (or refuse it); returns its release, which
        counts only once. `address` is the client's, as `caller.client_address` tells it."""
        user = str(claims.get("sub")) if claims else None
        anonymous = claims is None or claims.get("is_anonymous") is True
        place = client_key(address) if anonymous else None
        if self.closing:
            raise _refused(
                503,
                "This server is shutting down; reconnect to reach another one.",
                code="shutting_down",
                retry_after="2",
            )
        if self.open_streams >= self.max_streams:
            raise _refused(
                503, "This server holds as many live streams as it can; try again shortly."
            )
        if anonymous and self.anonymous_streams >= self.max_anonymous_streams:
            raise _refused(
                503,
                "This server holds as many live streams without signing in as it can; "
                "sign in, or try again shortly.",
            )
        if place is not None and self._per_address.get(place, 0) >= self.max_streams_per_address:
            raise _refused(
                429,
                f"At most {self.max_streams_per_address} live streams per client without "
                "signing in; close some first.",
            )
        if user is not None and self._per_user.get(user, 0) >= self.max_streams_per_user:
            raise _refused(
                429, f"At most {self.max_streams_per_user} live streams per user; close some first."
            )
        self.open_streams += 1
        metrics.LIVE_STREAMS.inc()
        if anonymous:
            self.anonymous_streams += 1
        counted = ((self._per_user, user), (self._per_address, place))
        for table, key in counted:
            if key is not None:
                table[key] = table.get(key, 0) + 1
        released = False

        def release() -> None:
            nonlocal released
            if released:
                return
            released = True
            self.open_streams -= 1
            metrics.LIVE_STREAMS.dec()
            if anonymous:
                self.anonymous_streams -= 1
            for table, key in counted:
                if key is None:
                    continue
                left = table[key] - 1
                if left:
                    table[key] = left
                else:
                    del table[key]

        return release


def client_key(address: str | None) -> str:
    """What counts as one client: its IP address, or its /64 for IPv6 (one subscriber
    usually holds a whole /64); anything else as given (a unix socket, say), bounded."""
    if address is None:
        return ""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:100]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)
