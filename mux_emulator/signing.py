"""Webhook signing as Mux does it: `Mux-Signature: t=<unix>,v1=<hex HMAC-SHA256>`.

The signed message is `"{t}.{raw body}"`, keyed with the endpoint's signing secret.
"""

from __future__ import annotations

import hashlib
import hmac
import time


def signature(body: bytes, secret: str, timestamp: int) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(body: bytes, secret: str, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={signature(body, secret, t)}"
