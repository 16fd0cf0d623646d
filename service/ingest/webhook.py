"""`POST /api/webhooks/mux`: the endpoint Mux calls.

Status codes are chosen for Mux's retry behaviour: 2xx once the event is durable (even if
applying it failed: the worker retries), 503 when it could not be stored (Mux retries),
4xx only for requests that can never succeed (Mux should stop). An answer never takes longer
than DB_POOL_TIMEOUT_SECONDS: an event not stored by then is answered 503 (if it is stored
after all, Mux's retry is a duplicate, which changes nothing).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import psycopg
from starlette.requests import Request
from starlette.responses import JSONResponse

from service.errors import ApiError
from service.ingest import inbox
from service.ingest.signature import InvalidSignature, verify
from service.request.body import loads_bounded, read_body
from service.settings import Settings
from service.telemetry import metrics

log = logging.getLogger(__name__)

MAX_ID_LENGTH = 255


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


async def receive_mux_webhook(request: Request) -> JSONResponse:
    """The route, counted: every delivery by event type and outcome, stored ones timed."""
    started = time.perf_counter()
    seen: dict[str, str] = {}
    try:
        response, outcome = await _receive(request, seen)
    except ApiError as exc:
        outcome = _REFUSED.get(exc.code, exc.code)
        metrics.WEBHOOK_DELIVERIES.labels(seen.get("type", "unknown"), outcome).inc()
        raise
    metrics.WEBHOOK_DELIVERIES.labels(seen["type"], outcome).inc()
    metrics.INGEST_SECONDS.observe(time.perf_counter() - started)
    return response


async def _receive(request: Request, seen: dict[str, str]) -> tuple[JSONResponse, str]:
    settings: Settings = request.app.state.settings
    body = await read_body(request, settings.webhook_max_body_bytes)
    try:
        verify(
            body,
            request.headers.get("mux-signature"),
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
        batcher: inbox.IngestBatcher = request.app.state.ingest
        outcome = await asyncio.wait_for(
            batcher.ingest(event["id"], text, created_at=event.get("created_at")),
            timeout=settings.db_pool_timeout_seconds,
        )
    except psycopg.DataError as exc:
        log.error("signed webhook is not storable JSON", extra={"event_id": event["id"]})
        raise _malformed("the payload cannot be stored as JSON") from exc
    except (psycopg.Error, TimeoutError) as exc:
        log.error(
            "webhook not stored: database unavailable",
            extra={"event_id": event["id"], "event_type": event["type"], "error": str(exc)},
        )
        raise ApiError(
            503,
            "database_unavailable",
            "The event could not be stored; please retry.",
            headers={"Retry-After": "5"},
        ) from exc
    _log_outcome(event, outcome)
    answer = JSONResponse(
        {
            "received": True,
            "eventId": outcome.event_id,
            "state": outcome.state,
            "duplicate": not outcome.inserted,
        }
    )
    return answer, outcome.state if outcome.inserted else "duplicate"


def _log_outcome(event: dict[str, Any], outcome: inbox.Outcome) -> None:
    fields = {
        "event_id": outcome.event_id,
        "event_type": event["type"],
        "lesson_id": str(outcome.lesson_id) if outcome.lesson_id else None,
        "state": outcome.state,
        "duplicate": not outcome.inserted,
    }
    if outcome.state == "failed":
        log.error("webhook stored but not applied", extra={**fields, "error": outcome.error})
    else:
        log.info("webhook received", extra=fields)
