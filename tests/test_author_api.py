"""The author API through HTTP, with the real mux-python client talking to the emulator."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import time
import uuid
from typing import Any

import httpx
import jwt
import pytest

from mux_emulator.store import Store
from service.app import create_app
from service.database.pool import Database
from service.settings import Settings
from tests.factories import create_lesson, create_user, lesson_row
from tests.mux_scenario import Video, deliver, inbox_rows, upload_at_mux
from tests.tokens import SigningKey, hs256, unsigned

ORIGIN = "http://localhost:3000"


def _auth(user: uuid.UUID) -> dict[str, str]:
    return {"Authorization": f"Bearer {hs256(user)}"}


async def _author_and_lesson(db: Database) -> tuple[uuid.UUID, uuid.UUID]:
    author = await create_user(db)
    return author, await create_lesson(db, author)


async def _request_upload(
    client: httpx.AsyncClient, user: uuid.UUID, lesson: uuid.UUID
) -> httpx.Response:
    return await client.post(
        "/api/mux/upload",
        json={"lessonId": str(lesson)},
        headers={**_auth(user), "Origin": ORIGIN},
    )


# --- creating uploads -------------------------------------------------------------------------


async def test_owner_gets_an_upload_url_tied_to_the_lesson(
    author_client: httpx.AsyncClient, db: Database, mux_store: Store
) -> None:
    author, lesson = await _author_and_lesson(db)
    response = await _request_upload(author_client, author, lesson)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["lessonId"] == str(lesson) and body["status"] == "uploading"
    assert (body["video"]["lessonId"], body["video"]["status"]) == (str(lesson), "uploading")
    upload = mux_store.uploads[body["uploadId"]]
    assert body["url"] == upload.url
    assert upload.cors_origin == ORIGIN
    assert upload.passthrough == str(lesson)
    assert upload.playback_policies == ["public"]
    row = await lesson_row(db, lesson)
    assert (row["status"], row["mux_upload_id"]) == ("uploading", body["uploadId"])

    # Mux's asset_created may arrive a millisecond later: the lesson already carries the upload.
    video = Video(lesson, upload_id=body["uploadId"])
    assert (await deliver(author_client, video.upload_asset_created())).json()["state"] == "applied"
    assert (await lesson_row(db, lesson))["status"] == "processing"


async def _refusal_cases(db: Database) -> list[tuple[str, dict[str, str], int, str]]:
    stranger = await create_user(db)
    key = SigningKey("ES256")
    return [
        ("another author", _auth(stranger), 404, "lesson_not_found"),
        ("anonymous", {}, 401, "missing_token"),
        (
            "expired",
            {"Authorization": f"Bearer {hs256(stranger, expires_in=-60)}"},
            401,
            "token_expired",
        ),
        (
            "wrong key",
            {
                "Authorization": "Bearer "
                + hs256(stranger, secret="some-other-project-secret-of-32-chars")
            },
            401,
            "invalid_token",
        ),
        (
            "aud anon",
            {"Authorization": f"Bearer {hs256(stranger, aud='anon')}"},
            401,
            "invalid_token",
        ),
        ("alg none", {"Authorization": f"Bearer {unsigned(stranger)}"}, 401, "invalid_token"),
        (
            "unknown ES256 key",
            {"Authorization": f"Bearer {key.token(stranger)}"},
            401,
            "invalid_token",
        ),
        ("not bearer", {"Authorization": "Basic abc"}, 401, "invalid_token"),
    ]


async def test_refused_callers_change_nothing_and_never_reach_mux(
    author_client: httpx.AsyncClient, db: Database, mux_store: Store, respx_mock: Any
) -> None:
    respx_mock.get(url__regex=r".*/jwks\.json").mock(
        return_value=httpx.Response(200, json={"keys": [SigningKey().jwk()]})
    )
    _, lesson = await _author_and_lesson(db)
    before = await lesson_row(db, lesson)
    calls = mux_store.requests["create_upload"]
    for name, headers, status, code in await _refusal_cases(db):
        for path, body in (
            ("/api/mux/upload", {"lessonId": str(lesson)}),
            ("/api/lessons/update-upload-id", {"lessonId": str(lesson), "muxUploadId": "abc"}),
        ):
            response = await author_client.post(path, json=body, headers=headers)
            assert (response.status_code, response.json()["error"]["code"]) == (status, code), (
                name,
                path,
            )
    assert await lesson_row(db, lesson) == before
    assert mux_store.requests["create_upload"] == calls


async def test_a_published_lesson_is_readable_by_all_but_changeable_only_by_its_owner(
    author_client: httpx.AsyncClient, db: Database, mux_store: Store
) -> None:
    author, lesson = await _author_and_lesson(db)
    upload_id = (await _request_upload(author_client, author, lesson)).json()["uploadId"]
    await deliver(author_client, Video(lesson, upload_id=upload_id).asset_ready())
    stranger = await create_user(db)
    assert (await author_client.get(f"/api/lessons/{lesson}/video")).status_code == 200
    calls = mux_store.requests["create_upload"]
    response = await _request_upload(author_client, stranger, lesson)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "lesson_not_found")
    assert mux_store.requests["create_upload"] == calls
    assert (await lesson_row(db, lesson))["mux_upload_id"] == upload_id


@pytest.mark.parametrize(
    ("fault", "code"),
    [("down", "mux_unavailable"), ("503", "mux_unavailable"), ("credentials", "mux_rejected")],
)
async def test_mux_failure_is_502_and_leaves_the_lesson_unchanged(
    db: Database, author_settings: Settings, mux_store: Store, fault: str, code: str
) -> None:
    settings = author_settings
    if fault == "down":
        settings = dataclasses.replace(settings, mux_api_url="http://127.0.0.1:1")
    elif fault == "credentials":
        settings = dataclasses.replace(settings, mux_token_secret="wrong")
    else:
        mux_store.fault_status, mux_store.fault_count = 503, 1
    author, lesson = await _author_and_lesson(db)
    before = await lesson_row(db, lesson)
    app = create_app(settings, database=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await _request_upload(client, author, lesson)
    assert response.status_code == 502
    assert response.json()["error"]["code"] == code
    assert await lesson_row(db, lesson) == before
    assert await inbox_rows(db) == []


async def test_a_new_upload_supersedes_the_old_and_keeps_playing_the_old_video(
    author_client: httpx.AsyncClient, db: Database
) -> None:
    author, lesson = await _author_and_lesson(db)
    first = Video(
        lesson, upload_id=(await _request_upload(author_client, author, lesson)).json()["uploadId"]
    )
    for payload in first.ready_path():
        await deliver(author_client, payload)
    second_id = (await _request_upload(author_client, author, lesson)).json()["uploadId"]
    row = await lesson_row(db, lesson)
    assert (row["status"], row["mux_upload_id"], row["mux_playback_id"]) == (
        "uploading",
        second_id,
        first.playback_id,
    )
    late = first.asset_ready()
    assert (await deliver(author_client, late)).json()["state"] == "ignored"
    assert (await lesson_row(db, lesson))["mux_upload_id"] == second_id


async def test_upload_creation_is_rate_limited_per_user(
    author_client: httpx.AsyncClient, db: Database, author_settings: Settings
) -> None:
    author, lesson = await _author_and_lesson(db)
    limit = author_settings.upload_rate_limit_per_minute
    for _ in range(limit):
        assert (await _request_upload(author_client, author, lesson)).status_code == 201
    refused = await _request_upload(author_client, author, lesson)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    other, other_lesson = await _author_and_lesson(db)
    assert (await _request_upload(author_client, other, other_lesson)).status_code == 201


async def test_the_limit_is_a_sliding_window_not_fixed_windows(db: Database) -> None:
    """Fixed windows let twice the limit through across a boundary: 5 just before it, 5 just
    after. With a 1-second window, 5 slots taken in the last 0.1 s before a whole second
    and 5 more just after must leave the second 5 refused."""
    user = str(await create_user(db))

    async def take() -> bool:
        row = await db.call("select allowed from public.take_upload_slot(%s, 5, 1)", (user,))
        assert row is not None
        return bool(row["allowed"])

    await asyncio.sleep(1.9 - time.time() % 1)  # 0.9 s into a second, as PostgreSQL sees it too
    first = [await take() for _ in range(5)]
    await asyncio.sleep(1.05 - time.time() % 1)  # just past the boundary
    second = [await take() for _ in range(5)]
    assert first == [True] * 5
    assert second == [False] * 5
    await asyncio.sleep(1.0)
    assert await take()  # a full window later the slots are free again


async def test_upload_lookups_share_the_limit_and_are_not_repeated_at_mux(
    author_client: httpx.AsyncClient,
    db: Database,
    mux_store: Store,
    author_settings: Settings,
) -> None:
    """`update-upload-id` costs a Mux call per new upload id: it spends the same per-user
    budget as upload creation, and reporting the same upload again asks Mux nothing."""
    author, lesson = await _author_and_lesson(db)
    known = upload_at_mux(mux_store, passthrough=uuid.uuid4()).id  # made for another lesson
    before = mux_store.requests["get_upload"]

    async def report(upload_id: str) -> httpx.Response:
        return await author_client.post(
            "/api/lessons/update-upload-id",
            json={"lessonId": str(lesson), "muxUploadId": upload_id},
            headers=_auth(author),
        )

    for _ in range(3):
        assert (await report(known)).json()["error"]["code"] == "upload_mismatch"
        assert (await report("noSuchUpload")).json()["error"]["code"] == "upload_not_found"
    assert mux_store.requests["get_upload"] - before == 2  # one per distinct upload
    limit = author_settings.upload_rate_limit_per_minute
    assert (await _request_upload(author_client, author, lesson)).status_code == 201
    for i in range(limit - 3):
        assert (await report(f"unknown{i}")).status_code == 404
    refused = await report("oneTooMany")
    assert (refused.status_code, refused.json()["error"]["code"]) == (429, "rate_limited")
    assert int(refused.headers["retry-after"]) >= 1
    assert mux_store.requests["get_upload"] - before == limit - 1
    assert (await _request_upload(author_client, author, lesson)).status_code == 429


async def test_anonymous_supabase_users_cannot_make_uploads(
    author_client: httpx.AsyncClient, db: Database, mux_store: Store
) -> None:
    user, lesson = await _author_and_lesson(db)
    headers = {"Authorization": f"Bearer {hs256(user, is_anonymous=True)}", "Origin": ORIGIN}
    calls = dict(mux_store.requests)
    before = await lesson_row(db, lesson)
    for path, body in (
        ("/api/mux/upload", {"lessonId": str(lesson)}),
        ("/api/lessons/update-upload-id", {"lessonId": str(lesson), "muxUploadId": "abc"}),
    ):
        response = await author_client.post(path, json=body, headers=headers)
        assert (response.status_code, response.json()["error"]["code"]) == (
            403,
            "anonymous_not_allowed",
        )
    assert await lesson_row(db, lesson) == before
    assert dict(mux_store.requests) == calls


async def test_anonymous_uploads_can_be_allowed_by_a_setting(
    db: Database, author_settings: Settings
) -> None:
    user, lesson = await _author_and_lesson(db)
    app = create_app(
        dataclasses.replace(author_settings, allow_anonymous_uploads=True), database=db
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        response = await http.post(
            "/api/mux/upload",
            json={"lessonId": str(lesson)},
            headers={"Authorization": f"Bearer {hs256(user, is_anonymous=True)}"},
        )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({}, 422, "invalid_request", "lessonId"),
        ({"lessonId": 42}, 422, "invalid_request", "lessonId"),
        ({"lessonId": "lesson-1"}, 422, "invalid_request", "lessonId"),
        ([1], 400, "invalid_json", None),
        ("{not json", 400, "invalid_json", None),
        ({"lessonId": "x" * 20_000}, 413, "payload_too_large", None),
    ],
)
async def test_bad_bodies_are_refused_with_the_field_named(
    author_client: httpx.AsyncClient,
    db: Database,
    body: Any,
    status: int,
    code: str,
    field: str | None,
) -> None:
    author = await create_user(db)
    kwargs: dict[str, Any] = {"content": body} if isinstance(body, str) else {"json": body}
    response = await author_client.post("/api/mux/upload", headers=_auth(author), **kwargs)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code and error.get("field") == field


async def test_cors_preflight_allows_only_configured_origins(
    author_client: httpx.AsyncClient,
) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    allowed = await author_client.options(
        "/api/mux/upload", headers={**preflight, "Origin": ORIGIN}
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    denied = await author_client.options(
        "/api/mux/upload", headers={**preflight, "Origin": "https://evil.example"}
    )
    assert denied.status_code == 400
    assert "access-control-allow-origin" not in denied.headers


# --- the old flow: update-upload-id ---------------------------------------------------------


async def test_update_upload_id_applies_events_that_arrived_first(
    author_client: httpx.AsyncClient, db: Database, mux_store: Store
) -> None:
    author, lesson = await _author_and_lesson(db)
    video = Video(lesson, upload_id=upload_at_mux(mux_store, lesson).id)
    for payload in video.ready_path():
        assert (await deliver(author_client, payload)).json()["state"] == "unmatched"
    response = await author_client.post(
        "/api/lessons/update-upload-id",
        json={"lessonId": str(lesson), "muxUploadId": video.upload_id},
        headers=_auth(author),
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "published"
    assert response.json()["playbackId"] == video.playback_id
    assert {r["state"] for r in await inbox_rows(db)} == {"applied"}

    gets = mux_store.requests["get_upload"]
    again = await author_client.post(
        "/api/lessons/update-upload-id",
        json={"lessonId": str(lesson), "muxUploadId": video.upload_id},
        headers=_auth(author),
    )
    assert again.status_code == 200 and again.json() == response.json()
    assert mux_store.requests["get_upload"] == gets  # idempotent, and no needless Mux call


async def test_update_upload_id_refuses_an_upload_made_for_another_lesson(
    author_client: httpx.AsyncClient, db: Database, mux_store: Store
) -> None:
    author, lesson = await _author_and_lesson(db)
    other_lesson = await create_lesson(db, author)
    upload_id = upload_at_mux(mux_store, other_lesson).id
    response = await author_client.post(
        "/api/lessons/update-upload-id",
        json={"lessonId": str(lesson), "muxUploadId": upload_id},
        headers=_auth(author),
    )
    assert (response.status_code, response.json()["error"]["code"]) == (409, "upload_mismatch")
    assert (await lesson_row(db, lesson))["mux_upload_id"] is None


async def test_update_upload_id_refuses_unknown_and_taken_uploads(
    author_client: httpx.AsyncClient, db: Database, mux_store: Store
) -> None:
    author, lesson = await _author_and_lesson(db)
    unknown = await author_client.post(
        "/api/lessons/update-upload-id",
        json={"lessonId": str(lesson), "muxUploadId": "noSuchUpload"},
        headers=_auth(author),
    )
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "upload_not_found")

    # An old-flow upload (no passthrough) already attached by another author.
    other_author, other_lesson = await _author_and_lesson(db)
    taken = upload_at_mux(mux_store).id
    attached = await author_client.post(
        "/api/lessons/update-upload-id",
        json={"lessonId": str(other_lesson), "muxUploadId": taken},
        headers=_auth(other_author),
    )
    assert attached.status_code == 200
    response = await author_client.post(
        "/api/lessons/update-upload-id",
        json={"lessonId": str(lesson), "muxUploadId": taken},
        headers=_auth(author),
    )
    assert (response.status_code, response.json()["error"]["code"]) == (409, "upload_in_use")


# --- reading video state --------------------------------------------------------------------


async def test_video_is_visible_to_the_owner_and_to_everyone_once_published(
    author_client: httpx.AsyncClient, db: Database
) -> None:
    author, lesson = await _author_and_lesson(db)
    stranger = await create_user(db)
    path = f"/api/lessons/{lesson}/video"
    owner_view = await author_client.get(path, headers=_auth(author))
    assert owner_view.status_code == 200 and owner_view.json()["status"] == "draft"
    for headers in ({}, _auth(stranger)):
        hidden = await author_client.get(path, headers=headers)
        assert (hidden.status_code, hidden.json()["error"]["code"]) == (404, "lesson_not_found")

    upload_id = (await _request_upload(author_client, author, lesson)).json()["uploadId"]
    video = Video(lesson, upload_id=upload_id)
    await deliver(author_client, video.asset_ready())
    public_view = await author_client.get(path)
    assert public_view.status_code == 200
    body = public_view.json()
    assert {
        k: body[k]
        for k in (
            "status",
            "playbackId",
            "playbackPolicy",
            "durationSeconds",
            "aspectRatio",
            "error",
        )
    } == {
        "status": "published",
        "playbackId": video.playback_id,
        "playbackPolicy": "public",
        "durationSeconds": video.duration,
        "aspectRatio": "16:9",
        "error": None,
    }
    assert "playbackToken" not in body and body["statusChangedAt"]


async def test_malformed_lesson_id_is_404(author_client: httpx.AsyncClient) -> None:
    response = await author_client.get("/api/lessons/not-a-uuid/video")
    assert response.status_code == 404


async def test_signed_playback_gets_a_short_lived_token(
    db: Database, author_settings: Settings
) -> None:
    signing = SigningKey("RS256", kid="mux-signing-key-id")
    settings = dataclasses.replace(
        author_settings,
        mux_playback_policy="signed",
        mux_signing_key_id=signing.kid,
        mux_signing_private_key=signing.private_pem_b64(),
        playback_token_ttl_seconds=600,
    )
    author, lesson = await _author_and_lesson(db)
    app = create_app(settings, database=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        upload_id = (await _request_upload(client, author, lesson)).json()["uploadId"]
        video = Video(lesson, upload_id=upload_id, policy="signed")
        await deliver(client, video.asset_ready())
        await deliver(client, video.rendition("ready"))
        body = (await client.get(f"/api/lessons/{lesson}/video")).json()
    assert body["playbackPolicy"] == "signed"
    token = body["playbackToken"]
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "kid": signing.kid, "typ": "JWT"}
    claims = jwt.decode(token, signing.private.public_key(), algorithms=["RS256"], audience="v")
    assert claims["sub"] == video.playback_id
    assert 0 < claims["exp"] - time.time() <= 600
    # thumbnails and storyboards need tokens of their own audience
    for field, base, audience in (
        ("thumbnailUrl", "thumbnail.jpg", "t"),
        ("storyboardUrl", "storyboard.vtt", "s"),
    ):
        url, _, query = body[field].partition("?token=")
        assert url == f"https://image.mux.com/{video.playback_id}/{base}"
        image_claims = jwt.decode(
            query, signing.private.public_key(), algorithms=["RS256"], audience=audience
        )
        assert image_claims["sub"] == video.playback_id
    [download] = body["downloads"]
    url, _, query = download["url"].partition("?token=")
    assert url == f"https://stream.mux.com/{video.playback_id}/highest.mp4"
    assert jwt.decode(query, signing.private.public_key(), algorithms=["RS256"], audience="v")


def test_a_signing_key_that_is_not_a_key_stops_start_up() -> None:
    from service.settings import SettingsError

    env = {
        "MUX_PLAYBACK_POLICY": "signed",
        "MUX_SIGNING_KEY_ID": "k",
        "MUX_SIGNING_PRIVATE_KEY": base64.b64encode(b"not a key").decode(),
    }
    with pytest.raises(SettingsError, match="MUX_SIGNING_PRIVATE_KEY"):
        Settings.from_env(env, dotenv_path=None)
