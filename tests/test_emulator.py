"""The offline Mux emulator: API, upload URL, asset lifecycle and webhook delivery."""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.ports import free_port
from mux_emulator.app import create_app
from mux_emulator.config import EmulatorConfig
from mux_emulator.server import BackgroundServer
from service.ingest.signature import verify
from tests.webhook_receiver import Receiver

SAMPLE = Path(__file__).resolve().parent.parent / "demo" / "sample.mp4"
ORIGIN = "http://localhost:3000"


@pytest.fixture
async def emulator(
    receiver: tuple[Receiver, BackgroundServer],
) -> AsyncIterator[tuple[httpx.AsyncClient, EmulatorConfig]]:
    config = EmulatorConfig(
        webhook_urls=(f"{receiver[1].url}/hook",),
        processing_seconds=0.05,
        retry_base_seconds=0.02,
    )
    server = BackgroundServer(create_app(config)).start()
    config.public_url = server.url
    auth = httpx.BasicAuth(config.token_id, config.token_secret)
    async with httpx.AsyncClient(base_url=server.url, auth=auth, timeout=10) as client:
        yield client, config
    server.stop()


async def _create_upload(client: httpx.AsyncClient, cors_origin: str = ORIGIN) -> dict[str, Any]:
    response = await client.post(
        "/video/v1/uploads",
        json={
            "cors_origin": cors_origin,
            "new_asset_settings": {"playback_policies": ["public"], "passthrough": "lesson-1"},
        },
    )
    assert response.status_code == 201
    data: dict[str, Any] = response.json()["data"]
    return data


async def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def _stats_until(
    client: httpx.AsyncClient, condition: Callable[[dict[str, Any]], bool], timeout: float = 10.0
) -> dict[str, Any]:
    """The emulator's counters once `condition` holds of them (they are counted after the
    request they count is answered, so a test reading them once can run ahead of them)."""
    deadline = time.monotonic() + timeout
    while not condition(stats := (await client.get("/_emulator/stats")).json()):
        assert time.monotonic() < deadline, stats
        await asyncio.sleep(0.02)
    return stats


def _types(receiver: Receiver) -> list[str]:
    return [event["type"] for event in receiver.events()]


async def test_api_answers_401_in_mux_shape_without_credentials(emulator) -> None:
    client, config = emulator
    async with httpx.AsyncClient(base_url=str(client.base_url)) as anonymous:
        response = await anonymous.post("/video/v1/uploads", json={})
        wrong = await anonymous.get(
            "/video/v1/uploads/x", auth=httpx.BasicAuth(config.token_id, "wrong")
        )
    for answer in (response, wrong):
        assert answer.status_code == 401
        assert answer.json() == {
            "error": {"type": "unauthorized", "messages": ["Unauthorized request"]}
        }


async def test_upload_then_single_put_publishes_with_real_duration(
    emulator,
    receiver,
) -> None:
    client, _ = emulator
    recorder, _ = receiver
    upload = await _create_upload(client)
    assert (upload["status"], upload["cors_origin"]) == ("waiting", ORIGIN)
    assert upload["new_asset_settings"]["passthrough"] == "lesson-1"
    put = await client.put(upload["url"], content=SAMPLE.read_bytes(), headers={"Origin": ORIGIN})
    assert put.status_code == 200
    assert put.headers["access-control-allow-origin"] == ORIGIN
    await _wait_for(lambda: "video.asset.ready" in _types(recorder))
    assert sorted(_types(recorder)) == sorted(
        [
            "video.upload.created",
            "video.upload.asset_created",
            "video.asset.created",
            "video.asset.ready",
        ]
    )
    ready = next(e for e in recorder.events() if e["type"] == "video.asset.ready")
    asset = ready["data"]
    assert (asset["upload_id"], asset["passthrough"], asset["status"]) == (
        upload["id"],
        "lesson-1",
        "ready",
    )
    assert (asset["duration"], asset["aspect_ratio"]) == (3.0, "16:9")
    assert [p["policy"] for p in asset["playback_ids"]] == ["public"]
    assert set(ready) >= {"type", "id", "created_at", "object", "environment", "data", "attempts"}
    assert ready["object"] == {"type": "asset", "id": asset["id"]}

    fetched = (await client.get(f"/video/v1/assets/{asset['id']}")).json()["data"]
    assert fetched["status"] == "ready"
    assert (await client.get(f"/video/v1/uploads/{upload['id']}")).json()["data"][
        "asset_id"
    ] == asset["id"]
    stream = f"/stream/{asset['playback_ids'][0]['id']}.mp4"
    played = await client.get(stream, headers={"Origin": ORIGIN})
    assert played.status_code == 200 and played.content == SAMPLE.read_bytes()
    # mux-player loads media with `crossorigin`: Mux's stream host answers every origin.
    assert played.headers["access-control-allow-origin"] == "*"
    seek = await client.get(stream, headers={"Origin": ORIGIN, "Range": "bytes=100-199"})
    assert seek.status_code == 206 and seek.content == SAMPLE.read_bytes()[100:200]
    assert seek.headers["content-range"] == f"bytes 100-199/{SAMPLE.stat().st_size}"
    assert seek.headers["access-control-allow-origin"] == "*"
    missing = await client.get("/stream/no-such-playback-id.mp4", headers={"Origin": ORIGIN})
    assert missing.status_code == 404 and missing.headers["access-control-allow-origin"] == "*"


async def test_non_video_bytes_end_in_an_errored_asset(emulator, receiver) -> None:
    client, _ = emulator
    recorder, _ = receiver
    upload = await _create_upload(client)
    await client.put(upload["url"], content=b"this is not a video at all")
    await _wait_for(lambda: "video.asset.errored" in _types(recorder))
    errored = next(e for e in recorder.events() if e["type"] == "video.asset.errored")
    assert errored["data"]["errors"]["type"] == "invalid_input"
    assert errored["data"]["errors"]["messages"]


async def test_chunked_upload_refuses_out_of_order_and_repeated_chunks(emulator, receiver) -> None:
    client, _ = emulator
    recorder, _ = receiver
    upload = await _create_upload(client)
    data = SAMPLE.read_bytes()
    total, size = len(data), 16 * 1024
    chunks = [(start, min(start + size, total) - 1) for start in range(0, total, size)]

    async def send(start: int, end: int) -> httpx.Response:
        return await client.put(
            upload["url"],
            content=data[start : end + 1],
            headers={"Content-Range": f"bytes {start}-{end}/{total}", "Origin": ORIGIN},
        )

    first = await send(*chunks[0])
    assert (first.status_code, first.headers["range"]) == (308, f"bytes=0-{chunks[0][1]}")
    assert first.headers["access-control-expose-headers"] == "Range"
    skipped = await send(*chunks[2])  # out of order: not stored
    assert (skipped.status_code, skipped.headers["range"]) == (308, f"bytes=0-{chunks[0][1]}")
    repeated = await send(*chunks[0])  # a repeat: not stored twice
    assert (repeated.status_code, repeated.headers["range"]) == (308, f"bytes=0-{chunks[0][1]}")
    status = await client.put(upload["url"], headers={"Content-Range": f"bytes */{total}"})
    assert (status.status_code, status.headers["range"]) == (308, f"bytes=0-{chunks[0][1]}")
    for start, end in chunks[1:-1]:
        assert (await send(start, end)).status_code == 308
    assert (await send(*chunks[-1])).status_code == 200
    await _wait_for(lambda: "video.asset.ready" in _types(recorder))
    ready = next(e for e in recorder.events() if e["type"] == "video.asset.ready")
    assert ready["data"]["duration"] == 3.0  # the bytes arrived intact


async def test_chunk_whose_length_disagrees_with_content_range_is_400(emulator) -> None:
    client, _ = emulator
    upload = await _create_upload(client)
    response = await client.put(
        upload["url"], content=b"abc", headers={"Content-Range": "bytes 0-9/100"}
    )
    assert response.status_code == 400


async def test_cors_preflight_follows_the_uploads_cors_origin(emulator) -> None:
    client, _ = emulator
    upload = await _create_upload(client)
    preflight = {
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-range, content-type",
    }
    allowed = await client.options(upload["url"], headers={**preflight, "Origin": ORIGIN})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert "PUT" in allowed.headers["access-control-allow-methods"]
    assert "Content-Range" in allowed.headers["access-control-allow-headers"]
    denied = await client.options(upload["url"], headers={**preflight, "Origin": "https://evil"})
    assert denied.status_code == 403 and "access-control-allow-origin" not in denied.headers
    put = await client.put(upload["url"], content=b"x", headers={"Origin": "https://evil"})
    assert put.status_code == 403


async def test_cancel_and_delete_send_their_webhooks(emulator, receiver) -> None:
    client, _ = emulator
    recorder, _ = receiver
    cancelled = await _create_upload(client)
    response = await client.put(f"/video/v1/uploads/{cancelled['id']}/cancel")
    assert response.json()["data"]["status"] == "cancelled"
    again = await client.put(f"/video/v1/uploads/{cancelled['id']}/cancel")
    assert again.status_code == 400 and again.json()["error"]["type"] == "invalid_parameters"

    upload = await _create_upload(client)
    await client.put(upload["url"], content=SAMPLE.read_bytes())
    await _wait_for(lambda: "video.asset.ready" in _types(recorder))
    asset_id = (await client.get(f"/video/v1/uploads/{upload['id']}")).json()["data"]["asset_id"]
    assert (await client.delete(f"/video/v1/assets/{asset_id}")).status_code == 204
    assert (await client.get(f"/video/v1/assets/{asset_id}")).status_code == 404
    await _wait_for(lambda: "video.asset.deleted" in _types(recorder))
    assert "video.upload.cancelled" in _types(recorder)


async def test_webhooks_are_retried_with_growing_attempts_until_2xx(
    emulator,
    receiver,
) -> None:
    client, _ = emulator
    recorder, _ = receiver
    recorder.fail_first = 3
    await _create_upload(client)
    await _wait_for(lambda: len(recorder.events()) == 1)
    assert recorder.answered == [503, 503, 503, 200]
    deliveries = [event for event, _, _ in recorder.received]
    assert len({event["id"] for event in deliveries}) == 1  # the same event each time
    assert [len(event["attempts"]) for event in deliveries] == [0, 1, 2, 3]
    last = deliveries[-1]["attempts"][-1]
    assert last["response_status_code"] == 503 and last["max_attempts"] == 8
    # The receiver answers before the emulator counts the answer: wait for the count.
    stats = await _stats_until(client, lambda s: s["webhooks"].get("delivered") == 1)
    assert stats["webhooks"] == {"failed_attempts": 3, "delivered": 1}
    assert stats["requests"]["create_upload"] == 1


async def test_emulator_signatures_verify_with_muxs_algorithm(emulator, receiver) -> None:
    client, config = emulator
    recorder, _ = receiver
    await _create_upload(client)
    await _wait_for(lambda: len(recorder.received) == 1)
    _, body, header = recorder.received[0]
    verify(body, header, [config.webhook_secret], tolerance_seconds=300)


async def test_injected_faults_answer_as_mux_would(emulator) -> None:
    client, _ = emulator
    await client.post("/_emulator/faults", json={"status": 503, "count": 1})
    assert (await client.post("/video/v1/uploads", json={})).status_code == 503
    assert (await client.post("/video/v1/uploads", json={})).status_code == 201


async def test_basic_auth_header_parsing_rejects_garbage() -> None:
    transport = httpx.ASGITransport(app=create_app())
    garbage = ("Basic !!!", "Basic " + base64.b64encode(b"\xff\xfe").decode(), "Bearer x")
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as http:
        for value in garbage:
            response = await http.get("/video/v1/assets/x", headers={"Authorization": value})
            assert response.status_code == 401


async def test_subtitles_renditions_and_images_appear_after_processing(emulator, receiver) -> None:
    client, _ = emulator
    recorder, _ = receiver
    created = await client.post(
        "/video/v1/uploads",
        json={
            "cors_origin": ORIGIN,
            "new_asset_settings": {
                "playback_policies": ["public"],
                "inputs": [{"generated_subtitles": [{"language_code": "en", "name": "English"}]}],
                "static_renditions": [{"resolution": "highest"}],
            },
        },
    )
    upload = created.json()["data"]
    await client.put(upload["url"], content=SAMPLE.read_bytes())
    await _wait_for(
        lambda: (
            {"video.asset.track.ready", "video.asset.static_rendition.ready"}
            <= set(_types(recorder))
        )
    )
    by_type = {e["type"]: e for e in recorder.events()}
    asset_id = by_type["video.asset.ready"]["data"]["id"]
    track = by_type["video.asset.track.ready"]
    assert track["object"] == {"type": "asset", "id": asset_id}
    assert {k: track["data"][k] for k in ("type", "text_type", "text_source", "asset_id")} == {
        "type": "text",
        "text_type": "subtitles",
        "text_source": "generated_vod",
        "asset_id": asset_id,
    }
    assert (track["data"]["language_code"], track["data"]["name"]) == ("en", "English")
    rendition = by_type["video.asset.static_rendition.ready"]["data"]
    assert (rendition["asset_id"], rendition["name"], rendition["status"]) == (
        asset_id,
        "highest.mp4",
        "ready",
    )
    asset = (await client.get(f"/video/v1/assets/{asset_id}")).json()["data"]
    assert [t["status"] for t in asset["tracks"] if t["type"] == "text"] == ["ready"]
    assert [f["name"] for f in asset["static_renditions"]["files"]] == ["highest.mp4"]

    playback = asset["playback_ids"][0]["id"]
    thumbnail = await client.get(f"/image/{playback}/thumbnail.jpg")
    assert thumbnail.headers["content-type"] == "image/jpeg"
    assert thumbnail.content[:2] == b"\xff\xd8" and thumbnail.content[-2:] == b"\xff\xd9"
    storyboard = await client.get(f"/image/{playback}/storyboard.vtt")
    assert storyboard.text.startswith("WEBVTT")
    assert f"/image/{playback}/storyboard.jpg#xywh=" in storyboard.text
    download = await client.get(f"/stream/{playback}/highest.mp4")
    assert download.status_code == 200 and download.content == SAMPLE.read_bytes()
    assert (await client.get(f"/stream/{playback}/720p.mp4")).status_code == 404
    assert (await client.get("/image/nope/thumbnail.jpg")).status_code == 404


async def test_asset_list_pages_with_a_cursor(emulator) -> None:
    client, _ = emulator
    for _ in range(3):
        upload = await _create_upload(client)
        await client.put(upload["url"], content=SAMPLE.read_bytes())
    deadline = time.monotonic() + 10
    while len((await client.get("/video/v1/assets")).json()["data"]) < 3:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/video/v1/assets", params=params)).json()
        seen += [a["id"] for a in page["data"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert (len(seen), len(set(seen)), pages) == (3, 3, 2)
    bad = await client.get("/video/v1/assets", params={"limit": "500"})
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_parameters"


@pytest.mark.parametrize("how", ["in-process", "python -m mux_emulator, SIGTERM"])
async def test_uploaded_files_are_removed_when_the_emulator_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """Counted in a temporary folder of this test's own (other tests' emulators come and go
    in the shared one meanwhile)."""

    def _emulator_folders() -> set[str]:
        return {p.name for p in tmp_path.glob("mux-emulator-*")}

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    before = _emulator_folders()
    config = EmulatorConfig(processing_seconds=0.05)
    if how == "in-process":
        server = BackgroundServer(create_app(config)).start()
        url, stop = server.url, server.stop
        config.public_url = url
    else:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "mux_emulator", "--port", str(port)],
            env={**os.environ, "TMPDIR": str(tmp_path)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"

        def stop() -> None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)

    try:
        auth = httpx.BasicAuth(config.token_id, config.token_secret)
        async with httpx.AsyncClient(base_url=url, auth=auth, timeout=10) as client:
            for _ in range(100):
                try:
                    await client.get("/_emulator/stats")
                    break
                except httpx.HTTPError:
                    await asyncio.sleep(0.05)
            upload = await _create_upload(client)
            put = await client.put(upload["url"], content=SAMPLE.read_bytes())
            assert put.status_code == 200
            assert len(_emulator_folders() - before) == 1  # the file is kept while it runs
    finally:
        stop()
    assert _emulator_folders() - before == set()
