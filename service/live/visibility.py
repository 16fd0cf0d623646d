"""Who may see a lesson right now: the decision every live stream makes on every change.

`ViewDecider.decide(claims, lesson_ids)` answers, for one viewer (verified token claims; None
for an anonymous viewer), each lesson's video row as that viewer may read it at this moment
(RLS decides), or None when the viewer may not see it. Decisions requested at the same time,
by any number of streams for any number of viewers and lessons, are answered by ONE statement
(`public.lesson_visibility`, which takes on each viewer's role and claims in turn): a change
watched by a thousand viewers, or a burst of a thousand opens, costs one round trip. The same
viewer asking about the same lesson while a decision is under way shares it (single flight).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Collection, Mapping
from typing import Any

from service.database.pool import Database
from service.read_model.queries import COURSE_COLUMNS, VIDEO_COLUMNS

Claims = Mapping[str, Any]
ViewerKey = str
ANONYMOUS: ViewerKey = "anon"
MAX_BATCH_PAIRS = 5000

_VISIBLE_QUERY = f"""
select v.viewer, {VIDEO_COLUMNS}
from public.lesson_visibility(%s::jsonb) v join public.lessons on lessons.id = v.lesson_id
"""


def viewer_key(claims: Claims | None) -> ViewerKey:
    """Viewers with equal claims see the same thing: one decision serves them all."""
    return ANONYMOUS if claims is None else json.dumps(claims, sort_keys=True, default=str)


def expires_at(claims: Claims | None) -> float | None:
    """When the viewer's token stops being valid (epoch seconds); None for anonymous."""
    if claims is None:
        return None
    exp = claims.get("exp")
    return float(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else 0.0


def expired(claims: Claims | None, now: float | None = None) -> bool:
    deadline = expires_at(claims)
    return deadline is not None and (time.time() if now is None else now) >= deadline


Row = dict[str, Any]
_Pair = tuple[ViewerKey, uuid.UUID]


class ViewDecider:
    """Batches visibility decisions: at most one statement in flight, the next one holding
    everything asked meanwhile (up to MAX_BATCH_PAIRS viewer/lesson pairs)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.db = db
        self._claims: dict[ViewerKey, Claims | None] = {}
        self._waiting: dict[_Pair, asyncio.Future[Row | None]] = {}
        self._running: dict[_Pair, asyncio.Future[Row | None]] = {}
        self._task: asyncio.Task[None] | None = None
        self.statements = 0  # decisions made, for tests and the benchmark

    async def decide(
        self, claims: Claims | None, lesson_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, Row | None]:
        key = viewer_key(claims)
        if expired(claims):
            return dict.fromkeys(lesson_ids)
        futures = {lesson: self._future(key, claims, lesson) for lesson in lesson_ids}
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="view-decider")
        return {lesson: await future for lesson, future in futures.items()}

    def _future(
        self, key: ViewerKey, claims: Claims | None, lesson: uuid.UUID
    ) -> asyncio.Future[Row | None]:
        pair = (key, lesson)
        shared = self._running.get(pair) or self._waiting.get(pair)
        if shared is not None:
            return shared
        future: asyncio.Future[Row | None] = asyncio.get_running_loop().create_future()
        self._claims[key] = claims
        self._waiting[pair] = future
        return future

    async def _run(self) -> None:
        while self._waiting:
            pairs = list(self._waiting)[:MAX_BATCH_PAIRS]
            self._running = {pair: self._waiting.pop(pair) for pair in pairs}
            try:
                rows = await self._statement(pairs)
            except Exception as exc:  # the waiters answer for it (503 or an ended stream)
                for future in self._running.values():
                    if not future.done():
                        future.set_exception(exc)
                        future.exception()  # retrieved: no "never retrieved" warning
            else:
                for pair, future in self._running.items():
                    if not future.done():
                        future.set_result(rows.get(pair))
            finally:
                self._running = {}
                live = {key for key, _ in self._waiting}
                self._claims = {k: v for k, v in self._claims.items() if k in live}

    async def _statement(self, pairs: list[_Pair]) -> dict[_Pair, Row]:
        by_viewer: dict[ViewerKey, list[str]] = {}
        for key, lesson in pairs:
            by_viewer.setdefault(key, []).append(str(lesson))
        keys = list(by_viewer)
        requests = [
            {"claims": _as_claims(self._claims.get(key)), "lessons": by_viewer[key]} for key in keys
        ]
        self.statements += 1
        found = await self._db.call_all(
            _VISIBLE_QUERY, (json.dumps(requests, default=str),), retry_broken=True
        )
        rows: dict[_Pair, Row] = {}
        for row in found:
            viewer = row.pop("viewer")
            rows[(keys[viewer], row["id"])] = row
        return rows


def _as_claims(claims: Claims | None) -> dict[str, Any] | None:
    return dict(claims) if claims is not None else None


async def visible_to(
    decider: ViewDecider, lesson_id: uuid.UUID, viewers: Collection[Claims | None]
) -> dict[ViewerKey, Row | None]:
    """Each distinct viewer's current view of the lesson (None: may not see it), decided
    together in one statement."""
    distinct = {viewer_key(claims): claims for claims in viewers}
    answers = await asyncio.gather(
        *(decider.decide(claims, [lesson_id]) for claims in distinct.values())
    )
    return {key: answer[lesson_id] for key, answer in zip(distinct, answers, strict=True)}


_COURSE_QUERY = f"select {COURSE_COLUMNS}, courses.owner_id from public.courses where id = %s"


async def course_views(db: Database, course_id: uuid.UUID) -> tuple[Row | None, Row | None]:
    """A course's row as its owner sees it, and as learners see it (RLS as `anon`: every
    learner, signed in or not, sees the same), None where it may not be seen. Two statements
    per course change, however many viewers follow it."""
    owner = await db.call(_COURSE_QUERY, (course_id,))
    async with db.user_session(None) as conn:
        learner = await (await conn.execute(_COURSE_QUERY, (course_id,))).fetchone()
    return owner, learner


def is_owner(claims: Claims | None, owner_id: Any) -> bool:
    return claims is not None and owner_id is not None and str(claims.get("sub")) == str(owner_id)
