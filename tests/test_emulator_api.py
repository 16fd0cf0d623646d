"""The emulator's Mux API beyond the upload path: what Mux's CLI and SDKs call, in Mux's shapes
and error bodies (whoami, lists and their pagination, playback ids, tracks, static
renditions, signing keys, the webhook event stream, routes Mux does not have)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from mux_emulator.app import create_app
from mux_emulator.config import EmulatorConfig
from mux_emulator.event_stream import EventStream
from mux_emulator.server import BackgroundServer
from mux_emulator.store import Asset, Store

NOT_FOUND = {
    "error": {
        "type": "not_found",
        "messages": ["The requested resource either doesn't exist or you don't have access to it."],
    }
}


class Mux:
    def __init__(self, http: httpx.AsyncClient, server: BackgroundServer) -> None:
        self.http = http
        self.store: Store = server.app.state.store
        self.stream: EventStream = server.app.state.events
        self.loop = server.loop

    def asset(self, status: str = "ready") -> Asset:
        upload = self.store.new_upload(
            cors_origin="*", new_asset_settings={}, timeout=3600, test=False, public_url=""
        )
        asset = self.store.new_asset(upload)
        asset.status = status
        asset.duration, asset.aspect_ratio = 3.0, "16:9"
        return asset

    def events(self, prefix: str) -> list[dict[str, Any]]:
        return [e for e in self.store.sent_events if e["type"].startswith(prefix)]


@pytest.fixture
async def mux() -> AsyncIterator[Mux]:
    config = EmulatorConfig(processing_seconds=0.05)
    server = BackgroundServer(create_app(config)).start()
    config.public_url = server.url
    auth = httpx.BasicAuth(config.token_id, config.token_secret)
    async with httpx.AsyncClient(base_url=server.url, auth=auth, timeout=10) as http:
        yield Mux(http, server)
    server.stop()


async def test_whoami_names_the_token_environment_and_permissions(mux: Mux) -> None:
    response = await mux.http.get("/system/v1/whoami")
    assert response.status_code == 200
    assert set(response.json()["data"]) == {
        "permissions",
        "organization_name",
        "organization_id",
        "environment_type",
        "environment_name",
        "environment_id",
        "access_token_name",
    }
    assert response.json()["data"]["environment_id"] == "emu01"  # as in webhook events
    anonymous = await mux.http.get("/system/v1/whoami", auth=httpx.BasicAuth("x", "y"))
    assert anonymous.status_code == 401
    assert anonymous.json() == {
        "error": {"type": "unauthorized", "messages": ["Unauthorized request"]}
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/video/v1/live-streams"),
        ("GET", "/data/v1/metrics"),
        ("POST", "/video/v1/assets/abc/input-info"),
        ("DELETE", "/video/v1/uploads"),  # a path Mux has, with a method it has not
        ("PATCH", "/system/v1/whoami"),
        ("GET", "/"),
    ],
)
async def test_routes_mux_does_not_have_answer_its_404(mux: Mux, method: str, path: str) -> None:
    response = await mux.http.request(method, path)
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


async def test_an_emulator_bug_answers_muxs_error_shape_without_a_trace(
    mux: Mux, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(mux.store, "assets_page", broken)
    response = await mux.http.get("/video/v1/assets")
    assert response.status_code == 500
    assert response.json() == {
        "error": {"type": "server_error", "messages": ["Internal server error"]}
    }
    assert "secret internals" not in response.text


async def test_uploads_are_listed_newest_first_page_by_page(mux: Mux) -> None:
    ids = []
    for _ in range(3):
        created = await mux.http.post("/video/v1/uploads", json={"cors_origin": "*"})
        ids.append(created.json()["data"]["id"])
    first = await mux.http.get("/video/v1/uploads", params={"limit": 2})
    second = await mux.http.get("/video/v1/uploads", params={"limit": 2, "page": 2})
    assert [u["id"] for u in first.json()["data"]] == ids[:0:-1]
    assert [u["id"] for u in second.json()["data"]] == ids[:1]
    assert set(first.json()) == {"data"}
    for bad in ({"limit": 0}, {"limit": 101}, {"page": "x"}):
        refused = await mux.http.get("/video/v1/uploads", params=bad)
        assert refused.status_code == 400
        assert refused.json()["error"]["type"] == "invalid_parameters"


async def test_assets_list_newest_first_by_cursor_or_page_and_filters(mux: Mux) -> None:
    assets = [mux.asset() for _ in range(5)]
    newest_first = [a.id for a in reversed(assets)]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await mux.http.get("/video/v1/assets", params=params)).json()
        seen += [a["id"] for a in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == newest_first
    by_page = await mux.http.get("/video/v1/assets", params={"limit": 2, "page": 3})
    assert [a["id"] for a in by_page.json()["data"]] == newest_first[4:]
    one = await mux.http.get("/video/v1/assets", params={"upload_id": assets[1].upload_id})
    assert [a["id"] for a in one.json()["data"]] == [assets[1].id]
    live = await mux.http.get("/video/v1/assets", params={"live_stream_id": "abc"})
    assert live.json() == {"data": [], "next_cursor": None}
    bad = await mux.http.get("/video/v1/assets", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_parameters"
    first = (await mux.http.get("/video/v1/assets")).json()["data"][0]
    assert first["created_at"] == str(assets[-1].created_at)  # epoch seconds, as a string


async def test_playback_ids_are_added_read_looked_up_and_removed(mux: Mux) -> None:
    asset = mux.asset()
    base = f"/video/v1/assets/{asset.id}/playback-ids"
    created = await mux.http.post(base, json={"policy": "signed"})
    assert created.status_code == 201
    playback = created.json()["data"]
    assert set(playback) == {"id", "policy"} and playback["policy"] == "signed"
    assert (await mux.http.get(f"{base}/{playback['id']}")).json() == {"data": playback}
    lookup = await mux.http.get(f"/video/v1/playback-ids/{playback['id']}")
    assert lookup.json() == {"data": {**playback, "object": {"type": "asset", "id": asset.id}}}
    asset_now = (await mux.http.get(f"/video/v1/assets/{asset.id}")).json()["data"]
    assert playback in asset_now["playback_ids"]

    deleted = await mux.http.delete(f"{base}/{playback['id']}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    for gone in (
        await mux.http.get(f"{base}/{playback['id']}"),
        await mux.http.delete(f"{base}/{playback['id']}"),
        await mux.http.get(f"/video/v1/playback-ids/{playback['id']}"),
        await mux.http.post("/video/v1/assets/nope/playback-ids", json={"policy": "public"}),
    ):
        assert (gone.status_code, gone.json()) == (404, NOT_FOUND)
    refused = await mux.http.post(base, json={"policy": "secret"})
    assert refused.status_code == 400


async def test_a_subtitle_track_is_added_made_ready_and_deleted(mux: Mux) -> None:
    asset = mux.asset()
    created = await mux.http.post(
        f"/video/v1/assets/{asset.id}/tracks",
        json={
            "url": "https://example.com/en.vtt",
            "type": "text",
            "text_type": "subtitles",
            "language_code": "en-US",
            "name": "English",
            "closed_captions": True,
            "passthrough": "en",
        },
    )
    assert created.status_code == 201
    track = created.json()["data"]
    assert {k: track[k] for k in ("type", "text_source", "status", "name", "passthrough")} == {
        "type": "text",
        "text_source": "uploaded",
        "status": "preparing",
        "name": "English",
        "passthrough": "en",
    }
    await _until(
        lambda: (
            [e["type"] for e in mux.events("video.asset.track.")][-1:]
            == ["video.asset.track.ready"]
        )
    )
    tracks = (await mux.http.get(f"/video/v1/assets/{asset.id}")).json()["data"]["tracks"]
    assert [t["status"] for t in tracks if t["id"] == track["id"]] == ["ready"]

    deleted = await mux.http.delete(f"/video/v1/assets/{asset.id}/tracks/{track['id']}")
    assert deleted.status_code == 204
    assert [e["type"] for e in mux.events("video.asset.track.")] == [
        "video.asset.track.created",
        "video.asset.track.ready",
        "video.asset.track.deleted",
    ]
    again = await mux.http.delete(f"/video/v1/assets/{asset.id}/tracks/{track['id']}")
    assert (again.status_code, again.json()) == (404, NOT_FOUND)
    preparing = mux.asset(status="preparing")
    early = await mux.http.post(
        f"/video/v1/assets/{preparing.id}/tracks",
        json={"url": "https://example.com/en.vtt", "type": "text", "language_code": "en"},
    )
    assert early.status_code == 400


async def test_subtitles_are_generated_from_the_primary_audio_track(mux: Mux) -> None:
    asset = mux.asset()
    first = (await mux.http.get(f"/video/v1/assets/{asset.id}")).json()["data"]["tracks"]
    again = (await mux.http.get(f"/video/v1/assets/{asset.id}")).json()["data"]["tracks"]
    assert [t["id"] for t in first] == [t["id"] for t in again]  # stable, as Mux's
    audio = next(t["id"] for t in first if t["type"] == "audio")
    created = await mux.http.post(
        f"/video/v1/assets/{asset.id}/tracks/{audio}/generate-subtitles",
        json={"generated_subtitles": [{"language_code": "en", "name": "English (generated)"}]},
    )
    assert created.status_code == 201
    [track] = created.json()["data"]
    assert (track["text_source"], track["status"], track["name"]) == (
        "generated_vod",
        "preparing",
        "English (generated)",
    )
    await _until(lambda: len(mux.events("video.asset.track.ready")) == 1)
    video = next(t["id"] for t in first if t["type"] == "video")
    wrong = await mux.http.post(
        f"/video/v1/assets/{asset.id}/tracks/{video}/generate-subtitles",
        json={"generated_subtitles": [{"language_code": "en"}]},
    )
    assert (wrong.status_code, wrong.json()) == (404, NOT_FOUND)


async def test_a_static_rendition_is_added_made_ready_and_deleted(mux: Mux) -> None:
    asset = mux.asset()
    base = f"/video/v1/assets/{asset.id}/static-renditions"
    created = await mux.http.post(base, json={"resolution": "highest"})
    assert created.status_code == 201
    rendition = created.json()["data"]
    assert {k: rendition[k] for k in ("name", "ext", "resolution", "status", "type")} == {
        "name": "highest.mp4",
        "ext": "mp4",
        "resolution": "highest",
        "status": "preparing",
        "type": "standard",
    }
    await _until(lambda: len(mux.events("video.asset.static_rendition.ready")) == 1)
    files = (await mux.http.get(f"/video/v1/assets/{asset.id}")).json()["data"]
    assert [f["status"] for f in files["static_renditions"]["files"]] == ["ready"]
    assert (await mux.http.delete(f"{base}/{rendition['id']}")).status_code == 204
    assert [e["data"]["id"] for e in mux.events("video.asset.static_rendition.deleted")] == [
        rendition["id"]
    ]
    assert (await mux.http.post(base, json={"resolution": "4k"})).status_code == 400


async def test_signing_keys_give_their_private_key_once(mux: Mux) -> None:
    created = await mux.http.post("/system/v1/signing-keys")
    assert created.status_code == 201
    key = created.json()["data"]
    assert set(key) == {"id", "created_at", "private_key"}
    pem = base64.b64decode(key["private_key"])
    assert pem.startswith(b"-----BEGIN RSA PRIVATE KEY-----")
    private = load_pem_private_key(pem, password=None)
    assert isinstance(private, rsa.RSAPrivateKey) and private.key_size == 2048
    public = {"id": key["id"], "created_at": key["created_at"]}
    assert (await mux.http.get(f"/system/v1/signing-keys/{key['id']}")).json() == {"data": public}
    assert (await mux.http.get("/system/v1/signing-keys")).json() == {"data": [public]}
    assert (await mux.http.delete(f"/system/v1/signing-keys/{key['id']}")).status_code == 204
    gone = await mux.http.get(f"/system/v1/signing-keys/{key['id']}")
    assert (gone.status_code, gone.json()) == (404, NOT_FOUND)


async def test_the_webhook_event_stream_carries_each_event_as_sent(mux: Mux) -> None:
    async with mux.http.stream("GET", "/system/v1/webhook-events/stream") as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.aiter_lines()
        assert await anext(lines) == "event: connected"
        assert (await anext(lines)).startswith("data:")
        assert await anext(lines) == ""
        created = await mux.http.post("/video/v1/uploads", json={"cors_origin": "*"})
        event_line, data_line = await anext(lines), await anext(lines)
        mux.loop.call_soon_threadsafe(mux.stream.close)  # the emulator shutting down
        assert [line async for line in lines] == [""]  # the stream ends
    assert event_line == "event: video.upload.created"
    sent = json.loads(data_line.removeprefix("data: "))
    assert sent == mux.store.sent_events[-1]
    assert sent["data"]["id"] == created.json()["data"]["id"]
    await _until(lambda: mux.stream.listeners == 0)  # a closed stream is let go
    anonymous = await mux.http.get(
        "/system/v1/webhook-events/stream", auth=httpx.BasicAuth("x", "y")
    )
    assert anonymous.status_code == 401


async def _until(condition: Any, seconds: float = 5) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.02)
