"""uvicorn's two HTTP/1.1 parsers, with bounded request heads (request line + headers).

A head over `HTTP_MAX_HEAD_BYTES` (16 KiB unless configured) is answered 431 and the
connection closed, however it arrives: in one write or many. Neither parser does this alone:
httptools has no limit at all (uvicorn accumulated a 32 MB header), and h11's
`max_incomplete_event_size` bounds only a head still incomplete when a read ends, so 100 KB
sent in one write was accepted by both. So each protocol here counts the head as the parser
reports it (the URL as it arrives, each header as it completes), and also counts every read
that leaves a head unfinished (a header too long to complete is refused before it does).

`mux-lessons serve` uses these classes; with plain uvicorn pass
`--http service.http_parsers:HttpToolsProtocol` (or `...:H11Protocol`). The limit is the
setting `HTTP_MAX_HEAD_BYTES`: `create_app` hands it here (`configure`), so both ways of
starting the service read it from the same settings.
"""

from __future__ import annotations

from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol as _H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _HttpToolsProtocol

DEFAULT_MAX_HEAD_BYTES = 16 * 1024
# A head's size: `METHOD SP target SP HTTP/1.1 CRLF`, `name: value CRLF` per header, `CRLF`.
_LINE_EXTRA = len(b"  HTTP/1.1\r\n\r\n")
_HEADER_EXTRA = len(b": \r\n")
_max_head_bytes = DEFAULT_MAX_HEAD_BYTES


def configure(max_head_bytes: int) -> None:
    """The limit for connections accepted from now on (`Settings.http_max_head_bytes`)."""
    global _max_head_bytes
    _max_head_bytes = max_head_bytes


def max_head_bytes() -> int:
    return _max_head_bytes


def _response(limit: int) -> bytes:
    text = f"Request line and headers are limited to {limit} bytes.".encode()
    return (
        b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
        b"content-type: text/plain; charset=utf-8\r\n"
        b"content-length: " + str(len(text)).encode() + b"\r\n"
        b"connection: close\r\n\r\n" + text
    )


class HeadTooLarge(Exception):
    """Raised inside a parser callback to stop parsing a head over the limit."""


class HttpToolsProtocol(_HttpToolsProtocol):
    """uvicorn's httptools protocol with the request head bounded."""

    _limit = DEFAULT_MAX_HEAD_BYTES
    _in_head = False
    _head_bytes = 0  # the head as parsed so far: URL and complete headers
    _read_bytes = 0  # bytes of the reads that ended with this head unfinished
    _refused = False

    def connection_made(self, transport: Any) -> None:
        self._limit = max_head_bytes()
        super().connection_made(transport)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = self._read_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + _HEADER_EXTRA)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._count(len(self.parser.get_method()) + _LINE_EXTRA)
        self._in_head = False
        super().on_headers_complete()

    def _count(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > self._limit:
            self._refuse()
            raise HeadTooLarge  # httptools stops parsing; uvicorn then calls send_400_response

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        super().data_received(data)
        if self._refused or not self._in_head:
            return
        # The head is still unfinished: what it has taken so far, conservatively the whole
        # of each read (a header still arriving is reported only when it completes).
        self._read_bytes += len(data)
        if self._read_bytes > self._limit:
            self._refuse()

    def send_400_response(self, msg: str) -> None:
        if not self._refused:  # the 431 has been sent already
            super().send_400_response(msg)

    def _refuse(self) -> None:
        self._refused = True
        self._in_head = False
        self.logger.warning("Request head larger than %d bytes refused.", self._limit)
        self.transport.write(_response(self._limit))
        self.transport.close()


class _BoundedConnection(h11.Connection):
    """h11's connection that also refuses a complete head over the limit (h11 bounds only a
    head still incomplete when a read ends)."""

    def __init__(self, limit: int) -> None:
        super().__init__(h11.SERVER, max_incomplete_event_size=limit)
        self.limit = limit
        self.too_large = False

    def next_event(self) -> Any:
        try:
            event = super().next_event()
        except h11.RemoteProtocolError as exc:
            self.too_large = exc.error_status_hint == 431
            raise
        if isinstance(event, h11.Request):
            size = len(event.method) + len(event.target) + _LINE_EXTRA
            size += sum(
                len(name) + len(value) + _HEADER_EXTRA for name, value in event.headers.raw_items()
            )
            if size > self.limit:
                self.too_large = True
                raise h11.RemoteProtocolError("Request head too large", error_status_hint=431)
        return event


class H11Protocol(_H11Protocol):
    """uvicorn's h11 protocol with the request head bounded, one write or many."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limit = max_head_bytes()
        self.conn = _BoundedConnection(self._limit)

    def send_400_response(self, msg: str) -> None:
        conn = self.conn
        if not (isinstance(conn, _BoundedConnection) and conn.too_large):
            super().send_400_response(msg)
            return
        self.logger.warning("Request head larger than %d bytes refused.", self._limit)
        self.transport.write(_response(self._limit))
        self.transport.close()
