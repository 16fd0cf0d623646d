"""One direct upload's life at Mux, as the webhook events Mux would send for it."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from mux_emulator.payloads import (
    asset_object,
    event,
    mux_id,
    new_asset_settings,
    static_rendition,
    text_track,
    upload_object,
)
from mux_emulator.signing import signature_header
from mux_emulator.store import Store, Upload
from service.database.pool import Database

TEST_SECRET = "test-webhook-secret"


@dataclass
class Video:
    lesson_id: uuid.UUID | None
    upload_id: str = field(default_factory=mux_id)
    asset_id: str = field(default_factory=mux_id)
    playback_id: str = field(default_factory=mux_id)
    policy: str = "public"
    duration: float = 23.857167
    aspect_ratio: str = "16:9"
    track_id: str = field(default_factory=mux_id)
    rendition_id: str = field(default_factory=mux_id)

    @property
    def passthrough(self) -> str | None:
        return str(self.lesson_id) if self.lesson_id else None

    def _upload(self, status: str, **extra: Any) -> dict[str, Any]:
        return upload_object(
            self.upload_id,
            status=status,
            new_asset_settings=new_asset_settings(self.passthrough, self.policy),
            **extra,
        )

    def _asset(self, status: str, **extra: Any) -> dict[str, Any]:
        return asset_object(
            self.asset_id,
            status=status,
            upload_id=self.upload_id,
            passthrough=self.passthrough,
            **extra,
        )

    def upload_created(self) -> dict[str, Any]:
        return event("video.upload.created", self._upload("waiting"))

    def upload_asset_created(self) -> dict[str, Any]:
        return event(
            "video.upload.asset_created", self._upload("asset_created", asset_id=self.asset_id)
        )

    def upload_cancelled(self, status: str = "cancelled") -> dict[str, Any]:
        return event("video.upload.cancelled", self._upload(status))

    def upload_errored(self) -> dict[str, Any]:
        error = {"type": "invalid_input", "message": "The file could not be read"}
        return event("video.upload.errored", self._upload("errored", error=error))

    def asset_created(self) -> dict[str, Any]:
        return event("video.asset.created", self._asset("preparing"))

    def asset_ready(self, playback_ids: list[dict[str, str]] | None = None) -> dict[str, Any]:
        ids = (
            playback_ids
            if playback_ids is not None
            else [{"id": self.playback_id, "policy": self.policy}]
        )
        return event(
            "video.asset.ready",
            self._asset(
                "ready", playback_ids=ids, duration=self.duration, aspect_ratio=self.aspect_ratio
            ),
        )

    def asset_errored(self) -> dict[str, Any]:
        errors = {"type": "invalid_input", "messages": ["The file is not a video"]}
        return event("video.asset.errored", self._asset("errored", errors=errors))

    def asset_deleted(self) -> dict[str, Any]:
        return event(
            "video.asset.deleted",
            self._asset("ready", playback_ids=[{"id": self.playback_id, "policy": self.policy}]),
        )

    def track(self, step: str) -> dict[str, Any]:
        """`video.asset.track.<step>` for the asset's generated English subtitles."""
        status = "preparing" if step == "created" else step
        data = text_track(
            self.track_id, self.asset_id, language_code="en", name="English", status=status
        )
        return event(f"video.asset.track.{step}", data)

    def rendition(self, step: str) -> dict[str, Any]:
        """`video.asset.static_rendition.<step>` for the asset's `highest.mp4`."""
        status = "preparing" if step == "created" else step
        data = static_rendition(self.rendition_id, self.asset_id, resolution="highest")
        return event(f"video.asset.static_rendition.{step}", {**data, "status": status})

    def renditions(self, step: str) -> dict[str, Any]:
        """The older asset-level `video.asset.static_renditions.<step>` (mp4_support)."""
        files = [
            {"name": "low.mp4", "ext": "mp4", "height": 270, "width": 480, "bitrate": 400000},
            {"name": "audio.m4a", "ext": "m4a", "bitrate": 128000},
        ]
        asset = self._asset("ready", playback_ids=[{"id": self.playback_id, "policy": self.policy}])
        asset["mp4_support"] = "standard"
        asset["static_renditions"] = {"status": step, "files": files}
        return event(f"video.asset.static_renditions.{step}", asset)

    def ready_path(self) -> list[dict[str, Any]]:
        return [
            self.upload_created(),
            self.upload_asset_created(),
            self.asset_created(),
            self.asset_ready(),
        ]

    def errored_path(self) -> list[dict[str, Any]]:
        return [
            self.upload_created(),
            self.upload_asset_created(),
            self.asset_created(),
            self.asset_errored(),
        ]


def signed_request(
    payload: dict[str, Any] | bytes,
    *,
    secret: str = TEST_SECRET,
    timestamp: int | None = None,
) -> tuple[bytes, dict[str, str]]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    header = signature_header(
        body, secret, timestamp if timestamp is not None else int(time.time())
    )
    return body, {"Mux-Signature": header, "Content-Type": "application/json"}


async def deliver(
    client: httpx.AsyncClient, payload: dict[str, Any] | bytes, **kwargs: Any
) -> httpx.Response:
    body, headers = signed_request(payload, **kwargs)
    return await client.post("/api/webhooks/mux", content=body, headers=headers)


def upload_at_mux(store: Store, passthrough: uuid.UUID | None = None) -> Upload:
    """An upload held by the Mux emulator, made directly (as another client of the account)."""
    return store.new_upload(
        cors_origin="*",
        new_asset_settings=new_asset_settings(str(passthrough) if passthrough else None),
        timeout=3600,
        test=False,
        public_url="http://mux.test",
    )


async def attach_upload(db: Database, lesson_id: uuid.UUID, upload_id: str) -> None:
    """What the author API does once Mux has issued an upload for the lesson."""
    async with db.service_session() as conn:
        await conn.execute(
            "select public.mux_attach_upload(%s, %s, 'public')", (lesson_id, upload_id)
        )


async def inbox_rows(db: Database) -> list[dict[str, Any]]:
    async with db.service_session() as conn:
        cur = await conn.execute(
            "select id, type, state::text as state, attempts, last_error, outcome, lesson_id "
            "from mux_events order by received_at"
        )
        return await cur.fetchall()
