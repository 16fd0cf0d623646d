"""Who may see a lesson right now: the decision every live stream makes on every change.

`visible_to(db, lesson_id, viewers)` takes one lesson and the distinct viewers watching it
(their verified token claims; None for an anonymous viewer) and returns, per viewer, the
lesson's video row as that viewer may read it at this moment (RLS decides), or None when the
viewer may not see it any more. Streams hand over their viewer and render only what comes
back, so nothing about a lesson reaches a client that could not read it at that moment.

Today this runs one query per distinct viewer. It is the seam for batching: a hub that
groups its streams per lesson can ask once per change for all distinct viewers (one query
deciding for all of them) without the streams changing.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Collection, Mapping
from typing import Any

from service.db import Database
from service.lesson_video import visible_video

Claims = Mapping[str, Any]
ViewerKey = str
ANONYMOUS: ViewerKey = "anon"


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


async def visible_to(
    db: Database, lesson_id: uuid.UUID, viewers: Collection[Claims | None]
) -> dict[ViewerKey, dict[str, Any] | None]:
    """Each distinct viewer's current view of the lesson (None: may not see it)."""
    decided: dict[ViewerKey, dict[str, Any] | None] = {}
    for claims in viewers:
        key = viewer_key(claims)
        if key in decided:
            continue
        if expired(claims):
            decided[key] = None
            continue
        async with db.user_session(claims) as conn:
            decided[key] = await visible_video(conn, lesson_id)
    return decided
