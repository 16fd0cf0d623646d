"""Bounded request heads (request line + headers) in both of uvicorn's HTTP/1.1 parsers.

h11 buffers at most `h11_max_incomplete_event_size` bytes of an unfinished head (uvicorn's
default is h11's 16 KiB) and answers 400 beyond it. httptools has no limit at all: uvicorn
accumulates the URL and each header for as long as the client sends (a 32 MB header was
accepted). `HttpToolsProtocol` here counts the bytes received while a head is incomplete and
answers 431 and closes the connection past MAX_HEAD_BYTES. `mux-lessons serve` uses it
(or h11 with the same limit); with plain uvicorn pass
`--http service.request.limits:HttpToolsProtocol` (or `--http h11`).
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _HttpToolsProtocol

MAX_HEAD_BYTES = 16 * 1024
_TOO_LARGE = b"Request line and headers are limited to 16384 bytes."
_RESPONSE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: " + str(len(_TOO_LARGE)).encode() + b"\r\n"
    b"connection: close\r\n\r\n" + _TOO_LARGE
)


class HttpToolsProtocol(_HttpToolsProtocol):
    """uvicorn's httptools protocol with the request head bounded to MAX_HEAD_BYTES."""

    _in_head = False
    _head_bytes = 0

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self._in_head or self.transport.is_closing():
            return
        # Conservative: the whole chunk counts, body bytes of an earlier request included.
        self._head_bytes += len(data)
        if self._head_bytes > MAX_HEAD_BYTES:
            self.logger.warning("Request head larger than %d bytes refused.", MAX_HEAD_BYTES)
            self._in_head = False
            self.transport.write(_RESPONSE)
            self.transport.close()
