"""The lesson video state machine (one SQL function), driven through the webhook route.

Mux does not promise order and may deliver an event more than once: whatever the order,
the lesson must end in the state its current upload's events imply.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from service.database.pool import Database
from tests.factories import claims_for, create_lesson, create_user, lesson_row
from tests.mux_scenario import Video, attach_upload, deliver, inbox_rows


async def _video(db: Database, owner: uuid.UUID | None = None) -> Video:
    owner = owner or await create_user(db)
    video = Video(await create_lesson(db, owner))
    await attach_upload(db, video.lesson_id, video.upload_id)
    return video


async def _deliver_all(client: httpx.AsyncClient, events: list[dict[str, Any]]) -> None:
    for payload in events:
        response = await deliver(client, payload)
        assert response.status_code == 200, response.text


async def _state(db: Database, video: Video) -> dict[str, Any]:
    assert video.lesson_id
    return await lesson_row(db, video.lesson_id)


def _published_as(row: dict[str, Any], video: Video) -> bool:
    return (
        row["status"] == "published"
        and row["mux_upload_id"] == video.upload_id
        and row["mux_asset_id"] == video.asset_id
        and row["mux_playback_id"] == video.playback_id
    )


# --- each event's effect -------------------------------------------------------------------


async def test_upload_created_changes_nothing(client: httpx.AsyncClient, db: Database) -> None:
    video = await _video(db)
    before = await _state(db, video)
    await _deliver_all(client, [video.upload_created()])
    assert await _state(db, video) == before
    assert [r["state"] for r in await inbox_rows(db)] == ["applied"]


@pytest.mark.parametrize("step", ["upload_asset_created", "asset_created"])
async def test_asset_creation_moves_uploading_to_processing(
    client: httpx.AsyncClient, db: Database, step: str
) -> None:
    video = await _video(db)
    await _deliver_all(client, [getattr(video, step)()])
    row = await _state(db, video)
    assert (row["status"], row["mux_asset_id"]) == ("processing", video.asset_id)


async def test_ready_publishes_with_every_video_field(
    client: httpx.AsyncClient, db: Database
) -> None:
    video = await _video(db)
    await _deliver_all(client, [video.asset_ready()])
    row = await _state(db, video)
    assert _published_as(row, video)
    assert (row["playback_policy"], row["duration_seconds"], row["aspect_ratio"]) == (
        "public",
        23.857167,
        "16:9",
    )
    assert row["video_error"] is None


async def test_ready_prefers_the_playback_id_of_the_configured_policy(
    client: httpx.AsyncClient, db: Database
) -> None:
    video = await _video(db)
    ids = [{"id": "signed-id", "policy": "signed"}, {"id": "public-id", "policy": "public"}]
    await _deliver_all(client, [video.asset_ready(playback_ids=ids)])
    row = await _state(db, video)
    assert (row["mux_playback_id"], row["playback_policy"]) == ("public-id", "public")


async def test_ready_falls_back_to_the_first_playback_id(
    client: httpx.AsyncClient, db: Database
) -> None:
    video = await _video(db)
    ids = [{"id": "s1", "policy": "signed"}, {"id": "s2", "policy": "signed"}]
    await _deliver_all(client, [video.asset_ready(playback_ids=ids)])
    row = await _state(db, video)
    assert (row["mux_playback_id"], row["playback_policy"]) == ("s1", "signed")


async def test_asset_errored_records_what_mux_said(client: httpx.AsyncClient, db: Database):
    video = await _video(db)
    await _deliver_all(client, [video.asset_errored()])
    row = await _state(db, video)
    assert row["status"] == "errored"
    assert row["video_error"] == "invalid_input: The file is not a video"


async def test_upload_errored_and_cancelled(client: httpx.AsyncClient, db: Database) -> None:
    errored, cancelled, timed_out = await _video(db), await _video(db), await _video(db)
    await _deliver_all(
        client,
        [
            errored.upload_errored(),
            cancelled.upload_cancelled(),
            timed_out.upload_cancelled(status="timed_out"),
        ],
    )
    assert (await _state(db, errored))["status"] == "errored"
    assert (await _state(db, errored))["video_error"] == (
        "invalid_input: The file could not be read"
    )
    assert (await _state(db, cancelled))["status"] == "cancelled"
    assert "cancelled" in (await _state(db, cancelled))["video_error"]
    assert "timed out" in (await _state(db, timed_out))["video_error"]


async def test_deleting_the_current_asset_returns_the_lesson_to_draft(
    client: httpx.AsyncClient, db: Database
) -> None:
    video = await _video(db)
    await _deliver_all(client, [*video.ready_path(), video.asset_deleted()])
    row = await _state(db, video)
    assert (row["status"], row["mux_playback_id"]) == ("draft", None)


async def test_a_late_ready_after_deletion_does_not_resurrect_the_video(
    client: httpx.AsyncClient, db: Database
) -> None:
    video = await _video(db)
    await _deliver_all(client, [video.asset_deleted(), *video.ready_path()])
    row = await _state(db, video)
    assert (row["status"], row["mux_playback_id"]) == ("draft", None)


async def test_status_changed_at_moves_only_when_status_changes(
    client: httpx.AsyncClient, db: Database
) -> None:
    video = await _video(db)
    await _deliver_all(client, [video.asset_ready()])
    published_at = (await _state(db, video))["status_changed_at"]
    await _deliver_all(client, [video.upload_asset_created(), video.asset_ready()])
    assert (await _state(db, video))["status_changed_at"] == published_at


# --- order independence ------------------------------------------------------------------


async def test_every_order_of_the_ready_path_publishes(
    client: httpx.AsyncClient, db: Database
) -> None:
    owner = await create_user(db)
    for order in itertools.permutations(range(4)):
        video = await _video(db, owner)
        events = video.ready_path()
        await _deliver_all(client, [events[i] for i in order])
        assert _published_as(await _state(db, video), video), order


async def test_every_order_with_every_event_delivered_twice_publishes(
    client: httpx.AsyncClient, db: Database
) -> None:
    owner = await create_user(db)
    rng = random.Random(4)
    for order in itertools.permutations(range(4)):
        video = await _video(db, owner)
        events = video.ready_path()
        doubled = [events[i] for i in order] * 2
        rng.shuffle(doubled)
        await _deliver_all(client, doubled)
        assert _published_as(await _state(db, video), video), order
    ids = [r["id"] for r in await inbox_rows(db)]
    assert len(ids) == len(set(ids)) == 24 * 4


@pytest.mark.parametrize("twice", [False, True])
async def test_every_order_of_the_errored_path_errors(
    client: httpx.AsyncClient, db: Database, twice: bool
) -> None:
    owner = await create_user(db)
    for order in itertools.permutations(range(4)):
        video = await _video(db, owner)
        events = [video.errored_path()[i] for i in order]
        await _deliver_all(client, events * 2 if twice else events)
        row = await _state(db, video)
        assert (row["status"], row["mux_asset_id"]) == ("errored", video.asset_id), order
        assert row["mux_playback_id"] is None


@pytest.mark.parametrize("seed", range(12))
async def test_superseded_upload_mixed_in_never_wins(
    client: httpx.AsyncClient, db: Database, seed: int
) -> None:
    """Upload 1 is replaced by upload 2; all 8 events arrive shuffled, some twice."""
    rng = random.Random(seed)
    first = await _video(db)
    assert first.lesson_id
    second = Video(first.lesson_id)
    await attach_upload(db, first.lesson_id, second.upload_id)
    old_path = first.errored_path() if seed % 2 else first.ready_path()
    events = old_path + second.ready_path()
    events += rng.sample(events, 3)
    rng.shuffle(events)
    await _deliver_all(client, events)
    assert _published_as(await _state(db, second), second)
    states = {r["id"]: r for r in await inbox_rows(db)}
    for payload in old_path:
        assert states[payload["id"]]["state"] == "ignored"
        assert states[payload["id"]]["outcome"].startswith("superseded upload")


async def test_previous_playback_id_is_kept_until_the_new_asset_is_ready(
    client: httpx.AsyncClient, db: Database
) -> None:
    first = await _video(db)
    assert first.lesson_id
    await _deliver_all(client, first.ready_path())
    second = Video(first.lesson_id)
    await attach_upload(db, first.lesson_id, second.upload_id)
    await _deliver_all(client, [second.upload_created(), second.upload_asset_created()])
    row = await _state(db, second)
    assert (row["status"], row["mux_playback_id"]) == ("processing", first.playback_id)
    await _deliver_all(client, [second.asset_ready()])
    assert _published_as(await _state(db, second), second)


async def test_deleting_the_superseded_asset_stops_playing_it(
    client: httpx.AsyncClient, db: Database
) -> None:
    first = await _video(db)
    assert first.lesson_id
    await _deliver_all(client, first.ready_path())
    second = Video(first.lesson_id)
    await attach_upload(db, first.lesson_id, second.upload_id)
    await _deliver_all(client, [first.asset_deleted()])
    row = await _state(db, second)
    assert (row["status"], row["mux_playback_id"]) == ("uploading", None)


async def test_superseded_asset_event_without_upload_id_is_recognised(
    client: httpx.AsyncClient, db: Database
) -> None:
    """Asset events may name only the asset; an old asset must still be seen as superseded."""
    first = await _video(db)
    assert first.lesson_id
    await _deliver_all(client, first.ready_path())
    await attach_upload(db, first.lesson_id, Video(first.lesson_id).upload_id)
    deleted = first.asset_deleted()
    del deleted["data"]["upload_id"]
    await _deliver_all(client, [deleted])
    row = {r["id"]: r for r in await inbox_rows(db)}[deleted["id"]]
    assert (row["state"], row["lesson_id"]) == ("ignored", first.lesson_id)


# --- unmatched events and attach ------------------------------------------------------------


async def test_event_for_no_lesson_is_parked_and_applied_on_attach(
    client: httpx.AsyncClient, db: Database
) -> None:
    lesson = await create_lesson(db, await create_user(db))
    video = Video(lesson)
    await _deliver_all(client, video.ready_path())
    assert {r["state"] for r in await inbox_rows(db)} == {"unmatched"}
    assert (await lesson_row(db, lesson))["status"] == "draft"
    await attach_upload(db, lesson, video.upload_id)
    assert _published_as(await lesson_row(db, lesson), video)
    assert {r["state"] for r in await inbox_rows(db)} == {"applied"}


async def test_attach_is_idempotent(client: httpx.AsyncClient, db: Database) -> None:
    video = await _video(db)
    assert video.lesson_id
    await _deliver_all(client, video.ready_path())
    await attach_upload(db, video.lesson_id, video.upload_id)
    assert _published_as(await _state(db, video), video)


async def test_an_upload_cannot_be_attached_to_two_lessons(db: Database) -> None:
    video = await _video(db)
    other = await create_lesson(db, await create_user(db))
    with pytest.raises(psycopg.errors.UniqueViolation):
        await attach_upload(db, other, video.upload_id)


# --- concurrency and privileges -------------------------------------------------------------


async def test_200_concurrent_deliveries_for_50_lessons(
    client: httpx.AsyncClient, db: Database
) -> None:
    owner = await create_user(db)
    videos = [await _video(db, owner) for _ in range(50)]
    events = [payload for video in videos for payload in video.ready_path()]
    random.Random(7).shuffle(events)
    responses = await asyncio.gather(*(deliver(client, payload) for payload in events))
    assert [r.status_code for r in responses] == [200] * 200
    for video in videos:
        assert _published_as(await _state(db, video), video)
    rows = await inbox_rows(db)
    assert len(rows) == len({r["id"] for r in rows}) == 200
    assert {r["state"] for r in rows} == {"applied"}


@pytest.mark.parametrize(
    "call",
    [
        "select public.mux_ingest_event('{}'::jsonb, 'public', 'webhook', null)",
        "select public.mux_process_event('e1', 'public')",
        "select public.mux_attach_upload(gen_random_uuid(), 'u1', 'public')",
    ],
)
async def test_state_machine_functions_are_not_callable_by_api_roles(
    db: Database, call: str
) -> None:
    owner = await create_user(db)
    for claims in (None, claims_for(owner)):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            async with db.user_session(claims) as conn:
                await conn.execute(call)


# --- the transition table in docs/architecture.md is what the state machine does -----------

_ARCHITECTURE = Path(__file__).resolve().parent.parent / "docs" / "architecture.md"
_ROW = re.compile(r"^\| (`video\.[^|]+) \| ([^|]+) \|$", re.M)
# The status a lesson is in before each kind of event can move it: a lesson's events only
# move it forward, so each row is tried from the state it names or implies.
_BEFORE = {"video.asset.deleted": "published"}
_STEPS = {
    "video.upload.created": "upload_created",
    "video.upload.asset_created": "upload_asset_created",
    "video.asset.created": "asset_created",
    "video.asset.ready": "asset_ready",
    "video.asset.errored": "asset_errored",
    "video.upload.errored": "upload_errored",
    "video.upload.cancelled": "upload_cancelled",
    "video.asset.deleted": "asset_deleted",
}


def _documented_transitions() -> list[tuple[str, str | None]]:
    """(event type, the status its row says the lesson moves to, or None) for every row of
    the table that names a lesson's own events (not its captions or downloads)."""
    rows = []
    for events, effect in _ROW.findall(_ARCHITECTURE.read_text(encoding="utf-8")):
        types = re.findall(r"`(video\.[a-z_.]+)`", events)
        if not types or _names_a_part(types[0]):
            continue
        moves = re.findall(r"→ `([a-z]+)`", effect)
        for event_type in types:
            rows.append((event_type, moves[-1] if moves else None))
    return rows


def _names_a_part(event_type: str) -> bool:
    return event_type.startswith(("video.asset.track.", "video.asset.static_rendition"))


_TRANSITIONS = _documented_transitions()


def test_the_table_names_every_event_the_state_machine_applies_to_lessons() -> None:
    assert {event_type for event_type, _ in _TRANSITIONS} == set(_STEPS)


@pytest.mark.parametrize("path", ["set", "per event"])
@pytest.mark.parametrize(("event_type", "documented"), _TRANSITIONS)
async def test_each_documented_transition_is_what_an_event_does(
    db: Database, event_type: str, documented: str | None, path: str
) -> None:
    video = await _video(db)
    assert video.lesson_id
    if _BEFORE.get(event_type) == "published":
        await _ingest(db, [video.asset_ready()], "per event")
    before = await _state(db, video)
    await _ingest(db, [getattr(video, _STEPS[event_type])()], path)
    after = await _state(db, video)
    if documented is None:
        assert after == before
    else:
        assert after["status"] == documented, (event_type, path)


async def _ingest(db: Database, payloads: list[dict[str, Any]], path: str) -> None:
    if path == "set":
        await db.call_all(
            "select * from public.mux_ingest_batch_set("
            "%s::jsonb[], %s::timestamptz[], 'public', 'webhook', '2s')",
            ([json.dumps(p) for p in payloads], [None] * len(payloads)),
        )
        return
    for payload in payloads:
        await db.call(
            "select * from public.mux_ingest_event(%s::jsonb, 'public', 'webhook', null)",
            (json.dumps(payload),),
        )
