"""A stand-in webhook receiver for emulator tests: records deliveries, can fail on purpose."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass
class Receiver:
    fail_first: int = 0
    status_when_failing: int = 503
    received: list[tuple[dict[str, Any], bytes, str]] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            body = await request.body()
            self.received.append((json.loads(body), body, request.headers["mux-signature"]))
            status = self.status_when_failing if len(self.answered) < self.fail_first else 200
            self.answered.append(status)
            return Response(status_code=status)

        return Starlette(routes=[Route("/hook", hook, methods=["POST"])])

    def events(self, status: int | None = 200) -> list[dict[str, Any]]:
        """Events of deliveries answered with `status` (None: every delivery)."""
        return [
            event
            for (event, _, _), answer in zip(self.received, self.answered, strict=True)
            if status is None or answer == status
        ]
