"""Reading Server-Sent Events the way a browser's EventSource does."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx


class SseReader:
    def __init__(self, response: httpx.Response) -> None:
        self._lines = response.aiter_lines()

    async def read(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The next `count` events: {"event", "id", "data"} with `data` parsed as JSON."""
        events: list[dict[str, Any]] = []
        current: dict[str, Any] = {}
        async with asyncio.timeout(timeout):
            while len(events) < count:
                line = await anext(self._lines)
                if line == "":
                    if "data" in current:
                        current["data"] = json.loads(current["data"])
                        events.append(current)
                    current = {}
                elif not line.startswith(":"):
                    field, _, value = line.partition(":")
                    current[field] = value.removeprefix(" ")
        return events
