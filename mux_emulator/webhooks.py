"""Webhook delivery as Mux does it: signed POSTs, retried with backoff until a 2xx.

Each event is built once (id, created_at, data snapshot) and POSTed to every configured URL.
A non-2xx answer or a timeout is recorded in the event's `attempts` list and retried after
`retry_base_seconds * 2**n` (scaled by `time_scale`), up to `max_attempts`. Chaos knobs
duplicate, drop, delay and reorder deliveries so receivers can prove they cope.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import uuid
from typing import Any

import httpx

from mux_emulator.config import EmulatorConfig
from mux_emulator.event_stream import EventStream
from mux_emulator.payloads import event, iso_now
from mux_emulator.signing import signature_header
from mux_emulator.store import Store

log = logging.getLogger(__name__)

WEBHOOK_ID = 1001


class WebhookSender:
    def __init__(self, config: EmulatorConfig, store: Store, events: EventStream) -> None:
        self.config = config
        self.store = store
        self.events = events
        self.random = random.Random(config.seed)
        self._http: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def emit(self, event_type: str, data: dict[str, Any]) -> None:
        """Schedule delivery of a new event (called from the emulator's request handlers),
        and pass it to `mux webhooks listen` clients."""
        envelope = event(event_type, json.loads(json.dumps(data)))
        self.store.sent_events.append(envelope)
        self.events.publish(envelope)
        config = self.config
        for url in config.webhook_urls:
            if event_type in config.drop_event_types or self.random.random() < (
                config.drop_probability
            ):
                self.store.deliveries["dropped"] += 1
                continue
            copies = 2 if self.random.random() < config.duplicate_probability else 1
            if copies == 2:
                self.store.deliveries["duplicated"] += 1
            for _ in range(copies):
                self._spawn(self._deliver(envelope, url, self._initial_delay()))

    def _initial_delay(self) -> float:
        config = self.config
        delay = config.delivery_delay + self.random.uniform(0, config.delivery_jitter)
        delay += self.random.uniform(0, config.reorder_window)
        return delay * config.time_scale

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, envelope: dict[str, Any], url: str, delay: float) -> None:
        await asyncio.sleep(delay)
        attempts: list[dict[str, Any]] = []
        for attempt in range(self.config.max_attempts):
            payload = {**envelope, "attempts": list(attempts)}
            body = json.dumps(payload).encode()
            headers = {
                "Content-Type": "application/json",
                "Mux-Signature": signature_header(body, self.config.webhook_secret),
                "User-Agent": "Mux Webhooks (emulator)",
            }
            status: int | None = None
            response_body = ""
            response_headers: dict[str, str] = {}
            try:
                response = await self.http.post(url, content=body, headers=headers)
                status, response_body = response.status_code, response.text[:1000]
                response_headers = dict(response.headers)
            except Exception as exc:
                # Whatever kept the delivery from being answered (a refused or reset connection,
                # a timeout, or an error inside the HTTP client when the server dies mid-request,
                # such as AttributeError from a transport already torn down) is one failed
                # attempt, retried as Mux retries: a delivery task must never just die.
                response_body = f"{exc.__class__.__name__}: {exc}"[:1000]
                self.store.responses[f"none:{exc.__class__.__name__}"] += 1
                if not isinstance(exc, httpx.HTTPError):
                    log.warning(
                        "webhook delivery failed unexpectedly",
                        extra={"event_id": envelope["id"], "error": response_body},
                    )
            if status is not None:
                self.store.responses[str(status)] += 1
            if status is not None and 200 <= status < 300:
                self.store.deliveries["delivered"] += 1
                return
            self.store.deliveries["failed_attempts"] += 1
            attempts.append(
                {
                    "webhook_id": WEBHOOK_ID,
                    "response_status_code": status,
                    "response_headers": response_headers,
                    "response_body": response_body,
                    "max_attempts": self.config.max_attempts,
                    "id": str(uuid.uuid4()),
                    "created_at": iso_now(),
                    "address": url,
                }
            )
            await asyncio.sleep(
                self.config.retry_base_seconds * 2**attempt * self.config.time_scale
            )
        self.store.deliveries["gave_up"] += 1
        log.warning("webhook delivery gave up", extra={"event_id": envelope["id"], "url": url})

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.config.delivery_timeout)
        return self._http

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()
