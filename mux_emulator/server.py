"""Serve an ASGI app with uvicorn in a background thread (tests and benchmarks)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import uvicorn


class _Server(uvicorn.Server):
    """Remembers its event loop, so tests can inspect what runs on it."""

    loop: asyncio.AbstractEventLoop | None = None

    async def serve(self, sockets: Any = None) -> None:
        self.loop = asyncio.get_running_loop()
        await super().serve(sockets)


class BackgroundServer:
    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, **more: Any) -> None:
        """`more`: more of uvicorn's settings (`forwarded_allow_ips`, ...)."""
        config = uvicorn.Config(
            app, host=host, port=port, log_level="warning", lifespan="on", **more
        )
        self._server = _Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self.host = host
        self.app = app

    @property
    def port(self) -> int:
        sockets = self._server.servers[0].sockets
        return int(sockets[0].getsockname()[1])

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        assert self._server.loop is not None
        return self._server.loop

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
