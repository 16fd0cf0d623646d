"""The operator status page and the events CLI."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from mux_emulator.server import BackgroundServer
from service.app import create_app
from service.database.pool import Database
from service.ops.access import COOKIE, SESSION_SECONDS, new_session
from service.settings import Settings
from tests.commands import run_service
from tests.factories import create_lesson, create_user, lesson_row
from tests.mux_scenario import Video, attach_upload, deliver, inbox_rows
from tests.sse_client import SseReader
from tests.tokens import ADMIN_TOKEN


async def _dead_ready_event(db: Database, http: httpx.AsyncClient) -> tuple[Video, str]:
    """A lesson whose `ready` event failed for good (no playback id), and that event's id."""
    video = Video(await create_lesson(db, await create_user(db)))
    await attach_upload(db, video.lesson_id, video.upload_id)
    broken = video.asset_ready(playback_ids=[])
    await deliver(http, broken)
    async with db.service_session() as conn:
        await conn.execute("update mux_events set state = 'dead' where id = %s", (broken["id"],))
    return video, broken["id"]


async def sign_in(http: httpx.AsyncClient, token: str = ADMIN_TOKEN) -> httpx.Response:
    """The login page's form, as a browser posts it."""
    return await http.post("/admin", data={"token": token})


async def test_status_page_needs_the_operator_token(live_service: BackgroundServer) -> None:
    async with httpx.AsyncClient(base_url=live_service.url, timeout=10) as http:
        assert (await http.get("/admin")).status_code == 401
        # A token in a URL (which any proxy in front logs) never signs in, encoded or not.
        for query in (f"token={ADMIN_TOKEN}", f"t%6Fken={ADMIN_TOKEN}"):
            by_url = await http.get(f"/admin?{query}")
            assert by_url.status_code == 401 and "set-cookie" not in by_url.headers
            assert '<form method="post" action="/admin">' in by_url.text
        wrong = await sign_in(http, "wrong")
        assert wrong.status_code == 401 and "not the operator token" in wrong.text
        assert (await http.get("/admin/stream")).json()["error"]["code"] == "admin_unauthorized"
        login = await sign_in(http)
        assert login.status_code == 303 and login.headers["location"] == "/admin"
        cookie = login.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert ADMIN_TOKEN not in cookie  # a signed session value, never the token itself
        assert "Secure" not in cookie  # plain http here (see the https test)
        page = await http.get("/admin")  # the cookie now authenticates
        assert page.status_code == 200 and "live status" in page.text
    async with httpx.AsyncClient(base_url=live_service.url, timeout=10) as fresh:
        bearer = await fresh.get("/admin", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert bearer.status_code == 200


@pytest.mark.parametrize(
    ("content", "headers", "status", "code"),
    [
        (json.dumps({"token": ADMIN_TOKEN}), {"Content-Type": "application/json"}, 415, None),
        (f"token={ADMIN_TOKEN}", {"Origin": "http://elsewhere.test"}, 403, "csrf_failed"),
        ("token=" + "x" * 10_000, {}, 413, "payload_too_large"),
        ("token=a&token=b", {}, 401, None),
        ("", {}, 401, None),
        ("%ff%fe=%00", {}, 401, None),
    ],
)
async def test_sign_in_takes_one_token_from_a_form_of_this_page(
    live_service: BackgroundServer,
    content: str,
    headers: dict[str, str],
    status: int,
    code: str | None,
) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded", **headers}
    async with httpx.AsyncClient(base_url=live_service.url, timeout=10) as http:
        response = await http.post("/admin", content=content, headers=form)
    assert response.status_code == status
    assert "set-cookie" not in response.headers
    if code is not None:
        assert response.json()["error"]["code"] == code


async def test_session_cookie_is_secure_over_https_and_forgery_proof(
    db: Database, author_settings: Settings
) -> None:
    app = create_app(dataclasses.replace(author_settings, admin_token=ADMIN_TOKEN), database=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://ops.example.test") as http:
        login = await sign_in(http)
        assert "Secure" in login.headers["set-cookie"]
        session = http.cookies[COOKIE]
        assert (await http.get("/admin")).status_code == 200
        expiry, nonce, mac = session.split(".")
        for forged in (
            f"{int(expiry) + 10**6}.{nonce}.{mac}",  # extended
            f"{expiry}.{nonce}.{'0' * len(mac)}",  # unsigned
            ADMIN_TOKEN,  # the old cookie format
            f"{expiry}.{nonce}.{mac[:-1]}\u00e9",  # not ASCII: refused, not a crash
            new_session("another-admin-token"),  # signed with another token
            new_session(ADMIN_TOKEN, now=time.time() - SESSION_SECONDS - 1),  # expired
        ):
            http.cookies.clear()
            cookie = f"{COOKIE}={forged}".encode("latin-1")
            response = await http.get("/admin/stream", headers={"Cookie": cookie})
            assert response.status_code == 401, forged


async def test_replay_with_the_cookie_needs_the_pages_csrf_token_and_origin(
    db: Database, live_service: BackgroundServer
) -> None:
    """SameSite=Strict is no defence against a page on another port of the same host: a
    cookie-authenticated replay must carry the page's CSRF token and its own Origin."""
    async with httpx.AsyncClient(base_url=live_service.url, timeout=10) as http:
        _, event_id = await _dead_ready_event(db, http)
        await sign_in(http)
        page = (await http.get("/admin")).text
        csrf = page.split('name="csrf-token" content="')[1].split('"')[0]
        path = f"/admin/events/{event_id}/replay"
        own = live_service.url
        other_port = own.rsplit(":", 1)[0] + ":1"
        for headers in (
            {},  # what a cross-site form or fetch sends
            {"Origin": other_port},
            {"Origin": other_port, "X-CSRF-Token": csrf},
            {"Origin": own, "X-CSRF-Token": "0" * 64},
            {"Origin": own, "X-CSRF-Token": ("\u00e9" * 64).encode("latin-1")},
        ):
            refused = await http.post(path, headers=headers)
            assert (refused.status_code, refused.json()["error"]["code"]) == (403, "csrf_failed")
        assert [r["attempts"] for r in await inbox_rows(db) if r["id"] == event_id] == [1]
        accepted = await http.post(path, headers={"Origin": own, "X-CSRF-Token": csrf})
    assert (accepted.status_code, accepted.json()["attempts"]) == (200, 2)


async def test_status_page_is_off_without_a_token(db: Database, author_settings: Settings) -> None:
    app = create_app(dataclasses.replace(author_settings, admin_token=None), database=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        response = await http.get("/admin")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "admin_disabled")


async def test_stream_sends_a_snapshot_then_live_lesson_changes(
    db: Database, live_service: BackgroundServer
) -> None:
    video = Video(await create_lesson(db, await create_user(db), title="Live one"))
    await attach_upload(db, video.lesson_id, video.upload_id)
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with (
        httpx.AsyncClient(base_url=live_service.url, timeout=10) as http,
        http.stream("GET", "/admin/stream", headers=headers) as stream,
    ):
        events = SseReader(stream)
        [snapshot] = await events.read(1)
        assert snapshot["event"] == "snapshot"
        assert [lesson["title"] for lesson in snapshot["data"]["lessons"]] == ["Live one"]
        await deliver(http, video.asset_ready())
        seen = await events.read(2)
    by_kind = {event["event"]: event["data"] for event in seen}
    assert by_kind["lesson"]["status"] == "published"
    assert by_kind["events"]["events"][0]["state"] == "applied"


async def test_replay_applies_a_dead_event_again(
    db: Database, live_service: BackgroundServer
) -> None:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=live_service.url, timeout=10) as http:
        video, event_id = await _dead_ready_event(db, http)
        response = await http.post(f"/admin/events/{event_id}/replay", headers=headers)
        assert response.status_code == 200
        assert response.json()["state"] == "failed"  # still broken: a real replay, counted
        assert response.json()["attempts"] == 2
        missing = await http.post("/admin/events/nope/replay", headers=headers)
        assert missing.status_code == 404
        unauthorized = await http.post(f"/admin/events/{event_id}/replay")
        assert unauthorized.status_code == 401
    assert (await lesson_row(db, video.lesson_id))["status"] == "uploading"


def _cli(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_service(*args, env={**env, "LOG_LEVEL": "WARNING"}, cwd=cwd)


async def test_events_cli_lists_shows_and_replays(
    db: Database,
    client: httpx.AsyncClient,
    database_url: str,
    repo_env: dict[str, str],
    tmp_path: Path,
) -> None:
    video, dead_id = await _dead_ready_event(db, client)
    env = {**repo_env, "DATABASE_URL": database_url}
    listing = _cli(env, tmp_path, "events", "list", "--state", "dead")
    assert listing.returncode == 0 and dead_id in listing.stdout
    assert "carries no playback id" in listing.stdout
    shown = _cli(env, tmp_path, "events", "show", dead_id)
    assert json.loads(shown.stdout)["payload"]["type"] == "video.asset.ready"

    # Fix the cause (Mux now reports a playback id), then replay: the lesson publishes.
    async with db.service_session() as conn:
        await conn.execute(
            "update mux_events set payload = jsonb_set(payload, '{data,playback_ids}', "
            '\'[{"id": "fixed", "policy": "public"}]\') where id = %s',
            (dead_id,),
        )
    replayed = _cli(env, tmp_path, "events", "replay", dead_id)
    assert replayed.returncode == 0, replayed.stderr
    assert json.loads(replayed.stdout)["state"] == "applied"
    assert (await lesson_row(db, video.lesson_id))["mux_playback_id"] == "fixed"
    assert _cli(env, tmp_path, "events", "show", "nope").returncode == 1
    assert [r["state"] for r in await inbox_rows(db)] == ["applied"]


@pytest.mark.parametrize("args", [["events", "list", "--state", "bogus"], ["events"]])
def test_events_cli_refuses_bad_arguments(
    repo_env: dict[str, str], tmp_path: Path, args: list[str]
) -> None:
    assert _cli(repo_env, tmp_path, *args).returncode == 2


async def test_status_page_shows_mux_cleanups_and_retries_a_dead_one(
    db: Database, live_service: BackgroundServer
) -> None:
    video = Video(await create_lesson(db, await create_user(db)))
    await attach_upload(db, video.lesson_id, video.upload_id)
    async with db.service_session() as conn:
        await conn.execute("select public.mux_remove_video(%s)", (video.lesson_id,))
        await conn.execute(
            "update mux_cleanups set state = 'dead', attempts = 10, last_error = 'Mux answered 503'"
        )
        cur = await conn.execute("select id from mux_cleanups")
        row = await cur.fetchone()
    assert row is not None
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with (
        httpx.AsyncClient(base_url=live_service.url, timeout=10) as http,
        http.stream("GET", "/admin/stream", headers=headers) as stream,
    ):
        [snapshot] = await SseReader(stream).read(1)
        [shown] = snapshot["data"]["cleanups"]
        assert (shown["action"], shown["object_id"], shown["state"]) == (
            "cancel_upload",
            video.upload_id,
            "dead",
        )
        retried = await http.post(f"/admin/cleanups/{row['id']}/replay", headers=headers)
        assert (retried.status_code, retried.json()["state"]) == (200, "pending")
        missing = await http.post("/admin/cleanups/999999/replay", headers=headers)
        assert (missing.status_code, missing.json()["error"]["code"]) == (404, "cleanup_not_found")
        refused = await http.post(f"/admin/cleanups/{row['id']}/replay")
        assert refused.status_code == 401
    async with httpx.AsyncClient(base_url=live_service.url, timeout=10) as browser:
        await sign_in(browser)  # the page's cookie, not a bearer
        page = (await browser.get("/admin")).text
        csrf = page.split('name="csrf-token" content="')[1].split('"')[0]
        path = f"/admin/cleanups/{row['id']}/replay"
        forged = await browser.post(path)
        assert (forged.status_code, forged.json()["error"]["code"]) == (403, "csrf_failed")
        own = await browser.post(path, headers={"Origin": live_service.url, "X-CSRF-Token": csrf})
        assert (own.status_code, own.json()["state"]) == (200, "pending")


@pytest.mark.parametrize(
    ("kind", "raw", "code"),
    [
        ("cleanups", "%C2%B2", "cleanup_not_found"),  # "²": str.isdigit() is True, int() fails
        ("cleanups", "99999999999999999999", "cleanup_not_found"),  # past bigint
        ("cleanups", "9223372036854775808", "cleanup_not_found"),  # bigint's maximum + 1
        ("cleanups", "-1", "cleanup_not_found"),
        ("cleanups", "%EF%BC%91", "cleanup_not_found"),  # a full-width 1
        ("cleanups", "1%00", "cleanup_not_found"),
        ("cleanups", "9" * 4000, "cleanup_not_found"),
        ("events", "%00", "event_not_found"),  # PostgreSQL text cannot hold NUL
        ("events", "evt%00id", "event_not_found"),
        ("events", "%ED%A0%80", "event_not_found"),  # a lone surrogate's UTF-8
        ("events", "x" * 8000, "event_not_found"),
    ],
)
async def test_malformed_or_out_of_range_replay_ids_are_404(
    db: Database, author_settings: Settings, kind: str, raw: str, code: str
) -> None:
    app = create_app(dataclasses.replace(author_settings, admin_token=ADMIN_TOKEN), database=db)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        response = await http.post(
            f"/admin/{kind}/{raw}/replay", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        )
    assert (response.status_code, response.json()["error"]["code"]) == (404, code)


REFERRER_POLICIES = (
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
)


def _directives(csp: str) -> dict[str, str]:
    pairs = (d.strip().partition(" ") for d in csp.split(";") if d.strip())
    return {name: value for name, _, value in pairs}


async def test_operator_pages_and_every_response_carry_security_headers(
    live_service: BackgroundServer,
) -> None:
    """W4/W5: the status page cannot be framed by another site (clickjacking Replay), runs
    only its own inline script and style (by hash, no 'unsafe-inline'), and every response
    says nosniff and keeps URLs out of Referer."""
    async with httpx.AsyncClient(base_url=live_service.url, timeout=10) as http:
        login_page = await http.get("/admin")
        await sign_in(http)
        status_page = await http.get("/admin")
        others = [
            await http.get("/healthz"),
            await http.get(f"/api/lessons/{uuid.uuid4()}/video"),
            await http.post("/api/webhooks/mux", content=b"{}"),
            await http.get("/nowhere"),
        ]
    assert status_page.status_code == 200
    for page in (login_page, status_page):
        csp = page.headers["content-security-policy"]
        directives = _directives(csp)
        assert directives["default-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert page.headers["x-frame-options"] == "DENY"
        for tag in ("script", "style"):
            blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", page.text, re.DOTALL)
            for block in blocks:
                digest = base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()
                assert f"'sha256-{digest}'" in directives[f"{tag}-src"].split()
            if not blocks:
                assert f"{tag}-src" not in directives
    for response in (login_page, status_page, *others):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] in REFERRER_POLICIES
        assert _directives(response.headers["content-security-policy"])["frame-ancestors"] == (
            "'none'"
        )


class _BrokenDatabase:
    """A database whose every use fails unexpectedly (not a connection error): a 500."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError("a detail no caller may see")


async def test_an_unexpected_error_is_a_json_500_with_the_same_headers(
    author_settings: Settings,
) -> None:
    settings = dataclasses.replace(author_settings, admin_token=ADMIN_TOKEN)
    app = create_app(settings, database=_BrokenDatabase())  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        response = await http.post(
            "/admin/events/x/replay", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        )
    assert (response.status_code, response.json()["error"]["code"]) == (500, "internal_error")
    assert "no caller may see" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
