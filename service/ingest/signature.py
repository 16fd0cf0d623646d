"""Verifies `Mux-Signature` over the raw request body, before anything parses it.

Header: `t=<unix seconds>,v1=<hex>[,v1=<hex>...]`; v1 = HMAC-SHA256(secret, "{t}.{body}").
Parsed as Mux's SDKs parse it: any one `v1` may match (entries that are not a SHA-256 hex
digest, and keys other than `t` and `v1`, are ignored), and any configured secret may be the
one (so a secret can be rotated without downtime). Unlike the SDKs, which refuse only old
signatures, the timestamp must lie within the tolerance in BOTH directions: a signature
dated in the future is refused too (see the README's security section for the clock-skew
consequence). Every malformed header is an InvalidSignature, never another exception.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Sequence

MAX_HEADER_LENGTH = 1024
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # ASCII digits only; far beyond year 9999 refused


class InvalidSignature(Exception):
    """The request did not prove it came from Mux; the message says why (safe to log)."""


def parse_header(header: str) -> tuple[int, list[str]]:
    """The timestamp and the well-formed v1 signatures; InvalidSignature if either is absent."""
    if len(header) > MAX_HEADER_LENGTH:
        raise InvalidSignature("Mux-Signature header is too long")
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            if not _TIMESTAMP.fullmatch(value) or timestamp is not None:
                raise InvalidSignature("Mux-Signature timestamp is malformed")
            timestamp = int(value)
        elif key == "v1" and _HEX_DIGEST.fullmatch(value):
            signatures.append(value.lower())
    if timestamp is None or not signatures:
        raise InvalidSignature("Mux-Signature header needs t= and a v1= signature")
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
