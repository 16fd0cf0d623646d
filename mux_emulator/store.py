"""The emulator's in-memory world: uploads, assets, their bytes, and request statistics."""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from mux_emulator.payloads import asset_object, mux_id, upload_object


class Listed(Protocol):
    """What lists order by: creation time, then creation order."""

    @property
    def created_at(self) -> float: ...

    @property
    def seq(self) -> int: ...


_Listed = TypeVar("_Listed", bound=Listed)

# Creation order, for listing newest first when two objects share a created_at second.
_sequence = itertools.count()


@dataclass
class Upload:
    id: str
    cors_origin: str
    new_asset_settings: dict[str, Any]
    timeout: int
    url: str
    test: bool = False
    status: str = "waiting"
    asset_id: str | None = None
    error: dict[str, str] | None = None
    created_at: float = field(default_factory=time.time)
    received: bytearray = field(default_factory=bytearray)
    total_size: int | None = None
    seq: int = field(default_factory=lambda: next(_sequence))

    def as_mux(self) -> dict[str, Any]:
        return upload_object(
            self.id,
            new_asset_settings=self.new_asset_settings,
            status=self.status,
            cors_origin=self.cors_origin,
            timeout=self.timeout,
            asset_id=self.asset_id,
            error=self.error,
            url=self.url,
            test=self.test,
        )

    @property
    def passthrough(self) -> str | None:
        value = self.new_asset_settings.get("passthrough")
        return value if isinstance(value, str) else None

    @property
    def playback_policies(self) -> list[str]:
        policies = self.new_asset_settings.get("playback_policies") or self.new_asset_settings.get(
            "playback_policy"
        )
        if isinstance(policies, str):
            return [policies]
        return [p for p in policies or [] if isinstance(p, str)]


@dataclass
class Asset:
    id: str
    upload_id: str | None
    passthrough: str | None
    playback_ids: list[dict[str, str]]
    status: str = "preparing"
    duration: float | None = None
    aspect_ratio: str | None = None
    errors: dict[str, Any] | None = None
    file: Path | None = None
    created_at: int = field(default_factory=lambda: int(time.time()))
    text_tracks: list[dict[str, Any]] = field(default_factory=list)
    static_renditions: list[dict[str, Any]] = field(default_factory=list)
    # The ids of its video and primary audio track: the same in every answer, as Mux's.
    primary_track_ids: tuple[str, str] = field(default_factory=lambda: (mux_id(), mux_id()))
    seq: int = field(default_factory=lambda: next(_sequence))

    def as_mux(self) -> dict[str, Any]:
        ready = self.status == "ready"
        return asset_object(
            self.id,
            status=self.status,
            upload_id=self.upload_id,
            passthrough=self.passthrough,
            playback_ids=self.playback_ids,
            duration=self.duration if ready else None,
            aspect_ratio=self.aspect_ratio if ready else None,
            errors=self.errors,
            created_at=self.created_at,
            text_tracks=self.text_tracks,
            static_renditions=self.static_renditions,
            primary_track_ids=self.primary_track_ids,
        )

    def playback_id(self, playback_id: str) -> dict[str, str] | None:
        return next((p for p in self.playback_ids if p["id"] == playback_id), None)


@dataclass
class SigningKey:
    id: str
    public_key_pem: str
    created_at: int = field(default_factory=lambda: int(time.time()))
    seq: int = field(default_factory=lambda: next(_sequence))

    def as_mux(self) -> dict[str, str]:
        """As Mux lists and retrieves it: the private key is only in the create answer."""
        return {"id": self.id, "created_at": str(self.created_at)}


@dataclass
class Store:
    uploads: dict[str, Upload] = field(default_factory=dict)
    assets: dict[str, Asset] = field(default_factory=dict)
    signing_keys: dict[str, SigningKey] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    deliveries: Counter[str] = field(default_factory=Counter)
    # Receivers' answers to webhook POSTs, by status code ("none": no answer).
    responses: Counter[str] = field(default_factory=Counter)
    sent_events: list[dict[str, Any]] = field(default_factory=list)
    # Injected API failures: the next `count` API requests answer `status`.
    fault_status: int = 0
    fault_count: int = 0

    def new_upload(
        self,
        *,
        cors_origin: str,
        new_asset_settings: dict[str, Any],
        timeout: int,
        test: bool,
        public_url: str,
    ) -> Upload:
        upload_id = mux_id()
        upload = Upload(
            id=upload_id,
            cors_origin=cors_origin,
            new_asset_settings=new_asset_settings,
            timeout=timeout,
            test=test,
            url=f"{public_url}/upload/{upload_id}",
        )
        self.uploads[upload_id] = upload
        return upload

    def new_asset(self, upload: Upload) -> Asset:
        asset = Asset(
            id=mux_id(),
            upload_id=upload.id,
            passthrough=upload.passthrough,
            playback_ids=[{"id": mux_id(), "policy": p} for p in upload.playback_policies],
        )
        self.assets[asset.id] = asset
        upload.asset_id = asset.id
        upload.status = "asset_created"
        return asset

    def assets_page(
        self,
        limit: int,
        *,
        cursor: str | None = None,
        page: int = 1,
        upload_id: str | None = None,
        live_stream_id: str | None = None,
    ) -> tuple[list[Asset], str | None]:
        """Assets newest first, as Mux lists them, `limit` at a time: from the `cursor` of a
        previous page, else page `page`; filtered by upload or live stream (the emulator
        has no live streams). Also returns the cursor of the next page (None: last page)."""
        ordered = newest_first(
            a
            for a in self.assets.values()
            if (upload_id is None or a.upload_id == upload_id) and live_stream_id is None
        )
        start = (page - 1) * limit
        if cursor:
            after = _cursor_key(cursor)
            start = next((i for i, a in enumerate(ordered) if _key(a) < after), len(ordered))
        chunk = ordered[start : start + limit]
        more = start + limit < len(ordered)
        return chunk, (f"{chunk[-1].created_at}.{chunk[-1].seq}" if more and chunk else None)

    def asset_by_playback_id(self, playback_id: str) -> Asset | None:
        for asset in self.assets.values():
            if any(p["id"] == playback_id for p in asset.playback_ids):
                return asset
        return None

    def stats(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "requests_total": sum(self.requests.values()),
            "webhooks": dict(self.deliveries),
            "webhook_responses": dict(self.responses),
            "events_emitted": len(self.sent_events),
            "uploads": len(self.uploads),
            "assets": len(self.assets),
        }


def newest_first(items: Iterable[_Listed]) -> list[_Listed]:
    return sorted(items, key=_key, reverse=True)


def _key(item: Listed) -> tuple[float, int]:
    return (item.created_at, item.seq)


def _cursor_key(cursor: str) -> tuple[float, int]:
    created, _, seq = cursor.partition(".")
    if not (created.isdigit() and seq.isdigit()):
        raise ValueError("not a cursor this emulator made")
    return (int(created), int(seq))
