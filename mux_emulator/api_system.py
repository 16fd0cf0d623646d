"""Mux's System API, as the CLI uses it: `GET /system/v1/whoami` (who the access token is:
the CLI checks it before anything else), signing keys (`POST /system/v1/signing-keys` answers
a new RSA key pair's private key, base64 PEM, once; `GET` lists and retrieves without it;
`DELETE` answers 204), and `GET /system/v1/webhook-events/stream`, the Server-Sent Events
feed `mux webhooks listen` reads: an `event: connected` first, then every event the emulator
sends as `event: <type>` with the webhook payload as `data`, and a comment every 15 s."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Callable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from mux_emulator.api_base import (
    Handler,
    api_route,
    data,
    listed,
    no_content,
    not_found,
    path_param,
)
from mux_emulator.event_stream import EventStream
from mux_emulator.payloads import ENVIRONMENT, mux_id
from mux_emulator.store import SigningKey, Store

HEARTBEAT_SECONDS = 15.0

WHOAMI = {
    "permissions": [
        "video:read",
        "video:write",
        "data:read",
        "data:write",
        "system:read",
        "system:write",
    ],
    "organization_name": "Mux emulator",
    "organization_id": "emuorg01",
    "environment_type": "development",
    "environment_name": ENVIRONMENT["name"],
    "environment_id": ENVIRONMENT["id"],
    "access_token_name": "Emulator access token",
}


def system_api_routes(
    store: Store, events: EventStream, guarded: Callable[[Handler, str], Handler]
) -> list[Route]:
    async def whoami(request: Request) -> Response:
        return data(WHOAMI)

    async def create_signing_key(request: Request) -> Response:
        private_pem, public_pem = await asyncio.to_thread(_rsa_key_pair)
        key = SigningKey(id=mux_id(), public_key_pem=public_pem)
        store.signing_keys[key.id] = key
        private_key = base64.b64encode(private_pem.encode()).decode()
        return data({**key.as_mux(), "private_key": private_key}, status=201)

    async def list_signing_keys(request: Request) -> Response:
        return listed(request, store.signing_keys.values())

    async def get_signing_key(request: Request) -> Response:
        key = store.signing_keys.get(path_param(request, "key_id"))
        return data(key.as_mux()) if key else not_found()

    async def delete_signing_key(request: Request) -> Response:
        key = store.signing_keys.pop(path_param(request, "key_id"), None)
        return no_content() if key else not_found()

    async def event_stream(request: Request) -> Response:
        return StreamingResponse(
            _sse(events),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    keys = "/system/v1/signing-keys"
    return [
        api_route(guarded, "/system/v1/whoami", whoami, "GET"),
        api_route(guarded, keys, create_signing_key, "POST"),
        api_route(guarded, keys, list_signing_keys, "GET"),
        api_route(guarded, f"{keys}/{{key_id}}", get_signing_key, "GET"),
        api_route(guarded, f"{keys}/{{key_id}}", delete_signing_key, "DELETE"),
        api_route(
            guarded,
            "/system/v1/webhook-events/stream",
            event_stream,
            "GET",
            name="webhook_event_stream",
        ),
    ]


async def _sse(events: EventStream) -> AsyncIterator[str]:
    queue = events.subscribe()
    try:
        yield "event: connected\ndata: {}\n\n"
        while True:
            try:
                envelope = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if envelope is None:
                return  # the emulator is shutting down
            yield f"event: {envelope['type']}\ndata: {json.dumps(envelope)}\n\n"
    finally:
        events.unsubscribe(queue)


def _rsa_key_pair() -> tuple[str, str]:
    """A 2048-bit RSA key pair, as Mux makes them: (PKCS#1 private PEM, public PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private.decode(), public.decode()
