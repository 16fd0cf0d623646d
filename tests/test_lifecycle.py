"""A lesson video's whole life in the state machine: replace, cancel, remove, lesson deleted,
captions and downloads; and the cleanup outbox each of them fills in the same transaction."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg
import pytest

from service.database.pool import Database
from service.read_model.queries import visible_video
from service.read_model.to_json import video_json
from service.settings import Settings
from tests.factories import claims_for, create_course, create_lesson, create_user, lesson_row
from tests.mux_scenario import Video, attach_upload, deliver


async def _deliver_all(client: httpx.AsyncClient, events: list[dict[str, Any]]) -> None:
    for payload in events:
        response = await deliver(client, payload)
        assert response.status_code == 200, response.text


async def _published(db: Database, client: httpx.AsyncClient, lesson: uuid.UUID) -> Video:
    video = Video(lesson)
    await attach_upload(db, lesson, video.upload_id)
    await _deliver_all(client, video.ready_path())
    return video


async def cleanups(db: Database) -> set[tuple[str, str, str, str]]:
    rows = await db.call_all(
        "select action, object_id, reason, state::text as state from mux_cleanups"
    )
    return {(r["action"], r["object_id"], r["reason"], r["state"]) for r in rows}


async def _call(db: Database, function: str, lesson: uuid.UUID) -> dict[str, Any] | None:
    return await db.call(f"select * from public.{function}(%s)", (lesson,))


async def _video(db: Database, lesson: uuid.UUID, owner: uuid.UUID) -> dict[str, Any]:
    async with db.user_session(claims_for(owner)) as conn:
        row = await visible_video(conn, lesson)
    assert row is not None
    return video_json(row, Settings())


# --- replace ------------------------------------------------------------------------------


async def test_replaced_asset_is_scheduled_for_deletion_once_the_new_one_plays(
    client: httpx.AsyncClient, db: Database
) -> None:
    lesson = await create_lesson(db, await create_user(db))
    old = await _published(db, client, lesson)
    new = Video(lesson)
    await attach_upload(db, lesson, new.upload_id)
    await _deliver_all(client, [new.upload_asset_created(), new.asset_created()])
    assert await cleanups(db) == set()  # the old video keeps playing meanwhile
    assert (await lesson_row(db, lesson))["mux_playback_id"] == old.playback_id
    await _deliver_all(client, [new.asset_ready(), new.asset_ready()])
    assert await cleanups(db) == {("delete_asset", old.asset_id, "replaced", "pending")}


async def test_an_asset_superseded_before_it_was_known_is_scheduled_when_it_appears(
    client: httpx.AsyncClient, db: Database
) -> None:
    lesson = await create_lesson(db, await create_user(db))
    first = Video(lesson)
    await attach_upload(db, lesson, first.upload_id)
    second = await _published(db, client, lesson)  # supersedes `first` before any event
    assert await cleanups(db) == set()
    await _deliver_all(client, [first.asset_created(), first.asset_ready()])
    row = await lesson_row(db, lesson)
    assert (row["mux_asset_id"], row["mux_playback_id"]) == (second.asset_id, second.playback_id)
    assert await cleanups(db) == {("delete_asset", first.asset_id, "replaced", "pending")}


# --- cancel -------------------------------------------------------------------------------


async def test_cancel_returns_to_the_video_that_was_playing(
    client: httpx.AsyncClient, db: Database
) -> None:
    lesson = await create_lesson(db, await create_user(db))
    old = await _published(db, client, lesson)
    before = await lesson_row(db, lesson)
    new = Video(lesson)
    await attach_upload(db, lesson, new.upload_id)
    await _call(db, "mux_cancel_upload", lesson)
    row = await lesson_row(db, lesson)
    assert (row["status"], row["mux_upload_id"], row["mux_asset_id"], row["mux_playback_id"]) == (
        "published",
        old.upload_id,
        old.asset_id,
        old.playback_id,
    )
    assert row["duration_seconds"] == before["duration_seconds"]
    assert await cleanups(db) == {("cancel_upload", new.upload_id, "cancelled", "pending")}
    # the file arrived at Mux anyway: its events change nothing, its asset is scheduled to go
    await _deliver_all(client, new.ready_path())
    assert (await lesson_row(db, lesson))["mux_playback_id"] == old.playback_id
    assert ("delete_asset", new.asset_id, "cancelled", "pending") in await cleanups(db)


async def test_cancel_without_a_previous_video_returns_to_draft(
    client: httpx.AsyncClient, db: Database
) -> None:
    lesson = await create_lesson(db, await create_user(db))
    video = Video(lesson)
    await attach_upload(db, lesson, video.upload_id)
    await _call(db, "mux_cancel_upload", lesson)
    row = await lesson_row(db, lesson)
    assert (row["status"], row["mux_upload_id"]) == ("draft", None)
    await _deliver_all(client, [video.upload_cancelled(), video.upload_errored()])
    assert (await lesson_row(db, lesson))["status"] == "draft"


@pytest.mark.parametrize("state", ["draft", "processing", "published"])
async def test_cancel_needs_an_upload_in_flight(
    client: httpx.AsyncClient, db: Database, state: str
) -> None:
    lesson = await create_lesson(db, await create_user(db))
    if state != "draft":
        video = Video(lesson)
        await attach_upload(db, lesson, video.upload_id)
        steps = [video.asset_created()] if state == "processing" else video.ready_path()
        await _deliver_all(client, steps)
    before = await lesson_row(db, lesson)
    with pytest.raises(psycopg.Error) as raised:
        await _call(db, "mux_cancel_upload", lesson)
    assert raised.value.sqlstate == "ML001"
    assert await lesson_row(db, lesson) == before


# --- remove -------------------------------------------------------------------------------


async def test_remove_goes_to_draft_at_once_and_schedules_every_asset(
    client: httpx.AsyncClient, db: Database
) -> None:
    lesson = await create_lesson(db, await create_user(db))
    old = await _published(db, client, lesson)
    new = Video(lesson)
    await attach_upload(db, lesson, new.upload_id)
    await _deliver_all(client, [new.asset_created()])  # replacement still processing
    await _call(db, "mux_remove_video", lesson)
    row = await lesson_row(db, lesson)
    assert (row["status"], row["mux_upload_id"], row["mux_asset_id"], row["mux_playback_id"]) == (
        "draft",
        None,
        None,
        None,
    )
    assert await cleanups(db) == {
        ("delete_asset", new.asset_id, "removed", "pending"),
        ("delete_asset", old.asset_id, "removed", "pending"),
    }
    # a ready racing the removal changes nothing; the deletion webhooks close the cleanups
    await _deliver_all(client, [new.asset_ready(), new.asset_deleted(), old.asset_deleted()])
    assert (await lesson_row(db, lesson))["status"] == "draft"
    assert {c[3] for c in await cleanups(db)} == {"done"}
    with pytest.raises(psycopg.Error) as raised:
        await _call(db, "mux_remove_video", lesson)
    assert raised.value.sqlstate == "ML002"


async def test_remove_during_upload_cancels_it(client: httpx.AsyncClient, db: Database) -> None:
    lesson = await create_lesson(db, await create_user(db))
    video = Video(lesson)
    await attach_upload(db, lesson, video.upload_id)
    await _call(db, "mux_remove_video", lesson)
    assert await cleanups(db) == {("cancel_upload", video.upload_id, "removed", "pending")}


# --- lesson deleted -----------------------------------------------------------------------


async def test_deleting_a_lesson_by_any_path_schedules_its_assets(
    client: httpx.AsyncClient, db: Database
) -> None:
    owner = await create_user(db)
    course = await create_course(db, owner)
    by_author = await create_lesson(db, owner, course)
    by_cascade = await create_lesson(db, owner, course)
    uploading = await create_lesson(db, owner, course)
    replaced = await _published(db, client, by_author)
    current = await _published(db, client, by_author)
    cascaded = await _published(db, client, by_cascade)
    in_flight = Video(uploading)
    await attach_upload(db, uploading, in_flight.upload_id)
    async with db.user_session(claims_for(owner)) as conn:  # the app, through RLS
        await conn.execute("delete from lessons where id = %s", (by_author,))
    assert await cleanups(db) == {
        ("delete_asset", replaced.asset_id, "replaced", "pending"),
        ("delete_asset", current.asset_id, "lesson_deleted", "pending"),
    }
    async with db.service_session() as conn:  # the dashboard: the course and its lessons
        await conn.execute("delete from courses where id = %s", (course,))
    assert {c[1] for c in await cleanups(db)} == {
        replaced.asset_id,
        current.asset_id,
        cascaded.asset_id,
        in_flight.upload_id,
    }


# --- captions and downloads ---------------------------------------------------------------


async def test_captions_and_downloads_follow_the_current_asset(
    client: httpx.AsyncClient, db: Database
) -> None:
    owner = await create_user(db)
    lesson = await create_lesson(db, owner)
    video = await _published(db, client, lesson)
    await _deliver_all(
        client, [video.track("ready"), video.track("created"), video.rendition("created")]
    )
    await _deliver_all(client, [video.rendition("ready"), video.rendition("ready")])
    shown = await _video(db, lesson, owner)
    assert shown["captions"] == [
        {"trackId": video.track_id, "languageCode": "en", "name": "English", "status": "ready"}
    ]
    assert shown["downloads"] == [
        {
            "name": "highest.mp4",
            "resolution": "highest",
            "status": "ready",
            "url": f"https://stream.mux.com/{video.playback_id}/highest.mp4",
        }
    ]
    assert shown["thumbnailUrl"] == f"https://image.mux.com/{video.playback_id}/thumbnail.jpg"
    assert shown["storyboardUrl"] == f"https://image.mux.com/{video.playback_id}/storyboard.vtt"
    await _deliver_all(client, [video.track("deleted"), video.track("ready")])
    assert (await _video(db, lesson, owner))["captions"] == []


async def test_older_static_renditions_events_are_understood(
    client: httpx.AsyncClient, db: Database
) -> None:
    owner = await create_user(db)
    lesson = await create_lesson(db, owner)
    video = await _published(db, client, lesson)
    await _deliver_all(client, [video.renditions("ready"), video.renditions("preparing")])
    downloads = (await _video(db, lesson, owner))["downloads"]
    assert [(d["name"], d["status"]) for d in downloads] == [
        ("audio.m4a", "ready"),
        ("low.mp4", "ready"),
    ]
    await _deliver_all(client, [video.renditions("deleted")])
    assert (await _video(db, lesson, owner))["downloads"] == []


async def test_late_parts_of_a_superseded_or_removed_asset_change_nothing(
    client: httpx.AsyncClient, db: Database
) -> None:
    owner = await create_user(db)
    lesson = await create_lesson(db, owner)
    old = await _published(db, client, lesson)
    new = await _published(db, client, lesson)
    before = await lesson_row(db, lesson)
    await _deliver_all(client, [old.track("ready"), old.rendition("ready")])
    assert await lesson_row(db, lesson) == before
    await _call(db, "mux_remove_video", lesson)
    removed = await lesson_row(db, lesson)
    await _deliver_all(client, [new.track("ready"), new.rendition("ready")])
    assert await lesson_row(db, lesson) == removed
    assert await db.call_all("select * from lesson_text_tracks") == []
    assert await db.call_all("select * from lesson_downloads") == []


async def test_captions_are_visible_only_with_the_lesson(
    client: httpx.AsyncClient, db: Database
) -> None:
    owner, stranger = await create_user(db), await create_user(db)
    lesson = await create_lesson(db, owner)
    video = Video(lesson)
    await attach_upload(db, lesson, video.upload_id)
    await _deliver_all(client, [video.asset_created(), video.track("ready")])
    async with db.user_session(claims_for(stranger)) as conn:
        cur = await conn.execute("select * from lesson_text_tracks")
        assert await cur.fetchall() == []  # the lesson is not published
    async with db.user_session(claims_for(owner)) as conn:
        cur = await conn.execute("select track_id from lesson_text_tracks")
        assert await cur.fetchall() == [{"track_id": video.track_id}]


async def test_late_parts_of_a_deleted_current_asset_change_nothing(
    client: httpx.AsyncClient, db: Database
) -> None:
    lesson = await create_lesson(db, await create_user(db))
    video = await _published(db, client, lesson)
    await _deliver_all(client, [video.asset_deleted()])
    deleted = await lesson_row(db, lesson)
    assert (deleted["status"], deleted["mux_asset_id"]) == ("draft", video.asset_id)
    await _deliver_all(client, [video.track("ready"), video.rendition("ready")])
    assert await lesson_row(db, lesson) == deleted  # no new version: no live update either
    assert await db.call_all("select * from lesson_text_tracks") == []
    assert await db.call_all("select * from lesson_downloads") == []
