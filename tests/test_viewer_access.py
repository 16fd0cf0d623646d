"""The per-change visibility decision live streams make: one answer per distinct viewer."""

from __future__ import annotations

import time

from service.database.pool import Database
from service.live.visibility import ANONYMOUS, ViewDecider, viewer_key, visible_to
from tests.factories import claims_for, create_lesson, create_user
from tests.mux_scenario import Video, attach_upload


async def test_each_distinct_viewer_gets_what_rls_lets_it_read_now(db: Database) -> None:
    owner = await create_user(db)
    stranger = await create_user(db)
    lesson = await create_lesson(db, owner)
    await attach_upload(db, lesson, Video(lesson).upload_id)  # uploading: owner only
    exp = int(time.time()) + 60
    owner_claims = claims_for(owner, exp=exp)
    expired = claims_for(owner, exp=int(time.time()) - 1)
    viewers = [owner_claims, dict(owner_claims), claims_for(stranger, exp=exp), None, expired]
    decider = ViewDecider(db)
    decided = await visible_to(decider, lesson, viewers)
    assert len(decided) == 4  # the owner's two streams share one decision
    assert decider.statements == 1  # and all of them are decided by one statement
    owner_view = decided[viewer_key(owner_claims)]
    assert owner_view is not None and owner_view["status"] == "uploading"
    assert decided[viewer_key(claims_for(stranger, exp=exp))] is None
    assert decided[ANONYMOUS] is None
    assert decided[viewer_key(expired)] is None  # an expired token sees nothing
