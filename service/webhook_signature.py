"""Verifies `Mux-Signature` over the raw request body, before anything parses it.

Header: `t=<unix seconds>,v1=<hex>[,v1=<hex>...]`; v1 = HMAC-SHA256(secret, "{t}.{body}").
Any v1 may match any configured secret (so a secret can be rotated without downtime), and
the timestamp must lie within the tolerance in either direction (so a captured request
cannot be replayed later).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Sequence

MAX_HEADER_LENGTH = 1024
MAX_SIGNATURES = 8
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


class InvalidSignature(Exception):
    """The request did not prove it came from Mux; the message says why (safe to log)."""


def parse_header(header: str) -> tuple[int, list[str]]:
    if len(header) > MAX_HEADER_LENGTH:
        raise InvalidSignature("Mux-Signature header is too long")
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            raise InvalidSignature("Mux-Signature header is malformed")
        if key == "t":
            if not value.isdigit() or timestamp is not None:
                raise InvalidSignature("Mux-Signature timestamp is malformed")
            timestamp = int(value)
        elif key == "v1":
            if not _HEX_DIGEST.fullmatch(value.lower()):
                raise InvalidSignature("Mux-Signature v1 is not a SHA-256 hex digest")
            signatures.append(value.lower())
    if timestamp is None or not signatures:
        raise InvalidSignature("Mux-Signature header needs t= and v1=")
    if len(signatures) > MAX_SIGNATURES:
        raise InvalidSignature("Mux-Signature header has too many signatures")
    return timestamp, signatures


def verify(
    body: bytes,
    header: str | None,
    secrets: Sequence[str],
    *,
    tolerance_seconds: int,
    now: float | None = None,
) -> None:
    """Return quietly when the signature is valid; raise InvalidSignature otherwise."""
    if not header:
        raise InvalidSignature("Mux-Signature header is missing")
    if not secrets:
        raise InvalidSignature("no webhook signing secret is configured")
    timestamp, signatures = parse_header(header)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        raise InvalidSignature("Mux-Signature timestamp is outside the tolerance")
    message = str(timestamp).encode() + b"." + body
    matched = False
    for secret in secrets:
        expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
        for candidate in signatures:
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise InvalidSignature("Mux-Signature does not match the body")
