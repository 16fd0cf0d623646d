"""The emulator's knobs: credentials, where webhooks go, and the chaos a test wants."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class EmulatorConfig:
    token_id: str = "emulator-token-id"  # noqa: S105 - a local emulator's default
    token_secret: str = "emulator-token-secret"  # noqa: S105 - a local emulator's default
    webhook_urls: tuple[str, ...] = ()
    webhook_secret: str = "emulator-webhook-secret"  # noqa: S105
    # The address browsers and clients use to reach the emulator (upload and playback URLs).
    public_url: str = "http://127.0.0.1:8090"
    # Seconds an asset spends `preparing` before it is `ready`, plus up to `processing_jitter`.
    processing_seconds: float = 1.0
    processing_jitter: float = 0.0
    # Multiplies every delay (processing, retries, jitter); below 1 makes tests fast.
    time_scale: float = 1.0
    # Webhook chaos: probability of sending an event twice; of never sending it; events held
    # back and released in shuffled order within this window (seconds); delay plus jitter.
    duplicate_probability: float = 0.0
    drop_probability: float = 0.0
    # Event types never delivered (e.g. to show the reconciler repairing a lost `ready`).
    drop_event_types: tuple[str, ...] = ()
    reorder_window: float = 0.0
    delivery_delay: float = 0.0
    delivery_jitter: float = 0.0
    # Retries with exponential backoff: first retry after this many seconds, doubling.
    retry_base_seconds: float = 1.0
    max_attempts: int = 8
    delivery_timeout: float = 5.0
    # Seconds every API request takes before it is answered (a slow Mux: lets a test kill a
    # client mid-call).
    api_delay: float = 0.0
    seed: int | None = None
    max_upload_bytes: int = 512 * 1024 * 1024
