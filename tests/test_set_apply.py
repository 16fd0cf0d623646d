"""A batch of deliveries applied as a set (`mux_ingest_batch_set`): each lesson changed once
however many of its events the batch holds, every guarantee of the per-event path kept
(stored once, any order and any split into batches the same end state, superseded and
parked events, cleanups, a failing event failing alone), what the set cannot decide sent
through the per-event path and counted, and the functions the previous release calls still
working beside it (a rolling deploy runs both on one database)."""

from __future__ import annotations

import asyncio
import json
import os
import random
from typing import Any

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY

from bench.harness import seed_lessons
from bench.workload import lesson_events
from service.database.pool import Database
from service.ingest import new_events
from tests.factories import create_lesson, create_user, lesson_row
from tests.mux_scenario import Video, attach_upload, inbox_rows
from tests.reliability.test_order_and_duplicates import PATHS, _event, _reveals_asset

EXAMPLES = int(os.environ.get("RELIABILITY_EXAMPLES", "60"))

_SET = (
    "select idx, inserted, state::text as state, lesson_id, error, per_event "
    "from public.mux_ingest_batch_set(%s::jsonb[], %s::timestamptz[], 'public', 'webhook', '2s')"
)


async def _apply(db: Database, payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One batch, one call (one transaction), as the service's IngestBatcher makes it."""
    return await db.call_all(
        _SET, ([json.dumps(p) for p in payloads], [p["created_at"] for p in payloads])
    )


async def _video(db: Database) -> Video:
    video = Video(await create_lesson(db, await create_user(db)))
    assert video.lesson_id
    await attach_upload(db, video.lesson_id, video.upload_id)
    return video


def _notified(listener: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    """The change notifications committed so far (a round trip first: they are all in)."""
    listener.execute("select 1")
    return [json.loads(n.payload) for n in listener.notifies(timeout=0.2)]


async def test_a_lessons_events_in_one_batch_change_it_once(
    db: Database, database_url: str
) -> None:
    videos = [await _video(db) for _ in range(3)]
    payloads = [p for video in videos for p in video.ready_path()]
    random.Random(3).shuffle(payloads)
    versions = {v.lesson_id: (await lesson_row(db, v.lesson_id))["video_version"] for v in videos}
    with psycopg.connect(database_url, autocommit=True) as listener:
        listener.execute("listen lesson_video")
        rows = await _apply(db, payloads)
        notified = _notified(listener)
    assert [r["idx"] for r in rows] == list(range(1, 13))
    assert {(r["inserted"], r["state"], r["per_event"]) for r in rows} == {(True, "applied", False)}
    # one notification per lesson changed, in the previous release's shape
    assert sorted(n["id"] for n in notified) == sorted(str(v.lesson_id) for v in videos)
    assert {frozenset(n) for n in notified} == {
        frozenset({"id", "course_id", "owner_id", "video_version", "deleted"})
    }
    for video in videos:
        row = await lesson_row(db, video.lesson_id)
        assert (row["status"], row["mux_asset_id"], row["mux_playback_id"]) == (
            "published",
            video.asset_id,
            video.playback_id,
        )
        assert row["video_version"] == versions[video.lesson_id] + 1
    stored = await inbox_rows(db)
    assert sorted(r["id"] for r in stored) == sorted(p["id"] for p in payloads)
    assert {(r["state"], r["attempts"]) for r in stored} == {("applied", 1)}


async def test_an_event_is_stored_once_whatever_batch_it_comes_in(db: Database) -> None:
    video = await _video(db)
    created, asset_created, _, ready = video.ready_path()
    await _apply(db, [created])
    rows = await _apply(db, [ready, created, ready, asset_created])
    assert [(r["inserted"], r["state"]) for r in rows] == [
        (True, "applied"),
        (False, "applied"),  # stored by the earlier batch
        (False, "applied"),  # the same event twice in this batch
        (True, "applied"),
    ]
    assert len(await inbox_rows(db)) == 3
    assert (await lesson_row(db, video.lesson_id))["status"] == "published"


async def test_a_failing_event_fails_alone_in_its_batch(db: Database) -> None:
    broken, fine, refused = [await _video(db) for _ in range(3)]
    no_playback = broken.asset_ready(playback_ids=[])
    negative = refused.asset_ready()
    negative["data"]["duration"] = -1  # the lessons table refuses it (a check)
    payloads = [
        *broken.ready_path()[:3],
        no_playback,
        *fine.ready_path(),
        *refused.ready_path()[:3],
        negative,
    ]
    rows = {r["idx"]: r for r in await _apply(db, payloads)}
    failed = {i for i, r in rows.items() if r["state"] == "failed"}
    assert failed == {4, 12}
    assert "carries no playback id" in rows[4]["error"]
    assert "lessons_duration_seconds_check" in rows[12]["error"]
    assert rows[12]["per_event"] and not rows[4]["per_event"]
    assert {r["state"] for i, r in rows.items() if i not in failed} == {"applied"}
    assert (await lesson_row(db, broken.lesson_id))["status"] == "processing"
    assert (await lesson_row(db, fine.lesson_id))["status"] == "published"
    assert (await lesson_row(db, refused.lesson_id))["status"] == "processing"
    states = {r["id"]: (r["state"], r["attempts"]) for r in await inbox_rows(db)}
    assert states[no_playback["id"]] == states[negative["id"]] == ("failed", 1)


async def test_what_the_set_cannot_decide_goes_event_by_event_and_is_counted(
    db: Database,
) -> None:
    def per_event() -> float:
        value = REGISTRY.get_sample_value("mux_lessons_ingest_events_total", {"path": "per_event"})
        return value or 0.0

    video = await _video(db)
    early = Video(await create_lesson(db, await create_user(db)))  # not attached yet
    before = per_event()
    rows = await _apply(db, [*early.ready_path(), *video.ready_path()])
    assert [r["per_event"] for r in rows] == [True] * 4 + [False] * 4
    assert [r["state"] for r in rows[:4]] == ["unmatched"] * 4
    # the service counts it in /metrics: a lone event goes first, the two behind it together
    batcher = new_events.IngestBatcher(db, preferred_policy="public", max_in_flight=1)
    parked = [Video(None).asset_ready() for _ in range(3)]
    outcomes = await asyncio.gather(
        *(batcher.ingest(p["id"], json.dumps(p), created_at=p["created_at"]) for p in parked)
    )
    assert {o.state for o in outcomes} == {"unmatched"}
    assert per_event() == before + 2
    assert early.lesson_id
    await attach_upload(db, early.lesson_id, early.upload_id)
    assert (await lesson_row(db, early.lesson_id))["status"] == "published"


async def test_concurrent_batches_over_the_same_lessons_all_apply(db: Database) -> None:
    """Lessons are locked in one global order: overlapping batches wait, never deadlock."""
    videos = [await _video(db) for _ in range(12)]
    payloads = [p for video in videos for p in video.ready_path()]
    rng = random.Random(5)
    batches = []
    for _ in range(6):
        rng.shuffle(payloads)
        batches.append(list(payloads[:30]))
    results = await asyncio.gather(*(_apply(db, batch) for batch in batches))
    assert all(r["state"] == "applied" for rows in results for r in rows)
    await _apply(db, payloads)
    for video in videos:
        assert (await lesson_row(db, video.lesson_id))["status"] == "published"
    stored = await inbox_rows(db)
    assert len(stored) == len({r["id"] for r in stored}) == len(payloads)


async def test_the_previous_releases_functions_still_apply(db: Database) -> None:
    one, two = await _video(db), await _video(db)
    # the previous release (RELEASES.txt) calls these two, as this one does
    rows = await _apply(db, one.ready_path())
    assert [r["state"] for r in rows] == ["applied"] * 4
    for payload in two.ready_path():
        row = await db.call(
            "select state::text as state from public.mux_ingest_event_bounded("
            "%s::jsonb, 'public', 'webhook', null, '2s')",
            (json.dumps(payload),),
        )
        assert row == {"state": "applied"}
    for video in (one, two):
        assert (await lesson_row(db, video.lesson_id))["status"] == "published"


# --- any split into batches: the end state the newest upload's events imply --------------


@st.composite
def batches(draw: st.DrawFn) -> dict[str, Any]:
    first = draw(st.sampled_from(sorted(PATHS)))
    second = draw(st.none() | st.sampled_from(sorted(PATHS)))
    steps = [("first", step) for step in PATHS[first][0]]
    if second is not None:
        steps += [("second", step) for step in PATHS[second][0]]
    copies = draw(st.lists(st.integers(1, 2), min_size=len(steps), max_size=len(steps)))
    order = draw(st.permutations([i for i, n in enumerate(copies) for _ in range(n)]))
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(order) - 1)), max_size=4)))
    chunks = [order[a:b] for a, b in zip([0, *cuts], [*cuts, len(order)], strict=True)]
    attach_at = draw(st.integers(0, len(chunks))) if second is not None else None
    return {"first": first, "second": second, "steps": steps, "chunks": chunks, "at": attach_at}


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=batches())
async def test_any_split_into_batches_ends_in_the_implied_state(
    db: Database, case: dict[str, Any]
) -> None:
    lesson = await create_lesson(db, await create_user(db))
    uploads = {"first": Video(lesson), "second": Video(lesson)}
    await attach_upload(db, lesson, uploads["first"].upload_id)
    events = [_event(uploads[upload], step) for upload, step in case["steps"]]
    for position, chunk in enumerate([*case["chunks"], []]):
        if position == case["at"]:
            await attach_upload(db, lesson, uploads["second"].upload_id)
        if chunk:
            rows = await _apply(db, [events[i] for i in chunk])
            assert "failed" not in {r["state"] for r in rows}, case

    newest = "second" if case["second"] is not None else "first"
    row = await lesson_row(db, lesson)
    assert row["status"] == PATHS[case[newest]][1], case
    assert row["mux_upload_id"] == uploads[newest].upload_id
    if row["status"] == "published":
        assert (row["mux_asset_id"], row["mux_playback_id"]) == (
            uploads[newest].asset_id,
            uploads[newest].playback_id,
        )
    replaced = (
        {uploads["first"].asset_id}
        if case["second"] is not None
        and "asset_ready" in PATHS[case["second"]][0]
        and _reveals_asset(case["first"])
        else set()
    )
    scheduled = await db.call_all(
        "select object_id from mux_cleanups where action = 'delete_asset' and lesson_id = %s",
        (lesson,),
    )
    assert {r["object_id"] for r in scheduled} == replaced, case
    stored = await db.call_all(
        "select count(*) as n, count(distinct id) as ids from mux_events where id = any(%s)",
        ([e["id"] for e in events],),
    )
    assert stored == [{"n": len(events), "ids": len(events)}]


async def test_a_batch_probes_the_inbox_by_key_whatever_its_statistics(
    db: Database, database_url: str
) -> None:
    """Statistics of a younger inbox (here: taken while it was empty) must not make a batch
    read the inbox's whole primary key, a cost growing with the inbox: each event's stored
    row is looked up by one probe (docs/benchmarks.md, "Statistics")."""
    seed_lessons(database_url, 0, 800)
    events = [e for i in range(800) for e in lesson_events(i)]
    batches = [events[k : k + 64] for k in range(0, len(events), 64)]
    reads = (
        "select pg_stat_clear_snapshot(), (select idx_tup_read "
        "from pg_stat_user_indexes where indexrelname = 'mux_events_pkey')"
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("alter table public.mux_events set (autovacuum_enabled = false)")
        try:
            conn.execute("analyze public.mux_events")  # empty
            # This connection plans the function now (generic plans, kept for the
            # connection's life), and the inbox grows.
            for batch in batches[:-1]:
                conn.execute(_SET, ([json.dumps(e) for e in batch], [None] * len(batch)))
            conn.execute("select pg_stat_force_next_flush()")
            before = conn.execute(reads).fetchone()
            last = batches[-1]
            conn.execute(_SET, ([json.dumps(e) for e in last], [None] * len(last)))
            conn.execute("select pg_stat_force_next_flush()")
            after = conn.execute(reads).fetchone()
            applied = conn.execute(
                "select count(*) from public.mux_events where state = 'applied'"
            ).fetchone()
        finally:
            conn.execute("alter table public.mux_events reset (autovacuum_enabled)")
    assert applied == (len(events),)
    assert before is not None and after is not None
    read = after[1] - before[1]
    assert read <= 64, f"a batch of 64 read {read} entries of the inbox's primary key"
