"""What `make demo` and `make web` share to give the demo lesson its video: the demo author's
access token, and the sample uploaded the way a browser's uploader does."""

from __future__ import annotations

import time
import uuid

import httpx
import jwt

from demo.stack import DEV_JWT_SECRET, ROOT

SAMPLE = ROOT / "demo" / "sample.mp4"
FRONT_END_ORIGIN = "http://localhost:3000"
CHUNK_BYTES = 16 * 1024


def access_token(author: uuid.UUID) -> str:
    now = int(time.time())
    claims = {
        "sub": str(author),
        "role": "authenticated",
        "aud": "authenticated",
        "iat": now,
        "exp": now + 3600,
    }
    return jwt.encode(claims, DEV_JWT_SECRET, algorithm="HS256")


async def upload_like_a_browser(
    http: httpx.AsyncClient, url: str, origin: str = FRONT_END_ORIGIN
) -> int:
    """PUT the sample in resumable chunks as @mux/upchunk does; returns the chunk count."""
    data = SAMPLE.read_bytes()
    chunks = 0
    offset = 0
    while offset < len(data):
        end = min(offset + CHUNK_BYTES, len(data)) - 1
        response = await http.put(
            url,
            content=data[offset : end + 1],
            headers={
                "Content-Range": f"bytes {offset}-{end}/{len(data)}",
                "Origin": origin,
            },
        )
        chunks += 1
        if response.status_code == 308:
            stored = response.headers.get("range", "bytes=0--1")
            offset = int(stored.rsplit("-", 1)[1]) + 1
        elif response.status_code in (200, 201):
            return chunks
        else:
            raise SystemExit(f"upload failed: {response.status_code} {response.text}")
    return chunks
