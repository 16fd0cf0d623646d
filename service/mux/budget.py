"""What one user can make the service spend at Mux (every Mux call costs the project quota).

Both author routes that call Mux share one per-user sliding-window limit kept in Postgres
(`take_upload_slot`): at most UPLOAD_RATE_LIMIT_PER_MINUTE calls in any 60 seconds, across
all instances. Upload lookups are cached in Postgres, so reporting the same upload again
does not ask Mux again.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.database.pool import Database
from service.errors import ApiError
from service.mux.client import MuxClient, MuxNotFound

WINDOW_SECONDS = 60
NOT_FOUND_TTL_SECONDS = 300


async def take_mux_call(db: Database, user_id: str, limit: int) -> None:
    """Count one Mux call against the user's limit; 429 with Retry-After when it is spent."""
    row = await db.call(
        "select allowed, retry_after from public.take_upload_slot(%s, %s, %s)",
        (user_id, limit, WINDOW_SECONDS),
    )
    assert row is not None
    if not row["allowed"]:
        raise ApiError(
            429,
            "rate_limited",
            f"At most {limit} uploads per minute; try again in {row['retry_after']} s.",
            headers={"Retry-After": str(row["retry_after"])},
        )


@dataclass(frozen=True)
class UploadLookup:
    found: bool
    passthrough: str | None


async def look_up_upload(
    db: Database, mux: MuxClient, user_id: str, upload_id: str, limit: int
) -> UploadLookup:
    """What Mux says about the upload: from the cache, else one rate-limited Mux call.
    MuxError (other than not found) propagates, and nothing is cached for it."""
    cached = await db.call(
        "select found, passthrough from public.mux_upload_lookups where upload_id = %s "
        "and (found or looked_up_at > now() - make_interval(secs => %s))",
        (upload_id, NOT_FOUND_TTL_SECONDS),
    )
    if cached is not None:
        return UploadLookup(cached["found"], cached["passthrough"])
    await take_mux_call(db, user_id, limit)
    try:
        upload = await mux.get_upload(upload_id)
        lookup = UploadLookup(True, upload.passthrough)
    except MuxNotFound:
        lookup = UploadLookup(False, None)
    await db.call(
        "insert into public.mux_upload_lookups (upload_id, found, passthrough) "
        "values (%s, %s, %s) on conflict (upload_id) do update set found = excluded.found, "
        "passthrough = excluded.passthrough, looked_up_at = now() returning upload_id",
        (upload_id, lookup.found, lookup.passthrough),
    )
    return lookup
