"""Property: whatever the order, duplication and timing of Mux's events, a lesson ends in the
state its newest upload's events imply (captions and downloads included), the inbox holds
each event id once, and exactly the assets the lesson has moved on from are scheduled for
deletion at Mux. A removal racing the events leaves the lesson draft and every asset
scheduled for deletion.

RELIABILITY_EXAMPLES sets how many cases hypothesis tries (`make soak` runs many more).
"""

from __future__ import annotations

import json
import os
from typing import Any

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.database.pool import Database
from service.ingest import new_events as inbox
from service.read_model.queries import visible_video
from service.read_model.to_json import video_json
from service.settings import Settings
from tests.factories import claims_for, create_lesson, create_user, lesson_row
from tests.mux_scenario import Video, attach_upload

EXAMPLES = int(os.environ.get("RELIABILITY_EXAMPLES", "60"))

# Each path is a sequence of steps one upload can go through at Mux, and the lesson state
# it implies once every step's event has been applied.
PATHS: dict[str, tuple[list[str], str]] = {
    "ready": (
        ["upload_created", "upload_asset_created", "asset_created", "asset_ready"],
        "published",
    ),
    "ready with captions and download": (
        [
            "upload_created",
            "upload_asset_created",
            "asset_created",
            "asset_ready",
            "track_created",
            "track_ready",
            "rendition_created",
            "rendition_ready",
        ],
        "published",
    ),
    "ready then deleted": (
        [
            "upload_created",
            "upload_asset_created",
            "asset_created",
            "asset_ready",
            "track_ready",
            "asset_deleted",
        ],
        "draft",
    ),
    "asset errored": (
        ["upload_created", "upload_asset_created", "asset_created", "asset_errored"],
        "errored",
    ),
    "upload cancelled": (["upload_created", "upload_cancelled"], "cancelled"),
    "upload errored": (["upload_created", "upload_errored"], "errored"),
    "still processing": (["upload_created", "upload_asset_created", "asset_created"], "processing"),
    "still uploading": (["upload_created"], "uploading"),
}


# Steps that name the upload's asset (all but `upload_created` and the upload's own failures).
REVEALS_ASSET = {"upload_created", "upload_cancelled", "upload_errored"}


def _event(video: Video, step: str) -> dict[str, Any]:
    kind, _, rest = step.partition("_")
    if kind == "track":
        return video.track(rest)
    if kind == "rendition":
        return video.rendition(rest)
    payload: dict[str, Any] = getattr(video, step)()
    return payload


def _reveals_asset(path: str) -> bool:
    return any(step not in REVEALS_ASSET for step in PATHS[path][0])


async def _ingest(db: Database, payload: dict[str, Any]) -> None:
    await inbox.ingest(
        db,
        payload["id"],
        json.dumps(payload),
        preferred_policy="public",
        created_at=payload["created_at"],
    )


async def _scheduled_assets(db: Database, lesson: Any) -> set[str]:
    rows = await db.call_all(
        "select object_id from mux_cleanups where action = 'delete_asset' and lesson_id = %s",
        (lesson,),
    )
    return {r["object_id"] for r in rows}


@st.composite
def deliveries(draw: st.DrawFn) -> dict[str, Any]:
    first = draw(st.sampled_from(sorted(PATHS)))
    second = draw(st.none() | st.sampled_from(sorted(PATHS)))
    steps = [("first", step) for step in PATHS[first][0]]
    if second is not None:
        steps += [("second", step) for step in PATHS[second][0]]
    # every event delivered one to three times, in any order; the second upload is attached
    # (superseding the first) at any point of the sequence
    copies = draw(st.lists(st.integers(1, 3), min_size=len(steps), max_size=len(steps)))
    sequence = [i for i, n in enumerate(copies) for _ in range(n)]
    order = draw(st.permutations(sequence))
    attach_at = draw(st.integers(0, len(order))) if second is not None else None
    remove_at = draw(st.none() | st.integers(attach_at or 0, len(order)))
    return {
        "first": first,
        "second": second,
        "steps": steps,
        "order": order,
        "attach_at": attach_at,
        "remove_at": remove_at,
    }


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=deliveries())
async def test_final_state_is_implied_by_the_newest_uploads_events(
    db: Database, case: dict[str, Any]
) -> None:
    owner = await create_user(db)
    lesson = await create_lesson(db, owner)
    uploads = {"first": Video(lesson), "second": Video(lesson)}
    await attach_upload(db, lesson, uploads["first"].upload_id)
    events = [_event(uploads[upload], step) for upload, step in case["steps"]]
    removed = False
    for position in range(len(case["order"]) + 1):
        if position == case["attach_at"]:
            await attach_upload(db, lesson, uploads["second"].upload_id)
        if position == case["remove_at"]:
            removed = await _remove(db, lesson)
        if position < len(case["order"]):
            await _ingest(db, events[case["order"][position]])

    newest = "second" if case["second"] is not None else "first"
    revealed = {
        uploads[name].asset_id
        for name in ("first", "second")
        if case[name] and _reveals_asset(case[name])
    }
    if removed:
        row = await lesson_row(db, lesson)
        assert (row["status"], row["mux_upload_id"], row["mux_playback_id"]) == (
            "draft",
            None,
            None,
        ), case
        assert await _scheduled_assets(db, lesson) == revealed, case
        return
    replaced = (
        {uploads["first"].asset_id} & revealed
        if case["second"] is not None and "asset_ready" in PATHS[case["second"]][0]
        else set()
    )
    assert await _scheduled_assets(db, lesson) == replaced, case
    expected = PATHS[case[newest]][1]
    async with db.user_session(claims_for(owner)) as conn:
        shown = await visible_video(conn, lesson)
    assert shown is not None
    video = video_json(shown, Settings())
    with_media = expected == "published" and "track_ready" in PATHS[case[newest]][0]
    assert [c["trackId"] for c in video["captions"]] == (
        [uploads[newest].track_id] if with_media else []
    ), case
    assert [d["status"] for d in video["downloads"]] == (["ready"] if with_media else []), case
    row = await lesson_row(db, lesson)
    assert row["status"] == expected, case
    assert row["mux_upload_id"] == uploads[newest].upload_id
    if expected == "published":
        assert row["mux_playback_id"] == uploads[newest].playback_id
        assert row["mux_asset_id"] == uploads[newest].asset_id
    if expected == "draft":
        assert row["mux_playback_id"] is None
    async with db.service_session() as conn:
        cur = await conn.execute(
            "select count(*) as n, count(distinct id) as ids from mux_events where id = any(%s)",
            ([e["id"] for e in events],),
        )
        stored = await cur.fetchone()
    assert stored == {"n": len(events), "ids": len(events)}


async def _remove(db: Database, lesson: Any) -> bool:
    """The author removes the video; False when there was none to remove (nothing changes)."""
    try:
        await db.call("select public.mux_remove_video(%s)", (lesson,))
    except psycopg.Error as exc:
        assert exc.sqlstate == "ML002"
        return False
    return True
