"""`python -m mux_emulator`: run the offline Mux emulator."""

from __future__ import annotations

import argparse
import logging
import socket

import uvicorn

from mux_emulator.app import create_app
from mux_emulator.config import EmulatorConfig
from mux_emulator.event_stream import EventStream


def main() -> None:
    defaults = EmulatorConfig()
    parser = argparse.ArgumentParser(prog="python -m mux_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--public-url", help="base URL clients use (default http://HOST:PORT)")
    parser.add_argument("--token-id", default=defaults.token_id)
    parser.add_argument("--token-secret", default=defaults.token_secret)
    parser.add_argument("--webhook-url", action="append", default=[], dest="webhook_urls")
    parser.add_argument("--webhook-secret", default=defaults.webhook_secret)
    parser.add_argument("--processing-seconds", type=float, default=defaults.processing_seconds)
    parser.add_argument("--processing-jitter", type=float, default=0.0)
    parser.add_argument("--time-scale", type=float, default=defaults.time_scale)
    parser.add_argument("--duplicate-probability", type=float, default=0.0)
    parser.add_argument("--drop-probability", type=float, default=0.0)
    parser.add_argument("--drop-event-type", action="append", default=[], dest="drop_types")
    parser.add_argument("--reorder-window", type=float, default=0.0)
    parser.add_argument("--delivery-delay", type=float, default=0.0)
    parser.add_argument("--delivery-jitter", type=float, default=0.0)
    parser.add_argument("--retry-base-seconds", type=float, default=defaults.retry_base_seconds)
    parser.add_argument("--max-attempts", type=int, default=defaults.max_attempts)
    parser.add_argument("--api-delay", type=float, default=0.0, help="seconds per API request")
    parser.add_argument("--seed", type=int)
    args = parser.parse_args()
    config = EmulatorConfig(
        token_id=args.token_id,
        token_secret=args.token_secret,
        webhook_urls=tuple(args.webhook_urls),
        webhook_secret=args.webhook_secret,
        public_url=args.public_url or f"http://{args.host}:{args.port}",
        processing_seconds=args.processing_seconds,
        processing_jitter=args.processing_jitter,
        time_scale=args.time_scale,
        duplicate_probability=args.duplicate_probability,
        drop_probability=args.drop_probability,
        drop_event_types=tuple(args.drop_types),
        reorder_window=args.reorder_window,
        delivery_delay=args.delivery_delay,
        delivery_jitter=args.delivery_jitter,
        retry_base_seconds=args.retry_base_seconds,
        max_attempts=args.max_attempts,
        api_delay=args.api_delay,
        seed=args.seed,
    )
    logging.basicConfig(level=logging.INFO)
    app = create_app(config)
    server = _Server(
        uvicorn.Config(app, host=args.host, port=args.port, log_level="warning"),
        app.state.events,
    )
    server.run()


class _Server(uvicorn.Server):
    """Ends the `mux webhooks listen` streams when shutdown starts, so Ctrl-C stops at once
    (uvicorn waits for open responses)."""

    def __init__(self, config: uvicorn.Config, events: EventStream) -> None:
        super().__init__(config)
        self.events = events

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.events.close()
        await super().shutdown(sockets)


if __name__ == "__main__":
    main()
