"""Bad input, every case asserted: status code, error code, and nothing written.

Plus a fuzz run over the webhook parser: correctly signed arbitrary bodies must never
produce a 500.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mux_emulator.server import BackgroundServer
from mux_emulator.signing import signature_header
from mux_emulator.store import Store
from service.database.pool import Database
from tests.factories import create_lesson, create_user, lesson_row
from tests.mux_scenario import TEST_SECRET, Video, attach_upload, inbox_rows, upload_at_mux
from tests.reliability.test_order_and_duplicates import EXAMPLES
from tests.tokens import JWT_SECRET, hs256

URL = "/api/webhooks/mux"
EVENT = Video(None).upload_created()
BODY = json.dumps(EVENT).encode()


def signed(body: bytes, *, secret: str = TEST_SECRET, skew: int = 0) -> dict[str, str]:
    return {"Mux-Signature": signature_header(body, secret, int(time.time()) + skew)}


def _envelope_without(field: str) -> bytes:
    return json.dumps({k: v for k, v in EVENT.items() if k != field}).encode()


# (name, body, headers for that body, status, error code)
WEBHOOK_CASES: list[tuple[str, bytes, Callable[[bytes], dict[str, Any]], int, str]] = [
    ("missing Mux-Signature", BODY, lambda body: {}, 401, "invalid_signature"),
    (
        "garbled Mux-Signature",
        BODY,
        lambda body: {"Mux-Signature": "t=now,v1=?"},
        401,
        "invalid_signature",
    ),
    (
        "wrong secret",
        BODY,
        lambda body: signed(body, secret="another-secret"),
        401,
        "invalid_signature",
    ),
    (
        "timestamp too old (replay)",
        BODY,
        lambda body: signed(body, skew=-301),
        401,
        "invalid_signature",
    ),
    (
        "timestamp in the future",
        BODY,
        lambda body: signed(body, skew=301),
        401,
        "invalid_signature",
    ),
    (
        "signature of a different body",
        BODY,
        lambda body: signed(b'{"other": 1}'),
        401,
        "invalid_signature",
    ),
    (
        "10,000-character header",
        BODY,
        lambda body: {"Mux-Signature": "t=1," + "v" * 9996},
        401,
        "invalid_signature",
    ),
    (
        "non-ASCII digit timestamp",
        BODY,
        lambda body: {"Mux-Signature": ("t=\u00b2,v1=" + "0" * 64).encode("latin-1")},
        401,
        "invalid_signature",
    ),
    (
        "400-digit timestamp",
        BODY,
        lambda body: {"Mux-Signature": "t=" + "9" * 400 + ",v1=" + "0" * 64},
        401,
        "invalid_signature",
    ),
    (
        "deeply nested signed body",
        b'{"id": "x", "type": "video.asset.ready", "data": {"a": '
        + b"[" * 100_000
        + b"]" * 100_000
        + b"}}",
        signed,
        400,
        "malformed_event",
    ),
    ("non-JSON body", b"<xml/>", signed, 400, "malformed_event"),
    ("JSON that is not an object", b"[1, 2, 3]", signed, 400, "malformed_event"),
    ("JSON string", b'"video.asset.ready"', signed, 400, "malformed_event"),
    ("missing type", _envelope_without("type"), signed, 400, "malformed_event"),
    ("missing id", _envelope_without("id"), signed, 400, "malformed_event"),
    ("missing data", _envelope_without("data"), signed, 400, "malformed_event"),
    (
        "data not an object",
        json.dumps({**EVENT, "data": [1]}).encode(),
        signed,
        400,
        "malformed_event",
    ),
    ("id not a string", json.dumps({**EVENT, "id": 42}).encode(), signed, 400, "malformed_event"),
    (
        "NaN in the body",
        BODY.replace(b'"timeout": 3600', b'"timeout": NaN'),
        signed,
        400,
        "malformed_event",
    ),
    (
        "NUL escape PostgreSQL cannot store",
        BODY.replace(b'"waiting"', b'"wait\\u0000"'),
        signed,
        400,
        "malformed_event",
    ),
    (
        "non-UTF-8 bytes",
        b'{"id": "\xff\xfe", "type": "x", "data": {}}',
        signed,
        400,
        "malformed_event",
    ),
    (
        "oversized body",
        b'{"pad": "' + b"x" * (1024 * 1024) + b'"}',
        signed,
        413,
        "payload_too_large",
    ),
]


@pytest.mark.parametrize(
    ("name", "body", "headers", "status", "code"),
    WEBHOOK_CASES,
    ids=[case[0] for case in WEBHOOK_CASES],
)
async def test_bad_webhook_is_refused_and_nothing_written(
    client: httpx.AsyncClient,
    db: Database,
    name: str,
    body: bytes,
    headers: Callable[[bytes], dict[str, Any]],
    status: int,
    code: str,
) -> None:
    response = await client.post(URL, content=body, headers=headers(body))
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert "Traceback" not in response.text
    assert await inbox_rows(db) == []


def _deep(levels: int) -> bytes:
    return b'{"lessonId": ' + b"[" * levels + b"]" * levels + b"}"


AUTHOR_ROUTES = [
    ("POST", "/api/mux/upload"),
    ("POST", "/api/lessons/update-upload-id"),
    ("GET", "/api/lessons/{lesson}"),
    ("GET", "/api/courses/{lesson}"),  # any id: the token is refused before it is looked up
    ("GET", "/api/lessons/{lesson}/video"),
    ("GET", "/api/lessons/{lesson}/events"),
    ("GET", "/api/courses"),
    ("POST", "/api/courses"),
    ("PATCH", "/api/courses/{lesson}"),
    ("DELETE", "/api/courses/{lesson}"),
    ("POST", "/api/courses/{lesson}/lessons"),
    ("PUT", "/api/courses/{lesson}/lesson-order"),
    ("PATCH", "/api/lessons/{lesson}"),
    ("DELETE", "/api/lessons/{lesson}"),
    ("GET", "/api/me/events"),
]


async def _every_author_route(
    http: httpx.AsyncClient, lesson: uuid.UUID, headers: dict[str, str], body: bytes = b"{}"
) -> list[httpx.Response]:
    responses = []
    for method, path in AUTHOR_ROUTES:
        url = path.format(lesson=lesson)
        content = body if method in ("POST", "PUT", "PATCH") else None
        responses.append(await http.request(method, url, content=content, headers=headers))
    return responses


async def _nothing_written(db: Database, lesson: uuid.UUID, before: dict[str, Any]) -> None:
    assert await lesson_row(db, lesson) == before
    assert await inbox_rows(db) == []
    async with db.service_session() as conn:
        cur = await conn.execute(
            "select (select count(*) from mux_call_log) + (select count(*) from mux_upload_lookups)"
            " as n"
        )
        assert await cur.fetchone() == {"n": 0}


@pytest.mark.parametrize("levels", [100, 5000])
async def test_deeply_nested_author_bodies_are_400(
    author_client: httpx.AsyncClient, db: Database, levels: int
) -> None:
    author = await create_user(db)
    lesson = await create_lesson(db, author)
    before = await lesson_row(db, lesson)
    headers = {"Authorization": f"Bearer {hs256(author)}", "Content-Type": "application/json"}
    for path in ("/api/mux/upload", "/api/lessons/update-upload-id"):
        response = await author_client.post(path, content=_deep(levels), headers=headers)
        assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_json")
    await _nothing_written(db, lesson, before)


@pytest.mark.parametrize(
    ("sub", "overrides", "status", "code"),
    [
        ("urn:uuid:{user}", {}, 401, "invalid_token"),
        ("{{{user}}}", {}, 401, "invalid_token"),
        ("{hex}", {}, 401, "invalid_token"),
        ("{user}", {"role": "service_role"}, 403, "role_not_allowed"),
        ("{user}", {"role": "anon"}, 403, "role_not_allowed"),
        ("{user}", {"role": None}, 403, "role_not_allowed"),
    ],
)
async def test_tokens_with_an_unusable_subject_or_role_are_refused_everywhere(
    author_client: httpx.AsyncClient,
    db: Database,
    sub: str,
    overrides: dict[str, Any],
    status: int,
    code: str,
) -> None:
    """Correctly signed, yet not a signed-in user's token: a clear 401/403, never a 500 and
    never run as something else (`service_role` used to run as `anon` with its `sub`)."""
    author = await create_user(db)
    lesson = await create_lesson(db, author)
    before = await lesson_row(db, lesson)
    token = hs256(sub.format(user=author, hex=author.hex), **overrides)
    body = json.dumps({"lessonId": str(lesson), "muxUploadId": "abc"}).encode()
    for response in await _every_author_route(
        author_client, lesson, {"Authorization": f"Bearer {token}"}, body
    ):
        assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    await _nothing_written(db, lesson, before)


async def test_unknown_event_type_is_recorded_as_ignored_and_nothing_else(
    client: httpx.AsyncClient, db: Database
) -> None:
    owner = await create_user(db)
    lesson = await create_lesson(db, owner)
    before = await lesson_row(db, lesson)
    body = json.dumps({**EVENT, "type": "video.asset.master.ready"}).encode()
    response = await client.post(URL, content=body, headers=signed(body))
    assert (response.status_code, response.json()["state"]) == (200, "ignored")
    assert [row["state"] for row in await inbox_rows(db)] == ["ignored"]
    assert await lesson_row(db, lesson) == before


async def test_a_lesson_that_does_not_exist_is_404_everywhere(
    author_client: httpx.AsyncClient, db: Database
) -> None:
    author = await create_user(db)
    headers = {"Authorization": f"Bearer {hs256(author)}"}
    missing = str(uuid.uuid4())
    upload = await author_client.post(
        "/api/mux/upload", json={"lessonId": missing}, headers=headers
    )
    attach = await author_client.post(
        "/api/lessons/update-upload-id",
        json={"lessonId": missing, "muxUploadId": "abc"},
        headers=headers,
    )
    video = await author_client.get(f"/api/lessons/{missing}/video", headers=headers)
    for response in (upload, attach, video):
        assert (response.status_code, response.json()["error"]["code"]) == (
            404,
            "lesson_not_found",
        )
    async with db.service_session() as conn:
        cur = await conn.execute("select count(*) as n from lessons")
        assert await cur.fetchone() == {"n": 0}
    assert await inbox_rows(db) == []


async def test_an_upload_of_another_authors_lesson_cannot_be_taken(
    author_client: httpx.AsyncClient, db: Database, mux_store: Store
) -> None:
    victim = await create_user(db)
    victim_lesson = await create_lesson(db, victim)
    upload = upload_at_mux(mux_store, victim_lesson)
    video = Video(victim_lesson, upload_id=upload.id)
    await attach_upload(db, victim_lesson, video.upload_id)
    thief = await create_user(db)
    thief_lesson = await create_lesson(db, thief)
    before = [await lesson_row(db, victim_lesson), await lesson_row(db, thief_lesson)]
    response = await author_client.post(
        "/api/lessons/update-upload-id",
        json={"lessonId": str(thief_lesson), "muxUploadId": video.upload_id},
        headers={"Authorization": f"Bearer {hs256(thief)}"},
    )
    assert response.status_code in (404, 409)  # Mux says it is not the thief's (or unknown)
    assert response.json()["error"]["code"] in (
        "upload_not_found",
        "upload_in_use",
        "upload_mismatch",
    )
    assert [await lesson_row(db, victim_lesson), await lesson_row(db, thief_lesson)] == before


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
envelopes = st.fixed_dictionaries(
    {},
    optional={
        "id": st.text(max_size=300) | json_values,
        "type": st.sampled_from(
            [
                "video.asset.ready",
                "video.upload.created",
                "video.asset.errored",
                "video.asset.deleted",
            ]
        )
        | st.text(max_size=40)
        | json_values,
        "data": st.fixed_dictionaries(
            {},
            optional={
                "id": json_values,
                "upload_id": json_values,
                "asset_id": json_values,
                "playback_ids": json_values,
                "duration": json_values,
                "passthrough": json_values,
                "errors": json_values,
                "new_asset_settings": json_values,
                "status": json_values,
            },
        )
        | json_values,
        "created_at": json_values,
    },
)
bodies = envelopes.map(lambda value: json.dumps(value).encode()) | st.binary(max_size=300)


@settings(
    max_examples=EXAMPLES * 3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies)
async def test_fuzzed_signed_bodies_never_produce_a_500(
    client: httpx.AsyncClient, body: bytes
) -> None:
    response = await client.post(URL, content=body, headers=signed(body))
    assert response.status_code in (200, 400), (response.status_code, response.text, body)
    payload: dict[str, Any] = response.json()
    assert (
        ("received" in payload)
        if response.status_code == 200
        else (payload["error"]["code"] == "malformed_event")
    )


# --- fuzzing headers and author bodies: never a 500, nothing written ---------------------------

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# What an HTTP client can put in a header value: latin-1 text without CR, LF or NUL.
header_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=200,
)
digits = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.text("0123456789\u00b2\u00b3\u00b9", min_size=1, max_size=400),  # Unicode digits too
)
signature_items = st.tuples(
    st.sampled_from(["t", "v1", "v0", "v2", "", " t", "T", "v1 "]),
    st.one_of(
        digits,
        st.just(str(int(time.time()))),
        st.text("0123456789abcdefABCDEF", min_size=60, max_size=68),
        header_text,
    ),
)
mux_signatures = st.one_of(
    header_text,
    st.lists(signature_items, max_size=12).map(
        lambda items: ",".join(f"{key}={value}" for key, value in items)
    ),
)


@FUZZ
@given(header=mux_signatures)
async def test_fuzzed_mux_signature_headers_are_401_and_store_nothing(
    client: httpx.AsyncClient, db: Database, header: str
) -> None:
    response = await client.post(
        URL, content=BODY, headers={"Mux-Signature": header.encode("latin-1")}
    )
    assert (response.status_code, response.json()["error"]["code"]) == (401, "invalid_signature")
    assert await inbox_rows(db) == []


claim_values = json_values | st.sampled_from(["authenticated", "service_role", "anon"])
fuzzed_claims = st.fixed_dictionaries(
    {},
    optional={
        "sub": st.uuids().map(str) | st.uuids().map(lambda u: f"urn:uuid:{u}") | claim_values,
        "role": claim_values,
        "aud": st.just("authenticated") | claim_values,
        "exp": st.just(int(time.time()) + 3600) | claim_values,
        "iat": claim_values,
        "nbf": claim_values,
        "is_anonymous": claim_values,
        "email": claim_values,
    },
)
authorizations = st.one_of(
    header_text,
    header_text.map(lambda text: f"Bearer {text}"),
    # Correctly signed tokens with arbitrary claims: the claims themselves are the input.
    fuzzed_claims.map(lambda claims: "Bearer " + jwt.encode(claims, JWT_SECRET, algorithm="HS256")),
)


@FUZZ
@given(authorization=authorizations)
async def test_fuzzed_authorization_headers_never_produce_a_500_or_a_write(
    author_client: httpx.AsyncClient, db: Database, authorization: str
) -> None:
    lesson = await _fuzz_lesson(db)
    before = await lesson_row(db, lesson)
    body = json.dumps({"lessonId": str(lesson), "muxUploadId": "abc"}).encode()
    headers = {"Authorization": authorization.encode("latin-1")}
    for response in await _every_author_route(author_client, lesson, headers, body):
        assert response.status_code in (401, 403, 404), response.text
        assert response.json()["error"]["code"]
    await _nothing_written(db, lesson, before)


author_bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.fixed_dictionaries(
        {}, optional={"lessonId": json_values | st.uuids().map(str), "muxUploadId": json_values}
    ).map(lambda value: json.dumps(value).encode()),
    st.integers(min_value=1, max_value=3000).map(_deep),
)


@FUZZ
@given(body=author_bodies)
async def test_fuzzed_author_bodies_never_produce_a_500_or_a_write(
    author_client: httpx.AsyncClient, db: Database, body: bytes
) -> None:
    lesson = await _fuzz_lesson(db)
    owner = await _fuzz_owner(db)
    before = await lesson_row(db, lesson)
    headers = {"Authorization": f"Bearer {hs256(owner)}", "Content-Type": "application/json"}
    for path in ("/api/mux/upload", "/api/lessons/update-upload-id"):
        response = await author_client.post(path, content=body, headers=headers)
        assert response.status_code in (400, 404, 413, 422), (response.status_code, response.text)
    await _nothing_written(db, lesson, before)


workspace_bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.fixed_dictionaries(
        {},
        optional={
            "title": json_values | st.text(max_size=250),
            "description": json_values,
            "revision": json_values | st.integers(),
            "lessonIds": json_values | st.lists(st.uuids().map(str), max_size=3),
        },
    ).map(lambda value: json.dumps(value).encode()),
    st.integers(min_value=1, max_value=3000).map(_deep),
)


@FUZZ
@given(body=workspace_bodies)
async def test_fuzzed_workspace_bodies_never_produce_a_500_or_break_positions(
    author_client: httpx.AsyncClient, db: Database, body: bytes
) -> None:
    owner, lesson = await _fuzz_pair(db)
    course = (await lesson_row(db, lesson))["course_id"]
    headers = {"Authorization": f"Bearer {hs256(owner)}", "Content-Type": "application/json"}
    for method, path in (
        ("POST", "/api/courses"),
        ("PATCH", f"/api/courses/{course}"),
        ("POST", f"/api/courses/{course}/lessons"),
        ("PUT", f"/api/courses/{course}/lesson-order"),
        ("PATCH", f"/api/lessons/{lesson}"),
    ):
        response = await author_client.request(method, path, content=body, headers=headers)
        assert response.status_code in (200, 201, 400, 409, 413, 422), (
            method,
            path,
            response.status_code,
            response.text,
        )
        if response.status_code >= 400:
            assert response.json()["error"]["code"]
    rows = await db.call_all(
        "select position from lessons where course_id = %s order by position", (course,)
    )
    assert [row["position"] for row in rows] == list(range(1, len(rows) + 1))


@FUZZ
@given(last_event_id=header_text | digits)
async def test_fuzzed_last_event_id_never_breaks_a_stream(
    db: Database, live_service: BackgroundServer, last_event_id: str
) -> None:
    lesson = await _fuzz_lesson(db)
    owner = await _fuzz_owner(db)
    headers = {
        "Authorization": f"Bearer {hs256(owner)}",
        "Last-Event-ID": last_event_id.strip(" \t").encode("latin-1"),  # as on the wire
    }
    async with (
        httpx.AsyncClient(base_url=live_service.url, timeout=10) as http,
        http.stream("GET", f"/api/lessons/{lesson}/events", headers=headers) as stream,
    ):
        assert stream.status_code == 200
        first = await anext(stream.aiter_lines())
    assert first.startswith("retry: ") and 3000 <= int(first.removeprefix("retry: ")) <= 6000


async def _fuzz_pair(db: Database) -> tuple[uuid.UUID, uuid.UUID]:
    """One owner and lesson per test database (the db fixture is not reset between examples)."""
    async with db.service_session() as conn:
        cur = await conn.execute(
            "select l.id, c.owner_id from lessons l join courses c on c.id = l.course_id limit 1"
        )
        row = await cur.fetchone()
    if row is not None:
        return row["owner_id"], row["id"]
    owner = await create_user(db)
    return owner, await create_lesson(db, owner)


async def _fuzz_lesson(db: Database) -> uuid.UUID:
    return (await _fuzz_pair(db))[1]


async def _fuzz_owner(db: Database) -> uuid.UUID:
    return (await _fuzz_pair(db))[0]
