"""Signed playback: short-lived tokens made with the project's Mux signing key.

Mux expects an RS256 JWT whose header `kid` is the signing key id, with `sub` = playback id
and `aud` = `v` (video playback and MP4 downloads), `t` (thumbnails) or `s` (storyboards);
the private key is given base64-encoded PEM.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

import jwt

from service.settings.readers import private_key

VIDEO_AUDIENCE = "v"
THUMBNAIL_AUDIENCE = "t"
STORYBOARD_AUDIENCE = "s"


@lru_cache(maxsize=4)
def load_private_key(encoded: str) -> Any:
    """The key from base64-encoded PEM (as Mux issues it) or plain PEM; ValueError if neither.
    Read as start-up checked it (`settings.readers.private_key`), once per key: every signed
    URL needs it."""
    return private_key(encoded)


def playback_token(
    playback_id: str,
    *,
    key_id: str,
    private_key: str,
    ttl_seconds: int,
    audience: str = VIDEO_AUDIENCE,
    now: float | None = None,
) -> str:
    issued = int(time.time() if now is None else now)
    claims = {"sub": playback_id, "aud": audience, "exp": issued + ttl_seconds}
    return jwt.encode(
        claims, load_private_key(private_key), algorithm="RS256", headers={"kid": key_id}
    )
