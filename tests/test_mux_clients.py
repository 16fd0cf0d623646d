"""Mux's own clients against the emulator, run as a developer runs them: the Node SDK
(`@mux/mux-node`, `baseURL` at the emulator) and the Mux CLI (`@mux/cli`, MUX_BASE_URL),
both pinned in tools/mux-clients/ and installed by `make test`."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from mux_emulator.app import create_app as create_emulator
from mux_emulator.config import EmulatorConfig
from mux_emulator.server import BackgroundServer
from mux_emulator.store import Asset, Store
from service.app import create_app
from service.database.pool import Database
from service.settings import Settings
from tests.factories import create_lesson, create_user, lesson_row
from tests.mux_scenario import TEST_SECRET, inbox_rows
from tests.tokens import hs256
from tests.webhook_receiver import Receiver

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = ROOT / "tools" / "mux-clients"
MUX = CLIENTS / "node_modules" / ".bin" / "mux"
SAMPLE = ROOT / "demo" / "sample.mp4"
JWT_SECRET = "clients-jwt-secret-of-at-least-32-characters"
NOT_FOUND = {
    "error": {
        "type": "not_found",
        "messages": ["The requested resource either doesn't exist or you don't have access to it."],
    }
}

pytestmark = pytest.mark.skipif(
    not MUX.exists(), reason="`make test` installs tools/mux-clients (npm ci) first"
)


@dataclass
class Emulator:
    server: BackgroundServer
    config: EmulatorConfig

    @property
    def store(self) -> Store:
        store: Store = self.server.app.state.store
        return store

    def wait_for_asset(self, upload_id: str, status: str = "ready") -> Asset:
        deadline = time.monotonic() + 20
        while True:
            asset = next((a for a in self.store.assets.values() if a.upload_id == upload_id), None)
            if asset is not None and asset.status == status:
                return asset
            assert time.monotonic() < deadline, f"no {status} asset for upload {upload_id}"
            time.sleep(0.05)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    config = EmulatorConfig(processing_seconds=0.1)
    server = BackgroundServer(create_emulator(config)).start()
    config.public_url = server.url
    yield Emulator(server, config)
    server.stop()


@pytest.fixture
def cli_env(emulator: Emulator, tmp_path: Path) -> dict[str, str]:
    """What a developer exports to point Mux's clients at the emulator; a fresh home, so no
    stored `mux login` and no update check get in the way."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MUX_")}
    home = tmp_path / "home"
    return {
        **env,
        "MUX_BASE_URL": emulator.server.url,
        "MUX_TOKEN_ID": emulator.config.token_id,
        "MUX_TOKEN_SECRET": emulator.config.token_secret,
        "MUX_NO_UPDATE_CHECK": "1",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
    }


def mux(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MUX), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def mux_json(env: dict[str, str], *args: str) -> Any:
    result = mux(env, *args, "--json")
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return json.loads(result.stdout)


def _listen_secret(env: dict[str, str], secret: str) -> None:
    """The secret `mux webhooks listen` and `trigger` sign forwarded events with (the CLI
    makes one per environment on first use; a test sets it, as a developer may)."""
    path = Path(env["XDG_DATA_HOME"]) / "mux" / "webhook-signing-secret-emu01"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(secret)


# --- the Node SDK ------------------------------------------------------------------------------


def node(script: str, env: dict[str, str], *args: str, stdin: str | None = None) -> Any:
    """Runs a script of tools/mux-clients with node; its last line of output, as JSON."""
    result = subprocess.run(
        ["node", str(CLIENTS / script), *args],
        env=env,
        cwd=CLIENTS,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_node_sdk_uploads_lists_and_deletes_through_the_emulator(
    emulator: Emulator, cli_env: dict[str, str], receiver: tuple[Receiver, BackgroundServer]
) -> None:
    emulator.config.webhook_urls = (f"{receiver[1].url}/hook",)
    earlier = []
    for _ in range(2):  # so listing one asset per page follows next_cursor twice
        upload = emulator.store.new_upload(
            cors_origin="*", new_asset_settings={}, timeout=3600, test=False, public_url=""
        )
        earlier.append(emulator.store.new_asset(upload).id)
    summary = node("sdk_workflow.mjs", cli_env, str(SAMPLE))
    asset_id = summary["asset_id"]
    assert summary["upload_status"] == "waiting"
    assert summary["ready"]["status"] == "ready" and summary["ready"]["duration"] == 3.0
    assert [p["policy"] for p in summary["ready"]["playback_ids"]] == ["public"]
    assert summary["listed"] == [asset_id, *reversed(earlier)]  # newest first, every page
    assert summary["listed_by_upload"] == [asset_id]
    assert summary["uploads_listed"][0] == summary["upload_id"]
    signed = summary["signed_playback_id"]
    assert signed["created"]["policy"] == "signed" and signed["fetched"] == signed["created"]
    assert signed["created"]["id"] not in summary["playback_ids_after_delete"]
    assert summary["after_delete"] == {"status": 404, "not_found_error": True, "body": NOT_FOUND}
    assert asset_id not in emulator.store.assets
    deleted = [e for e in emulator.store.sent_events if e["type"] == "video.asset.deleted"]
    assert [e["data"]["id"] for e in deleted] == [asset_id]

    # The same run's webhooks, as an app using mux-node's webhooks.unwrap receives them.
    deadline = time.monotonic() + 10
    while len(receiver[0].received) < len(emulator.store.sent_events):
        assert time.monotonic() < deadline, "webhooks not delivered"
        time.sleep(0.05)
    deliveries = "".join(
        json.dumps({"body": body.decode(), "signature": signature}) + "\n"
        for _, body, signature in receiver[0].received
    )
    secret = {**cli_env, "MUX_WEBHOOK_SECRET": emulator.config.webhook_secret}
    types = node("verify_webhooks.mjs", secret, stdin=deliveries)
    assert types == [event["type"] for event, _, _ in receiver[0].received]
    assert {"video.upload.asset_created", "video.asset.ready", "video.asset.deleted"} <= set(types)
    refused = subprocess.run(
        ["node", str(CLIENTS / "verify_webhooks.mjs")],
        env={**cli_env, "MUX_WEBHOOK_SECRET": "another-secret"},
        input=deliveries,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode != 0
    assert "No signatures found matching the expected signature" in refused.stderr


# --- the Mux CLI -------------------------------------------------------------------------------


def test_mux_cli_runs_the_video_workflow(emulator: Emulator, cli_env: dict[str, str]) -> None:
    whoami = mux_json(cli_env, "whoami")
    assert (whoami["environment_id"], whoami["environment_type"]) == ("emu01", "development")
    assert "video:write" in whoami["permissions"]

    upload = mux_json(cli_env, "uploads", "create", "--cors-origin", "*")
    assert upload["status"] == "waiting"
    assert upload["url"] == f"{emulator.server.url}/upload/{upload['id']}"
    put = httpx.put(upload["url"], content=SAMPLE.read_bytes(), timeout=10)
    assert put.status_code == 200
    asset_id = emulator.wait_for_asset(upload["id"]).id
    assert mux_json(cli_env, "uploads", "get", upload["id"])["asset_id"] == asset_id
    assert upload["id"] in [u["id"] for u in mux_json(cli_env, "uploads", "list")["data"]]

    listed = mux_json(cli_env, "assets", "list")
    assert [a["id"] for a in listed["data"]] == [asset_id]
    assert listed["next_cursor"] is None
    by_upload = mux_json(cli_env, "assets", "list", "--upload-id", upload["id"])
    assert [a["id"] for a in by_upload["data"]] == [asset_id]
    assert mux_json(cli_env, "assets", "list", "--upload-id", "other")["data"] == []

    asset = mux_json(cli_env, "assets", "get", asset_id)
    assert (asset["status"], asset["upload_id"], asset["duration"]) == ("ready", upload["id"], 3)

    audio = next(t["id"] for t in asset["tracks"] if t["type"] == "audio")
    [subtitles] = mux_json(cli_env, "assets", "tracks", "generate-subtitles", asset_id, audio)
    assert (subtitles["type"], subtitles["language_code"]) == ("text", "en")

    deleted = mux_json(cli_env, "assets", "delete", asset_id, "--force")
    assert deleted == {"success": True, "assetId": asset_id}
    assert asset_id not in emulator.store.assets

    gone = mux(cli_env, "assets", "get", asset_id, "--json")
    assert gone.returncode == 1 and gone.stdout == ""
    error = json.loads(gone.stderr)
    assert error["error"] == "not_found_or_permission_denied"
    assert error["api_response"] == NOT_FOUND


def test_mux_cli_uploads_a_file_and_cancels_an_upload(
    emulator: Emulator, cli_env: dict[str, str]
) -> None:
    [sent] = mux_json(cli_env, "assets", "create", "--upload", str(SAMPLE), "-y")
    assert sent["file"] == "sample.mp4"
    assert emulator.wait_for_asset(sent["uploadId"]).duration == 3.0

    waiting = mux_json(cli_env, "uploads", "create", "--cors-origin", "https://app.example")
    cancelled = mux_json(cli_env, "uploads", "cancel", waiting["id"], "--force")
    assert (cancelled["id"], cancelled["status"]) == (waiting["id"], "cancelled")
    again = mux(cli_env, "uploads", "cancel", waiting["id"], "--force", "--json")
    assert again.returncode == 1
    assert "cannot be cancelled" in json.loads(again.stderr)["error"]


def test_mux_cli_refuses_wrong_credentials(emulator: Emulator, cli_env: dict[str, str]) -> None:
    result = mux({**cli_env, "MUX_TOKEN_SECRET": "wrong"}, "assets", "list", "--json")
    assert result.returncode == 1
    assert "Authentication failed" in json.loads(result.stderr)["error"]
    assert emulator.store.requests["list_assets"] == 1


def test_mux_sign_uses_a_signing_key_the_emulator_made(
    emulator: Emulator, cli_env: dict[str, str]
) -> None:
    key = mux_json(cli_env, "signing-keys", "create")
    assert [k["id"] for k in mux_json(cli_env, "signing-keys", "list")["data"]] == [key["id"]]
    env = {**cli_env, "MUX_SIGNING_KEY": key["id"], "MUX_PRIVATE_KEY": key["private_key"]}
    signed = mux_json(env, "sign", "somePlaybackId", "--expiration", "1h")
    public_key = emulator.store.signing_keys[key["id"]].public_key_pem
    claims = jwt.decode(signed["token"], public_key, algorithms=["RS256"], audience="v")
    assert (claims["sub"], claims["kid"]) == ("somePlaybackId", key["id"])  # Mux's claims
    assert base64.b64decode(key["private_key"]).startswith(b"-----BEGIN RSA PRIVATE KEY-----")


# --- webhooks: `mux webhooks listen` and `mux webhooks trigger` into the service ---------------


@dataclass
class Stack:
    emulator: Emulator
    service: BackgroundServer


@pytest.fixture
def stack(db: Database, webhook_settings: Settings, emulator: Emulator) -> Iterator[Stack]:
    """The service with its worker, on the emulator, with NO webhook endpoint configured at
    the emulator: events reach the service only through the CLI, signed with its secret."""
    settings = dataclasses.replace(
        webhook_settings,
        mux_api_url=emulator.server.url,
        mux_token_id=emulator.config.token_id,
        mux_token_secret=emulator.config.token_secret,
        mux_webhook_secrets=(TEST_SECRET,),
        supabase_jwt_secret=JWT_SECRET,
        cors_allowed_origins=("http://localhost:3000",),
        worker_poll_seconds=0.1,
    )
    service = BackgroundServer(create_app(settings, with_worker=True)).start()
    yield Stack(emulator, service)
    service.stop()


async def test_mux_webhooks_listen_forwards_emulator_events_to_the_service(
    stack: Stack, db: Database, cli_env: dict[str, str]
) -> None:
    _listen_secret(cli_env, TEST_SECRET)
    hook = f"{stack.service.url}/api/webhooks/mux"
    listener = subprocess.Popen(
        [str(MUX), "webhooks", "listen", "--forward-to", hook, "--json"],
        env=cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # the npm shim runs the CLI binary as its child
    )
    printed: list[dict[str, Any]] = []  # what the CLI prints, one JSON line per event
    reader = threading.Thread(
        target=lambda: printed.extend(
            json.loads(line) for line in listener.stdout or () if line.startswith("{")
        ),
        daemon=True,
    )
    reader.start()
    events = stack.emulator.server.app.state.events
    try:
        deadline = time.monotonic() + 30
        while events.listeners == 0:
            assert listener.poll() is None, listener.stderr.read() if listener.stderr else ""
            assert time.monotonic() < deadline, "mux webhooks listen did not connect"
            await asyncio.sleep(0.05)

        author = await create_user(db)
        lesson = await create_lesson(db, author)
        async with httpx.AsyncClient(base_url=stack.service.url, timeout=10) as http:
            response = await http.post(
                "/api/mux/upload",
                json={"lessonId": str(lesson)},
                headers={"Authorization": f"Bearer {hs256(author, secret=JWT_SECRET)}"},
            )
            assert response.status_code == 201, response.text
            put = await http.put(response.json()["url"], content=SAMPLE.read_bytes())
            assert put.status_code == 200
        deadline = time.monotonic() + 30
        while (await lesson_row(db, lesson))["status"] != "published":
            assert time.monotonic() < deadline, await lesson_row(db, lesson)
            await asyncio.sleep(0.05)
        emitted = {e["id"]: e for e in stack.emulator.store.sent_events}
        while {e["id"] for e in printed} != set(emitted):
            assert time.monotonic() < deadline, (printed, emitted)
            await asyncio.sleep(0.05)
    finally:
        os.killpg(listener.pid, signal.SIGTERM)
        listener.wait(timeout=10)
    assert [e["id"] for e in printed] == list(emitted)  # each once, in the order sent
    assert printed == list(emitted.values())  # as it was sent
    stored = {r["id"] for r in await inbox_rows(db)}
    assert stored == set(emitted)  # every event reached the service, and nothing else
    assert "video.asset.ready" in {emitted[i]["type"] for i in stored}
    assert stack.emulator.store.deliveries["delivered"] == 0  # no webhook endpoint was used


async def test_mux_webhooks_trigger_is_accepted_by_the_service(
    stack: Stack, db: Database, cli_env: dict[str, str]
) -> None:
    _listen_secret(cli_env, TEST_SECRET)
    hook = f"{stack.service.url}/api/webhooks/mux"
    sent = await asyncio.to_thread(
        mux_json, cli_env, "webhooks", "trigger", "video.asset.ready", "--forward-to", hook
    )
    assert sent["status"] == 200
    assert [r["id"] for r in await inbox_rows(db)] == [sent["payload"]["id"]]

    _listen_secret(cli_env, "not-the-service-secret")
    refused = await asyncio.to_thread(
        mux_json, cli_env, "webhooks", "trigger", "video.asset.ready", "--forward-to", hook
    )
    assert refused["status"] == 401
    assert len(await inbox_rows(db)) == 1
    assert uuid.UUID(sent["payload"]["id"])
