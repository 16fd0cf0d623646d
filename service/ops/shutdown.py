"""Graceful shutdown of a service process.

On SIGTERM (or SIGINT) uvicorn stops accepting connections and then waits for open ones to
finish before it runs the app's shutdown: live streams would hold it forever. So the moment
the signal arrives, `GracefulShutdown.begin()` runs first: `/readyz` answers 503, every live
stream ends with a short jittered `retry:` and `event: end` `{"reason": "shutting_down"}` (a
plain `EventSource` reconnects after `retry`, through the load balancer to another instance;
the web client reconnects on `end`), new streams are refused with 503 and `Retry-After`. Then
uvicorn's own handling goes on: requests in flight finish, webhook batches in flight commit
(the app's shutdown waits for them), an in-process worker finishes the event in hand.

uvicorn installs its handlers with `signal.signal`; ours wraps them (main thread only), so
uvicorn's behaviour is unchanged and still runs.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class GracefulShutdown:
    def __init__(self) -> None:
        self.begun = False
        self._callbacks: list[Callable[[], object]] = []
        self._restore: dict[int, Any] = {}

    def on_begin(self, callback: Callable[[], object]) -> None:
        self._callbacks.append(callback)

    def begin(self) -> None:
        """Idempotent: the first call runs every callback, in the order they were added."""
        if self.begun:
            return
        self.begun = True
        log.info("shutting down: ending live streams")
        for callback in self._callbacks:
            try:
                callback()
            except Exception:
                log.exception("shutdown step failed")

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        """Run `begin` on the event loop as soon as SIGTERM/SIGINT arrives, then whatever
        handler was there before (uvicorn's)."""
        if threading.current_thread() is not threading.main_thread():
            return  # signals reach the main thread only (a server run in a test thread)
        for signum in SIGNALS:
            previous = signal.getsignal(signum)

            def handler(signum: int, frame: FrameType | None, previous: Any = previous) -> None:
                loop.call_soon_threadsafe(self.begin)
                if callable(previous):
                    previous(signum, frame)
                elif previous == signal.SIG_DFL:  # no server handling it: default behaviour
                    signal.signal(signum, signal.SIG_DFL)
                    signal.raise_signal(signum)

            self._restore[signum] = previous
            signal.signal(signum, handler)

    def uninstall(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum, previous in self._restore.items():
            signal.signal(signum, previous)
        self._restore.clear()
