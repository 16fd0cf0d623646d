"""`POST /api/webhooks/mux`: the endpoint Mux calls.

Status codes are chosen for Mux's retry behaviour: 2xx once the event is durable (even if
applying it failed: the worker retries), 503 when it could not be stored (Mux retries),
4xx only for requests that can never succeed (Mux should stop). An answer never takes longer
than DB_POOL_TIMEOUT_SECONDS: an event not stored by then is answered 503 (if it is stored
after all, Mux's retry is a duplicate, which changes nothing).

This is the service's hot path, so it is a plain ASGI endpoint the app dispatches to before
its routing and middleware (`app.py`): it reads the body, verifies the signature, checks the
envelope and hands the event to the inbox's batcher, and renders its own JSON answers (errors
in the same `{"error": {"code", "message"}}` shape as every route; an unexpected failure is a
500 that says nothing more, its trace in the log).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import psycopg
from starlette.types import Receive, Scope, Send

from service.errors import ApiError, error_body
from service.ingest import new_events
from service.ingest.signature import InvalidSignature, verify
from service.request.body import loads_bounded
from service.settings import Settings
from service.telemetry import metrics

log = logging.getLogger(__name__)

PATH = "/api/webhooks/mux"
MAX_ID_LENGTH = 255
_JSON = (b"content-type", b"application/json")
_UNAVAILABLE = ApiError(
    503,
    "database_unavailable",
    "The event could not be stored; please retry.",
    headers={"Retry-After": "5"},
)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_envelope(body: bytes) -> tuple[dict[str, Any], str]:
    """The event and its text; ApiError 400 `malformed_event` when it is not a Mux envelope."""
    try:
        text = body.decode("utf-8")
        event = loads_bounded(text, parse_constant=_reject_constant)
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise _malformed(f"body is not UTF-8 JSON ({exc.__class__.__name__})") from exc
    if not isinstance(event, dict):
        raise _malformed("body is not a JSON object")
    for field in ("id", "type"):
        value = event.get(field)
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_ID_LENGTH:
            raise _malformed(f"`{field}` must be a non-empty string")
    if not isinstance(event.get("data"), dict):
        raise _malformed("`data` must be an object")
    return event, text


def _malformed(reason: str) -> ApiError:
    return ApiError(400, "malformed_event", f"Not a Mux webhook event: {reason}.")


# The outcome label of a delivery answered with an error, by the error's code.
_REFUSED = {
    "invalid_signature": "invalid_signature",
    "malformed_event": "malformed",
    "payload_too_large": "too_large",
    "database_unavailable": "unavailable",
}


class WebhookEndpoint:
    """The route, counted: every delivery by event type and outcome, stored ones timed."""

    def __init__(self, settings: Settings, batcher: new_events.IngestBatcher) -> None:
        self.settings = settings
        self.batcher = batcher

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST":
            await _answer(send, 405, error_body("method_not_allowed", "Use POST."))
            return
        started = time.perf_counter()
        seen: dict[str, str] = {}
        try:
            status, body, outcome = await self._receive(scope, receive, seen)
        except ApiError as exc:
            outcome = _REFUSED.get(exc.code, exc.code)
            metrics.WEBHOOK_DELIVERIES.labels(seen.get("type", "unknown"), outcome).inc()
            await _answer(send, exc.status, error_body(exc.code, exc.message), exc.headers)
            return
        except Exception:
            log.exception("unhandled error on POST %s", PATH)
            await _answer(
                send, 500, error_body("internal_error", "The server hit an unexpected error.")
            )
            return
        metrics.WEBHOOK_DELIVERIES.labels(seen["type"], outcome).inc()
        metrics.INGEST_SECONDS.observe(time.perf_counter() - started)
        await _answer(send, status, body)

    async def _receive(
        self, scope: Scope, receive: Receive, seen: dict[str, str]
    ) -> tuple[int, bytes, str]:
        settings = self.settings
        headers = dict(scope["headers"])
        body = await _read_body(
            headers.get(b"content-length"), receive, settings.webhook_max_body_bytes
        )
        signature = headers.get(b"mux-signature")
        try:
            verify(
                body,
                signature.decode("latin-1") if signature is not None else None,
                settings.mux_webhook_secrets,
                tolerance_seconds=settings.mux_webhook_tolerance_seconds,
            )
        except InvalidSignature as exc:
            log.warning("webhook signature rejected", extra={"reason": str(exc)})
            raise ApiError(
                401, "invalid_signature", "The Mux-Signature header is missing or invalid."
            ) from exc
        try:
            event, text = parse_envelope(body)
        except ApiError as exc:
            # Correctly signed yet malformed: a bug on the sending side, worth shouting about.
            log.error("signed webhook is malformed", extra={"reason": exc.message})
            raise
        seen["type"] = event["type"]
        try:
            # A deadline on this task (no task of its own, unlike wait_for).
            async with asyncio.timeout(settings.db_pool_timeout_seconds):
                outcome = await self.batcher.ingest(
                    event["id"], text, created_at=event.get("created_at")
                )
        except psycopg.DataError as exc:
            log.error("signed webhook is not storable JSON", extra={"event_id": event["id"]})
            raise _malformed("the payload cannot be stored as JSON") from exc
        except (psycopg.Error, TimeoutError) as exc:
            log.error(
                "webhook not stored: database unavailable",
                extra={"event_id": event["id"], "event_type": event["type"], "error": str(exc)},
            )
            raise _UNAVAILABLE from exc
        _log_outcome(event, outcome)
        answer = {
            "received": True,
            "eventId": outcome.event_id,
            "state": outcome.state,
            "duplicate": not outcome.inserted,
        }
        return 200, json.dumps(answer).encode(), outcome.state if outcome.inserted else "duplicate"


async def _read_body(declared: bytes | None, receive: Any, limit: int) -> bytes:
    """The raw body, refusing (413) anything over `limit` without reading further."""
    too_large = ApiError(413, "payload_too_large", f"Request bodies are limited to {limit} bytes.")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise too_large
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ApiError(400, "client_disconnected", "The request ended before its body.")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _answer(
    send: Any, status: int, body: bytes, headers: dict[str, str] | None = None
) -> None:
    raw = [_JSON, (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def _log_outcome(event: dict[str, Any], outcome: new_events.Outcome) -> None:
    """A delivery stored and applied is counted (`/metrics`) and kept in the inbox; its log
    line is DEBUG, so a busy webhook path costs no log line per event. One stored but not
    applied is an ERROR, with why."""
    if outcome.state == "failed":
        log.error(
            "webhook stored but not applied",
            extra={**_fields(event, outcome), "error": outcome.error},
        )
    elif log.isEnabledFor(logging.DEBUG):
        log.debug("webhook received", extra=_fields(event, outcome))


def _fields(event: dict[str, Any], outcome: new_events.Outcome) -> dict[str, Any]:
    return {
        "event_id": outcome.event_id,
        "event_type": event["type"],
        "lesson_id": str(outcome.lesson_id) if outcome.lesson_id else None,
        "state": outcome.state,
        "duplicate": not outcome.inserted,
    }
