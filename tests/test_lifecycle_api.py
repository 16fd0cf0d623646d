"""Cancel and remove through the author API, and the cleanup outbox carried out at the Mux
emulator through the real mux-python client: retries, 404 as done, `dead`, bounded runs,
the CLI, and the orphan sweep."""

from __future__ import annotations

import dataclasses
import subprocess
import uuid
from collections.abc import Iterator

import httpx
import pytest

from mux_emulator.app import create_app as create_emulator
from mux_emulator.payloads import event, text_track
from mux_emulator.server import BackgroundServer
from mux_emulator.store import Asset, Store
from service.database.pool import Database
from service.mux import cleanup_outbox, orphans
from service.mux.client import MuxClient
from service.settings import Settings
from tests.commands import run_service
from tests.factories import create_lesson, create_user, lesson_row
from tests.mux_scenario import deliver, upload_at_mux
from tests.test_lifecycle import cleanups
from tests.tokens import hs256


def _auth(user: uuid.UUID) -> dict[str, str]:
    return {"Authorization": f"Bearer {hs256(user)}"}


async def _upload(client: httpx.AsyncClient, author: uuid.UUID, lesson: uuid.UUID) -> str:
    response = await client.post(
        "/api/mux/upload", json={"lessonId": str(lesson)}, headers=_auth(author)
    )
    assert response.status_code == 201, response.text
    return str(response.json()["uploadId"])


async def _publish_at_mux(client: httpx.AsyncClient, store: Store, upload_id: str) -> Asset:
    """Mux turns the upload into a ready asset and says so by webhook."""
    asset = store.new_asset(store.uploads[upload_id])
    asset.status, asset.duration, asset.aspect_ratio = "ready", 3.0, "16:9"
    response = await deliver(client, event("video.asset.ready", asset.as_mux()))
    assert response.json()["state"] == "applied"
    return asset


async def _published_lesson(
    client: httpx.AsyncClient, db: Database, store: Store
) -> tuple[uuid.UUID, uuid.UUID, Asset]:
    author = await create_user(db)
    lesson = await create_lesson(db, author)
    asset = await _publish_at_mux(client, store, await _upload(client, author, lesson))
    return author, lesson, asset


async def _due_now(db: Database) -> None:
    async with db.service_session() as conn:
        await conn.execute("update mux_cleanups set next_attempt_at = now()")


# --- the routes ---------------------------------------------------------------------------


async def test_remove_video_is_draft_at_once_and_the_asset_goes_at_mux(
    author_client: httpx.AsyncClient, db: Database, mux_store: Store
) -> None:
    author, lesson, asset = await _published_lesson(author_client, db, mux_store)
    track = text_track("t1", asset.id, language_code="en", name="English", status="ready")
    await deliver(author_client, event("video.asset.track.ready", track))
    assert len(await db.call_all("select * from lesson_text_tracks")) == 1
    response = await author_client.delete(f"/api/lessons/{lesson}/video", headers=_auth(author))
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["status"], body["playbackId"], body["thumbnailUrl"]) == ("draft", None, None)
    assert asset.id not in mux_store.assets
    assert await cleanups(db) == {("delete_asset", asset.id, "removed", "done")}
    assert await db.call_all("select * from lesson_text_tracks") == []  # gone with the asset
    again = await author_client.delete(f"/api/lessons/{lesson}/video", headers=_auth(author))
    assert (again.status_code, again.json()["error"]["code"]) == (409, "no_video")


async def test_remove_while_mux_is_down_is_accepted_and_completes_later(
    author_client: httpx.AsyncClient, db: Database, mux_store: Store, author_settings: Settings
) -> None:
    author, lesson, asset = await _published_lesson(author_client, db, mux_store)
    mux_store.fault_status, mux_store.fault_count = 503, 1
    response = await author_client.delete(f"/api/lessons/{lesson}/video", headers=_auth(author))
    assert response.status_code == 202
    assert (await lesson_row(db, lesson))["status"] == "draft"
    assert asset.id in mux_store.assets
    [row] = await cleanup_outbox.list_cleanups(db)
    assert (row["state"], row["attempts"], row["last_error"]) == ("failed", 1, "Mux answered 503")
    assert row["next_attempt_at"] > row["created_at"]  # backed off
    not_due = await cleanup_outbox.run(db, MuxClient(author_settings), author_settings)
    assert not_due == []
    await _due_now(db)
    [done] = await cleanup_outbox.run(db, MuxClient(author_settings), author_settings)
    assert (done.state, done.attempts) == ("done", 2)
    assert asset.id not in mux_store.assets


async def test_cancel_upload_cancels_at_mux_and_returns_to_the_old_video(
    author_client: httpx.AsyncClient, db: Database, mux_store: Store
) -> None:
    author, lesson, asset = await _published_lesson(author_client, db, mux_store)
    new_upload = await _upload(author_client, author, lesson)
    response = await author_client.delete(f"/api/lessons/{lesson}/upload", headers=_auth(author))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["playbackId"]) == ("published", asset.playback_ids[0]["id"])
    assert mux_store.uploads[new_upload].status == "cancelled"
    assert asset.id in mux_store.assets  # the old video keeps playing
    again = await author_client.delete(f"/api/lessons/{lesson}/upload", headers=_auth(author))
    assert (again.status_code, again.json()["error"]["code"]) == (409, "no_upload_in_progress")


async def test_only_the_owner_may_cancel_or_remove(
    author_client: httpx.AsyncClient, db: Database, mux_store: Store
) -> None:
    author, lesson, _ = await _published_lesson(author_client, db, mux_store)
    await _upload(author_client, author, lesson)
    before = await lesson_row(db, lesson)
    stranger = await create_user(db)
    for path in (f"/api/lessons/{lesson}/upload", f"/api/lessons/{lesson}/video"):
        refused = await author_client.delete(path, headers=_auth(stranger))
        assert (refused.status_code, refused.json()["error"]["code"]) == (404, "lesson_not_found")
        anonymous = await author_client.delete(path)
        assert (anonymous.status_code, anonymous.json()["error"]["code"]) == (401, "missing_token")
    malformed = await author_client.delete("/api/lessons/not-a-uuid/video", headers=_auth(author))
    assert malformed.status_code == 404
    assert await lesson_row(db, lesson) == before
    assert await cleanups(db) == set()


# --- the outbox ---------------------------------------------------------------------------


async def test_an_asset_already_gone_at_mux_counts_as_deleted(
    author_client: httpx.AsyncClient, db: Database, mux_store: Store, author_settings: Settings
) -> None:
    _, lesson, asset = await _published_lesson(author_client, db, mux_store)
    del mux_store.assets[asset.id]  # deleted in Mux's dashboard
    await db.call("select public.mux_remove_video(%s)", (lesson,))
    [done] = await cleanup_outbox.run(db, MuxClient(author_settings), author_settings)
    assert (done.state, done.attempts, done.error) == ("done", 1, None)


async def test_a_cleanup_is_dead_after_the_configured_attempts_and_can_be_replayed(
    author_client: httpx.AsyncClient, db: Database, mux_store: Store, author_settings: Settings
) -> None:
    _, lesson, asset = await _published_lesson(author_client, db, mux_store)
    settings = dataclasses.replace(author_settings, worker_max_attempts=2)
    await db.call("select public.mux_remove_video(%s)", (lesson,))
    mux_store.fault_status, mux_store.fault_count = 500, 2
    mux = MuxClient(settings)
    assert [r.state for r in await cleanup_outbox.run(db, mux, settings)] == ["failed"]
    await _due_now(db)
    assert [r.state for r in await cleanup_outbox.run(db, mux, settings)] == ["dead"]
    await _due_now(db)
    assert await cleanup_outbox.run(db, mux, settings) == []  # dead stays dead
    [row] = await cleanup_outbox.list_cleanups(db, state="dead")
    replayed = await cleanup_outbox.replay(db, row["id"])
    assert replayed is not None and replayed["state"] == "pending"
    assert [r.state for r in await cleanup_outbox.run(db, mux, settings)] == ["done"]
    assert asset.id not in mux_store.assets


async def test_a_refused_cancel_deletes_the_asset_the_upload_became(
    author_client: httpx.AsyncClient, db: Database, mux_store: Store, author_settings: Settings
) -> None:
    author = await create_user(db)
    lesson = await create_lesson(db, author)
    upload_id = await _upload(author_client, author, lesson)
    await db.call("select public.mux_cancel_upload(%s)", (lesson,))
    asset = mux_store.new_asset(mux_store.uploads[upload_id])  # the file arrived first
    mux = MuxClient(author_settings)
    results = await cleanup_outbox.run(db, mux, author_settings)
    assert [(r.action, r.state) for r in results] == [
        ("cancel_upload", "done"),
        ("delete_asset", "done"),
    ]
    assert asset.id not in mux_store.assets


async def test_each_run_makes_a_bounded_number_of_mux_calls(
    author_client: httpx.AsyncClient, db: Database, mux_store: Store, author_settings: Settings
) -> None:
    lessons = [(await _published_lesson(author_client, db, mux_store))[1] for _ in range(3)]
    for lesson in lessons:
        await db.call("select public.mux_remove_video(%s)", (lesson,))
    settings = dataclasses.replace(author_settings, cleanup_max_mux_calls=2)
    calls = mux_store.requests["delete_asset"]
    assert len(await cleanup_outbox.run(db, MuxClient(settings), settings)) == 2
    assert mux_store.requests["delete_asset"] - calls == 2
    assert len(await cleanup_outbox.run(db, MuxClient(settings), settings)) == 1


async def test_replaced_assets_wait_out_the_retention(
    author_client: httpx.AsyncClient, db: Database, mux_store: Store, author_settings: Settings
) -> None:
    author, lesson, old = await _published_lesson(author_client, db, mux_store)
    await _publish_at_mux(author_client, mux_store, await _upload(author_client, author, lesson))
    keeping = dataclasses.replace(author_settings, superseded_asset_retention_seconds=3600)
    assert await cleanup_outbox.run(db, MuxClient(keeping), keeping) == []
    assert old.id in mux_store.assets
    [done] = await cleanup_outbox.run(db, MuxClient(author_settings), author_settings)
    assert (done.object_id, done.state) == (old.id, "done")


# --- CLI and orphan sweep -----------------------------------------------------------------


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_service(*args, env=env)


@pytest.fixture
def lone_emulator() -> Iterator[BackgroundServer]:
    """An emulator of its own: the orphan sweep lists every asset in the account."""
    server = BackgroundServer(create_emulator()).start()
    yield server
    server.stop()


def _cli_env(
    repo_env: dict[str, str], database_url: str, emulator: BackgroundServer
) -> dict[str, str]:
    config = emulator.app.state.config
    return {
        **repo_env,
        "DATABASE_URL": database_url,
        "MUX_API_URL": emulator.url,
        "MUX_TOKEN_ID": config.token_id,
        "MUX_TOKEN_SECRET": config.token_secret,
        "ORPHAN_GRACE_SECONDS": "60",
        "RECONCILE_MAX_MUX_CALLS": "10",
    }


async def _lesson_with_asset(
    db: Database, client: httpx.AsyncClient, store: Store
) -> tuple[uuid.UUID, Asset]:
    """A lesson whose upload became an asset at `store` (Mux said so by webhook)."""
    lesson = await create_lesson(db, await create_user(db))
    upload = upload_at_mux(store, lesson)
    await db.call("select public.mux_attach_upload(%s, %s, 'public')", (lesson, upload.id))
    asset = store.new_asset(upload)
    await deliver(client, event("video.upload.asset_created", upload.as_mux()))
    assert (await lesson_row(db, lesson))["mux_asset_id"] == asset.id
    return lesson, asset


async def test_orphan_sweep_reports_then_deletes_only_unreferenced_old_assets(
    db: Database,
    client: httpx.AsyncClient,
    database_url: str,
    repo_env: dict[str, str],
    lone_emulator: BackgroundServer,
) -> None:
    store: Store = lone_emulator.app.state.store
    _, kept = await _lesson_with_asset(db, client, store)
    orphan_ids = set()
    for _ in range(3):
        orphan = store.new_asset(upload_at_mux(store))
        orphan.created_at -= 3600
        orphan_ids.add(orphan.id)
    kept.created_at -= 3600
    young = store.new_asset(upload_at_mux(store))  # within the grace period
    env = _cli_env(repo_env, database_url, lone_emulator)

    report = _cli(env, "reconcile", "--orphans")
    assert report.returncode == 0, report.stderr
    listed = {line.split()[1] for line in report.stdout.splitlines() if line.startswith("orphan")}
    assert listed == orphan_ids
    assert len(store.assets) == 5  # reporting deletes nothing

    deleted = _cli(env, "reconcile", "--orphans", "--delete")
    assert deleted.returncode == 0, deleted.stderr
    assert "deleted now: 3" in deleted.stdout
    assert set(store.assets) == {kept.id, young.id}
    listing = _cli(env, "cleanups", "list", "--state", "done")
    assert sum("orphan" in line for line in listing.stdout.splitlines()) == 3


async def test_orphan_sweep_pages_through_the_list_within_its_budget(
    db: Database, author_settings: Settings, lone_emulator: BackgroundServer
) -> None:
    store: Store = lone_emulator.app.state.store
    for _ in range(5):
        store.new_asset(upload_at_mux(store)).created_at -= 3600
    config = lone_emulator.app.state.config
    settings = dataclasses.replace(
        author_settings,
        mux_api_url=lone_emulator.url,
        mux_token_id=config.token_id,
        mux_token_secret=config.token_secret,
        orphan_grace_seconds=60,
        reconcile_max_mux_calls=2,
    )
    partial = await orphans.sweep(db, MuxClient(settings), settings, page_size=2)
    assert (partial.mux_calls, partial.scanned, partial.complete) == (2, 4, False)
    whole = await orphans.sweep(
        db,
        MuxClient(settings),
        dataclasses.replace(settings, reconcile_max_mux_calls=5),
        page_size=2,
    )
    assert (whole.mux_calls, whole.scanned, whole.complete, len(whole.orphans)) == (3, 5, True, 5)
    assert store.requests["list_assets"] == 5 and store.requests["delete_asset"] == 0


async def test_cleanups_cli_replays_a_dead_cleanup_and_runs_it(
    db: Database,
    client: httpx.AsyncClient,
    database_url: str,
    repo_env: dict[str, str],
    lone_emulator: BackgroundServer,
) -> None:
    store: Store = lone_emulator.app.state.store
    lesson, asset = await _lesson_with_asset(db, client, store)
    await db.call("select public.mux_remove_video(%s)", (lesson,))
    async with db.service_session() as conn:
        await conn.execute("update mux_cleanups set state = 'dead', attempts = 10")
    [row] = await cleanup_outbox.list_cleanups(db)
    env = _cli_env(repo_env, database_url, lone_emulator)

    listed = _cli(env, "cleanups", "list", "--state", "dead")
    assert listed.returncode == 0 and asset.id in listed.stdout and "removed" in listed.stdout
    assert _cli(env, "cleanups", "run").stdout.strip() == "carried out: 0"  # dead stays dead
    replayed = _cli(env, "cleanups", "replay", str(row["id"]))
    assert replayed.returncode == 0, replayed.stderr
    ran = _cli(env, "cleanups", "run")
    assert ran.returncode == 0 and "carried out: 1" in ran.stdout
    assert asset.id not in store.assets
    assert _cli(env, "cleanups", "replay", str(row["id"])).returncode == 1  # done: nothing to do
