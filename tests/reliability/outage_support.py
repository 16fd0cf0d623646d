"""Shared pieces of the fault tests: a signed-webhook burst sent by the emulator."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from mux_emulator.server import BackgroundServer
from mux_emulator.webhooks import WebhookSender


def emit_from_emulator(emulator: BackgroundServer, events: list[dict[str, Any]]) -> None:
    """Have the emulator send these events as Mux would (signed, retried until a 2xx)."""
    sender: WebhookSender = emulator.app.state.sender
    for event in events:
        emulator.loop.call_soon_threadsafe(sender.emit, event["type"], event["data"])


def in_flight(emulator: BackgroundServer) -> int:
    sender: WebhookSender = emulator.app.state.sender
    return sender.pending


def wait_for(condition: Callable[[], bool], timeout: float = 120.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
