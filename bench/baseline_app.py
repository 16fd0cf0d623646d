"""The old design's webhook handler, kept only as the ingest benchmark's baseline.

No signature check, no inbox, one synchronous UPDATE per request on a thread (as the old
Next.js route awaited one Supabase update per call). Not part of the service.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from psycopg_pool import ConnectionPool
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

pool = ConnectionPool(
    os.environ["DATABASE_URL"], min_size=10, max_size=10, kwargs={"autocommit": True}, open=False
)


async def webhook(request: Request) -> JSONResponse:
    event = json.loads(await request.body())
    data = event["data"]
    await run_in_threadpool(_update, event["type"], data)
    return JSONResponse({"received": True})


def _update(event_type: str, data: dict[str, object]) -> None:
    with pool.connection() as conn:
        if event_type == "video.asset.ready":
            playback = data["playback_ids"][0]["id"]  # type: ignore[index]
            conn.execute(
                "update lessons set status = 'published', mux_playback_id = %s "
                "where mux_asset_id = %s",
                (playback, data["id"]),
            )
        elif event_type == "video.upload.asset_created":
            conn.execute(
                "update lessons set status = 'processing', mux_asset_id = %s "
                "where mux_upload_id = %s",
                (data["asset_id"], data["id"]),
            )
        else:
            conn.execute(
                "update lessons set updated_at = now() where mux_upload_id = %s",
                (data.get("upload_id") or data["id"],),
            )


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    pool.open()
    yield
    pool.close()


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


app = Starlette(
    routes=[
        Route("/api/webhooks/mux", webhook, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ],
    lifespan=lifespan,
)
