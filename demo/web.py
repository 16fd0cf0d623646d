"""`python -m demo.web` (`make web`): the Next.js app against the whole local stack.

Starts what `make demo` starts (PostgreSQL, the Mux emulator, the service with its worker), a
local stand-in for Supabase Auth, and the built web app (`next start`), all on free ports;
creates the demo author, course and lesson, uploads the sample as the lesson's video and waits
until visitors can watch it (the demo publishes its course and lesson); prints the home URL
signed in as that author (a
magic-link URL, as Supabase sends), and the author's email and password for the sign-in page,
where a newcomer can also sign up. Runs until Ctrl-C; `--once` exits 0 once the home page
answers.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shutil
import sys
import uuid
from pathlib import Path

import httpx

from demo.stack import (
    DEV_JWT_SECRET,
    ROOT,
    add_data_dir_argument,
    clean_env,
    create_demo_lesson,
    database_url,
    logs_dir,
    running_stack,
    until_interrupted,
)
from demo.supabase_auth import AuthStandIn
from demo.upload import access_token, upload_like_a_browser
from devstack.ports import free_port
from mux_emulator.server import BackgroundServer

WEB = ROOT / "web"
ANON_KEY = "local-anon-key"  # the stand-in checks no API key; a hosted project's is public


def web_env(*, service: str, supabase: str, emulator: str, chunk_kb: int | None) -> dict[str, str]:
    """The web app's run-time configuration (read on each request, not at build time)."""
    env = {
        **clean_env(),
        "NEXT_TELEMETRY_DISABLED": "1",
        "MUX_LESSONS_API_URL": service,
        "SUPABASE_URL": supabase,
        "SUPABASE_ANON_KEY": ANON_KEY,
        "MUX_PLAYBACK_BASE_URL": f"{emulator}/stream",
    }
    if chunk_kb is not None:
        env["UPLOAD_CHUNK_SIZE_KB"] = str(chunk_kb)
    return env


def next_start(port: int) -> list[str]:
    node = shutil.which("node")
    if node is None:
        raise SystemExit("Node.js 20 or newer is needed for the web app (`node` not found)")
    if not (WEB / ".next" / "BUILD_ID").exists():
        raise SystemExit("the web app is not built: run `make web` (it builds it first)")
    next_bin = WEB / "node_modules" / "next" / "dist" / "bin" / "next"
    return [node, str(next_bin), "start", "--hostname", "127.0.0.1", "--port", str(port)]


async def give_it_a_video(service: str, lesson: uuid.UUID, author: uuid.UUID, origin: str) -> bool:
    """The sample uploaded to the demo lesson as the author's browser would; True once any
    visitor (no token) can watch it."""
    token = access_token(author)
    async with httpx.AsyncClient(timeout=10) as http:
        made = await http.post(
            f"{service}/api/mux/upload",
            json={"lessonId": str(lesson)},
            headers={"Authorization": f"Bearer {token}", "Origin": origin},
        )
        if made.status_code != 201:
            return False
        await upload_like_a_browser(http, made.json()["url"], origin)
        for _ in range(300):
            seen = await http.get(f"{service}/api/lessons/{lesson}/video")
            if seen.status_code == 200 and seen.json()["status"] == "published":
                return True
            await asyncio.sleep(0.1)
    return False


async def run(args: argparse.Namespace) -> int:
    web_port = free_port()
    web = f"http://127.0.0.1:{web_port}"
    start_web = next_start(web_port)
    auth_port = free_port()
    auth = AuthStandIn(DEV_JWT_SECRET, public_url=f"http://127.0.0.1:{auth_port}")
    auth_server = BackgroundServer(auth.app(), port=auth_port).start()
    try:
        data_dir = Path(args.data_dir)
        database = database_url(data_dir)
        auth.database_url = database[0]  # sign-ups become users of this database
        logs = logs_dir(data_dir)
        with running_stack(logs, front_end_origin=web, database=database) as stack:
            env = web_env(
                service=stack.service,
                supabase=auth.public_url,
                emulator=stack.emulator,
                chunk_kb=None,
            )
            stack.start("web", start_web, env, cwd=WEB)
            await stack.wait_until_up()
            await stack.wait_for("web", f"{web}/sign-in")
            demo = await create_demo_lesson(stack.database_url)
            if not await give_it_a_video(stack.service, demo.lesson, demo.author, web):
                print(f"the demo lesson's video was not published; see {stack.logs}")
                return 1
            password = secrets.token_urlsafe(9)
            user = auth.add_user(demo.author, demo.email, password)
            home = f"{web}/"
            async with httpx.AsyncClient(timeout=10) as http:
                page = await http.get(home)
            if page.status_code != 200:
                print(f"the home page answered {page.status_code}; see {stack.logs}")
                return 1
            print("mux-lessons web app")
            print(f"  web app   {web}  (next start; logs in {stack.logs})")
            print(f"  service   {stack.service}")
            print(f"  emulator  {stack.emulator}")
            print(f"  auth      {auth.public_url}  (local stand-in for Supabase Auth)\n")
            print("Open the app, signed in as the demo author (who owns the demo course):")
            print(f"  {home}{auth.magic_link_fragment(user)}\n")
            print(f"course page   {web}/courses/{demo.course}")
            print(f"lesson        {web}/lessons/{demo.lesson}  (published by the demo: any visitor")
            print("              can watch it; new courses and lessons start as drafts)")
            print(f"sign in       {web}/sign-in   {demo.email} / {password}")
            print(f"sign up       {web}/sign-in   (make an account of your own)")
            print(f"status page   {stack.service}/admin")
            print(f"admin token   {stack.admin_token}  (paste it into the status page's form)")
            if args.once:
                return 0
            print("\nrunning until Ctrl-C")
            await until_interrupted()
    finally:
        auth_server.stop()
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m demo.web", description=__doc__)
    parser.add_argument("--once", action="store_true", help="exit 0 once the home page answers")
    add_data_dir_argument(parser)
    sys.exit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
