"""`python -m demo` (`make demo`): the whole flow on this machine, with no accounts.

Starts PostgreSQL (embedded, unless DATABASE_URL is set), the Mux emulator and the service
(with its worker) on free local ports; creates a demo author, course and lesson; asks the
service for an upload URL exactly as the front end does; uploads demo/sample.mp4 the way a
browser uploader does (resumable chunks); and prints each lesson state change as it arrives
over the live status stream. `--once` exits 0 once the lesson is published; `--chaos` makes
the emulator duplicate and reorder webhooks and lose the `ready` one, which the reconciler
repairs. `--lifecycle` goes on through the video's whole life: generated captions and an MP4
download appear, the video is replaced (the old asset is deleted at Mux once the new one
plays), then removed (nothing is left at Mux), and exits 0 printing the emulator's counts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from demo.stack import (
    add_data_dir_argument,
    create_demo_lesson,
    database_url,
    logs_dir,
    running_stack,
    until_interrupted,
)
from demo.upload import FRONT_END_ORIGIN, SAMPLE, access_token, upload_like_a_browser
from service.database.pool import Database

TIMEOUT_SECONDS = 60.0
# `--lifecycle`: new uploads ask for generated English captions and an MP4 download.
LIFECYCLE_SETTINGS = {
    "MUX_GENERATED_SUBTITLES": "en:English (generated)",
    "MUX_STATIC_RENDITIONS": "highest",
}


class Clock:
    def __init__(self) -> None:
        self.start = time.monotonic()

    def say(self, message: str) -> None:
        print(f"+{(time.monotonic() - self.start) * 1000:7.0f} ms  {message}", flush=True)


async def repaired_by_reconciler(database_url: str, lesson: uuid.UUID) -> bool:
    db = Database(database_url, min_size=1, max_size=1)
    await db.open()
    try:
        async with db.service_session() as conn:
            cur = await conn.execute(
                "select 1 from mux_events where lesson_id = %s and source = 'reconcile' "
                "and type = 'video.asset.ready' and state = 'applied'",
                (lesson,),
            )
            return await cur.fetchone() is not None
    finally:
        await db.close()


def _is_final(video: dict[str, Any]) -> bool:
    return video["status"] in ("published", "errored", "cancelled")


def _media(video: dict[str, Any]) -> str:
    parts = [f"caption {c['languageCode']} ({c['status']})" for c in video.get("captions", [])]
    parts += [f"download {d['name']} ({d['status']})" for d in video.get("downloads", [])]
    return ", ".join(parts)


async def watch(
    http: httpx.AsyncClient,
    service: str,
    lesson: uuid.UUID,
    token: str,
    clock: Clock,
    upload_url: str,
    done: Callable[[dict[str, Any]], bool] = _is_final,
) -> dict[str, Any]:
    """Print every state the live stream sends; upload once it is open; return the one that
    `done` accepts (or a failure)."""
    url = f"{service}/api/lessons/{lesson}/events?access_token={token}"
    uploaded = False
    async with http.stream("GET", url, timeout=None) as stream:
        data_line = ""
        async for line in stream.aiter_lines():
            if line.startswith("data:"):
                data_line = line.removeprefix("data:").strip()
                continue
            if line or not data_line:
                continue
            video = json.loads(data_line)
            data_line = ""
            detail = f"  playback id {video['playbackId']}" if video["playbackId"] else ""
            if video["status"] == "published":
                detail += f" ({video['durationSeconds']} s, {video['aspectRatio']})"
            if _media(video):
                detail += f"  {_media(video)}"
            clock.say(f"status: {video['status']}{detail}")
            if done(video) or video["status"] in ("errored", "cancelled"):
                return dict(video)
            if not uploaded:
                uploaded = True
                chunks = await upload_like_a_browser(http, upload_url)
                clock.say(
                    f"uploaded {SAMPLE.name} ({SAMPLE.stat().st_size / 1024:.1f} KiB "
                    f"in {chunks} resumable chunks)"
                )
    raise SystemExit("the live stream ended unexpectedly")


async def run(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir)
    database = database_url(data_dir)
    logs = logs_dir(data_dir)
    pooler = "listen" if args.pooler else "poll" if args.pooler_only else None
    with running_stack(
        logs,
        front_end_origin=FRONT_END_ORIGIN,
        database=database,
        chaos=args.chaos,
        pooler=pooler,
        service_settings=LIFECYCLE_SETTINGS if args.lifecycle else None,
    ) as stack:
        emulator, service = stack.emulator, stack.service
        print("mux-lessons demo")
        where = f"embedded PostgreSQL in {data_dir}" if stack.embedded else "DATABASE_URL"
        print(f"  database  {where}")
        if stack.pooler_url:
            print(f"  pooler    PgBouncer, transaction mode, {stack.pooler_url}")
        print(
            f"  emulator  {emulator}"
            + ("  (chaos: duplicates, reordering, `ready` dropped)" if args.chaos else "")
        )
        print(f"  service   {service}  (with worker; logs in {logs})")
        await stack.wait_until_up()
        async with httpx.AsyncClient(timeout=5) as http:
            live = (await http.get(f"{service}/healthz")).json()["detail"]["liveStatus"]
        degraded = f"  (degraded: {live['reason']})" if live["degraded"] else ""
        print(f"  live      {live['mode']}{degraded}")
        demo = await create_demo_lesson(stack.database_url)
        lesson = demo.lesson
        print(
            f'  lesson    {lesson} ("Demo lesson", course "Demo course"; the demo published '
            "both: visitors see the lesson once its video is ready)\n"
        )
        token = access_token(demo.author)
        clock = Clock()
        first_done = _with_media if args.lifecycle else _is_final
        async with httpx.AsyncClient(timeout=10) as http:
            try:
                final = await asyncio.wait_for(
                    upload_and_watch(http, service, lesson, token, clock, first_done),
                    TIMEOUT_SECONDS,
                )
            except TimeoutError:
                print(f"not published within {TIMEOUT_SECONDS:.0f} s; see {logs}")
                return 1
            if args.lifecycle and final["status"] == "published":
                return await lifecycle(http, service, emulator, lesson, token, clock, final)
            stats = (await http.get(f"{emulator}/_emulator/stats")).json()
        webhooks = stats["webhooks"]
        print(
            f"\nMux API calls: {stats['requests_total'] - stats['requests'].get('upload_put', 0)}"
            f"  webhooks delivered: {webhooks.get('delivered', 0)}"
            f"  duplicated: {webhooks.get('duplicated', 0)}  dropped: {webhooks.get('dropped', 0)}"
        )
        if final["status"] != "published":
            print(f"lesson ended {final['status']}: {final['error']}")
            return 1
        if await repaired_by_reconciler(stack.database_url, lesson):
            print("the lost `video.asset.ready` was repaired by the reconciler")
        async with httpx.AsyncClient(timeout=10) as visitor:  # no token: any visitor
            seen = await visitor.get(f"{service}/api/lessons/{lesson}/video")
        if seen.status_code != 200 or seen.json()["status"] != "published":
            print(f"visitors cannot watch it: {seen.status_code} {seen.text}")
            return 1
        print("visitors      can watch it (the demo published its course and lesson)")
        print(f"playback id   {final['playbackId']}")
        print(f"watch it      {emulator}/stream/{final['playbackId']}.mp4")
        print(f"status page   {service}/admin")
        print(f"admin token   {stack.admin_token}  (paste it into the status page's form)")
        if args.once:
            return 0
        print("\nrunning until Ctrl-C")
        await until_interrupted()
    return 0


def _with_media(video: dict[str, Any]) -> bool:
    """Published, and every caption and download it was asked for is ready."""
    parts = video["captions"] + video["downloads"]
    return bool(
        video["status"] == "published"
        and video["captions"]
        and video["downloads"]
        and all(part["status"] == "ready" for part in parts)
    )


async def upload_and_watch(
    http: httpx.AsyncClient,
    service: str,
    lesson: uuid.UUID,
    token: str,
    clock: Clock,
    done: Callable[[dict[str, Any]], bool],
) -> dict[str, Any]:
    """Ask for an upload URL as the front end does, then upload and watch until `done`."""
    response = await http.post(
        f"{service}/api/mux/upload",
        json={"lessonId": str(lesson)},
        headers={"Authorization": f"Bearer {token}", "Origin": FRONT_END_ORIGIN},
    )
    if response.status_code != 201:
        raise SystemExit(f"upload URL refused: {response.status_code} {response.text}")
    upload = response.json()
    clock.say(f"upload URL issued (upload {upload['uploadId'][:12]}...)")
    return await watch(http, service, lesson, token, clock, upload["url"], done)


async def _assets_at_mux(http: httpx.AsyncClient, emulator: str) -> int:
    return int((await http.get(f"{emulator}/_emulator/stats")).json()["assets"])


async def _until_assets(http: httpx.AsyncClient, emulator: str, count: int) -> None:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while await _assets_at_mux(http, emulator) != count:
        if time.monotonic() > deadline:
            raise SystemExit(f"Mux still holds {await _assets_at_mux(http, emulator)} assets")
        await asyncio.sleep(0.05)


async def lifecycle(
    http: httpx.AsyncClient,
    service: str,
    emulator: str,
    lesson: uuid.UUID,
    token: str,
    clock: Clock,
    first: dict[str, Any],
) -> int:
    """Replace the published video, then remove it; show Mux left with nothing."""
    clock.say(f"assets at Mux: {await _assets_at_mux(http, emulator)}; replacing the video")

    def replaced(video: dict[str, Any]) -> bool:
        return bool(video["status"] == "published" and video["playbackId"] != first["playbackId"])

    await asyncio.wait_for(
        upload_and_watch(http, service, lesson, token, clock, replaced), TIMEOUT_SECONDS
    )
    await _until_assets(http, emulator, 1)
    clock.say("old asset deleted at Mux (assets at Mux: 1)")
    response = await http.delete(
        f"{service}/api/lessons/{lesson}/video",
        headers={"Authorization": f"Bearer {token}", "Origin": FRONT_END_ORIGIN},
    )
    if response.status_code != 202:
        raise SystemExit(f"remove refused: {response.status_code} {response.text}")
    clock.say(f"video removed: status {response.json()['status']}")
    await _until_assets(http, emulator, 0)
    clock.say("asset deleted at Mux (assets at Mux: 0)")
    stats = (await http.get(f"{emulator}/_emulator/stats")).json()
    calls = {k: v for k, v in sorted(stats["requests"].items()) if k != "upload_put"}
    print(f"\nMux API calls: {sum(calls.values())}  {calls}")
    print(f"uploads at Mux: {stats['uploads']}  assets left at Mux: {stats['assets']}")
    return 0 if stats["assets"] == 0 else 1


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument("--once", action="store_true", help="exit 0 once the lesson is published")
    parser.add_argument("--chaos", action="store_true", help="duplicate, reorder, drop webhooks")
    add_data_dir_argument(parser)
    parser.add_argument(
        "--pooler",
        action="store_true",
        help="through PgBouncer in transaction mode; LISTEN over DATABASE_SESSION_URL",
    )
    parser.add_argument(
        "--pooler-only",
        action="store_true",
        help="through PgBouncer in transaction mode and nothing else: live status polls",
    )
    parser.add_argument(
        "--lifecycle",
        action="store_true",
        help="captions and downloads, replace, remove; exit 0 when nothing is left at Mux",
    )
    sys.exit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
