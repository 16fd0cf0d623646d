"""Property: whatever the order, duplication and timing of Mux's events, a lesson ends in the
state its newest upload's events imply, and the inbox holds each event id once.

RELIABILITY_EXAMPLES sets how many cases hypothesis tries (`make soak` runs many more).
"""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service import inbox
from service.db import Database
from tests.factories import create_lesson, create_user, lesson_row
from tests.mux_scenario import Video, attach_upload

EXAMPLES = int(os.environ.get("RELIABILITY_EXAMPLES", "60"))

# Each path is a sequence of steps one upload can go through at Mux, and the lesson state
# it implies once every step's event has been applied.
PATHS: dict[str, tuple[list[str], str]] = {
    "ready": (
        ["upload_created", "upload_asset_created", "asset_created", "asset_ready"],
        "published",
    ),
    "ready then deleted": (
        ["upload_created", "upload_asset_created", "asset_created", "asset_ready", "asset_deleted"],
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
    return {
        "first": first,
        "second": second,
        "steps": steps,
        "order": order,
        "attach_at": attach_at,
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
    lesson = await create_lesson(db, await create_user(db))
    uploads = {"first": Video(lesson), "second": Video(lesson)}
    await attach_upload(db, lesson, uploads["first"].upload_id)
    events = [getattr(uploads[upload], step)() for upload, step in case["steps"]]
    for position, index in enumerate(case["order"]):
        if position == case["attach_at"]:
            await attach_upload(db, lesson, uploads["second"].upload_id)
        payload = events[index]
        await inbox.ingest(
            db,
            payload["id"],
            json.dumps(payload),
            preferred_policy="public",
            created_at=payload["created_at"],
        )
    if case["attach_at"] == len(case["order"]):
        await attach_upload(db, lesson, uploads["second"].upload_id)

    newest = "second" if case["second"] is not None else "first"
    expected = PATHS[case[newest]][1]
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
