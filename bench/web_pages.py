"""`python -m bench.web_pages --before DIR --lighthouse CLI`: the learner's pages, before and after.

Starts the whole stack once (a scratch database on the local PostgreSQL, the Mux emulator,
the service with its worker, the Supabase Auth stand-in) and two builds of the web app against
it: `--before` (another checkout's built `web/`, e.g. the previous release's) and this tree's
`web/`. Publishes a course of three lessons through the emulator, then, in one sitting and
alternating builds run by run, measures as an anonymous visitor on a phone would get them:

- Lighthouse's mobile defaults (simulated slow 4G, 4x CPU slowdown, Moto G Power screen),
  performance only: score, first and largest contentful paint, total blocking time, and the
  bytes of JavaScript transferred (compressed, `resource-summary`);
- whether the first HTML carries the page's data (its course or lesson title outside scripts).

Lighthouse itself is not a dependency of this project: install it outside the repository
(`mkdir -p /tmp/lh && cd /tmp/lh && npm i -E lighthouse@12.2.3`) and point `--lighthouse` at
its `cli/index.js`; `CHROME_PATH` names the Chromium to drive (Debian's /usr/bin/chromium).
Prints medians per page and build, and after/before ratios. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import httpx

from demo.stack import DEV_JWT_SECRET, ROOT, running_stack
from demo.supabase_auth import AuthStandIn
from demo.web import WEB, web_env
from devstack import postgres
from devstack.ports import free_port
from mux_emulator.server import BackgroundServer
from service.database import migrations
from service.database.pool import Database

SAMPLE = ROOT / "demo" / "sample.mp4"


def _next(web_dir: Path, port: int) -> list[str]:
    cli = web_dir / "node_modules" / "next" / "dist" / "bin" / "next"
    return ["node", str(cli), "start", "--hostname", "127.0.0.1", "--port", str(port)]


async def _seed(database_url: str, service: str, origin: str, auth: AuthStandIn) -> dict[str, str]:
    """A course of three published lessons, each with a description; their ids."""
    db = Database(database_url, min_size=1, max_size=2)
    await db.open()
    try:
        author = uuid.uuid4()
        async with db.service_session() as conn:
            await conn.execute(
                "insert into auth.users (id, email) values (%s, %s)",
                (author, f"bench-{author.hex[:6]}@example.test"),
            )
        claims = {"sub": str(author), "role": "authenticated"}
        async with db.user_session(claims) as conn:
            row = await (
                await conn.execute(
                    "insert into courses (title, description) values "
                    "('Baking bread', 'Flour, water, salt and time.\n\nThree short lessons.') "
                    "returning id"
                )
            ).fetchone()
            assert row is not None
            course = str(row["id"])
            lessons = []
            for title in ("Starter", "Mixing", "Shaping"):
                cur = await conn.execute(
                    "insert into lessons (course_id, title, description) values (%s, %s, %s) "
                    "returning id",
                    (course, title, f"{title}: what to do.\n\nAnd why."),
                )
                created = await cur.fetchone()
                assert created is not None
                lessons.append(str(created["id"]))
            # Made public by their author, as learners need (new rows start `draft`).
            await conn.execute("update courses set visibility = 'public' where id = %s", (course,))
            await conn.execute(
                "update lessons set visibility = 'public' where course_id = %s", (course,)
            )
        email = f"bench-{author.hex[:6]}@example.test"
        token = auth.session(auth.add_user(author, email, email))["access_token"]
        async with httpx.AsyncClient(base_url=service, timeout=30) as http:
            for lesson in lessons:
                issued = await http.post(
                    "/api/mux/upload",
                    json={"lessonId": lesson},
                    headers={"Authorization": f"Bearer {token}", "Origin": origin},
                )
                issued.raise_for_status()
                (
                    await http.put(issued.json()["url"], content=SAMPLE.read_bytes())
                ).raise_for_status()
        for _ in range(300):
            rows = await db.call_all(
                "select count(*) as n from lessons where course_id = %s and status = 'published'",
                (course,),
            )
            if rows[0]["n"] == len(lessons):
                break
            await asyncio.sleep(0.1)
        else:
            raise SystemExit("the bench course was never published")
        return {"course": course, "lesson": lessons[0], "title": "Baking bread"}
    finally:
        await db.close()


def _lighthouse(cli: str, url: str) -> dict[str, float]:
    out = subprocess.run(
        [
            "node",
            cli,
            url,
            "--only-categories=performance",
            "--output=json",
            "--output-path=stdout",
            "--quiet",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=240,
    ).stdout
    report: dict[str, Any] = json.loads(out)
    audits = report["audits"]
    scripts = next(
        item
        for item in audits["resource-summary"]["details"]["items"]
        if item["resourceType"] == "script"
    )
    return {
        "score": float(report["categories"]["performance"]["score"]),
        "fcp_ms": float(audits["first-contentful-paint"]["numericValue"]),
        "lcp_ms": float(audits["largest-contentful-paint"]["numericValue"]),
        "tbt_ms": float(audits["total-blocking-time"]["numericValue"]),
        "script_kib": float(scripts["transferSize"]) / 1024,
        "scripts": float(scripts["requestCount"]),
    }


def _data_in_html(url: str, needle: str) -> bool:
    text = httpx.get(url, timeout=30).text
    return needle in re.sub(r"<script\b.*?</script>", "", text, flags=re.S)


def _measure(
    origins: dict[str, str], pages: dict[str, tuple[str, str]], lighthouse: str, runs: int
) -> str:
    """Lighthouse on every page of both builds, `runs` times, alternating the builds' order."""
    out: list[str] = []
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    for path, _ in pages.values():  # warm each server's routes once
        for origin in origins.values():
            httpx.get(f"{origin}{path}", timeout=60)
    for run_index in range(runs):
        for page, (path, _) in pages.items():
            order = ("before", "after") if run_index % 2 == 0 else ("after", "before")
            for build in order:
                measured = _lighthouse(lighthouse, f"{origins[build]}{path}")
                results.setdefault((page, build), []).append(measured)
                print(f"run {run_index + 1} {page:7} {build:6} {measured}", file=sys.stderr)
    out.append(f"Lighthouse {runs} runs per page and build, medians; mobile defaults")
    out.append(
        f"{'page':8} {'build':7} {'score':>5} {'FCP ms':>7} {'LCP ms':>7} {'TBT ms':>7} "
        f"{'JS KiB':>7} {'scripts':>7} data-in-HTML"
    )
    for page, (path, needle) in pages.items():
        medians = {}
        for build in ("before", "after"):
            measured_runs = results[(page, build)]
            m = {k: statistics.median(r[k] for r in measured_runs) for k in measured_runs[0]}
            medians[build] = m
            in_html = _data_in_html(f"{origins[build]}{path}", needle)
            out.append(
                f"{page:8} {build:7} {m['score']:5.2f} {m['fcp_ms']:7.0f} "
                f"{m['lcp_ms']:7.0f} {m['tbt_ms']:7.0f} {m['script_kib']:7.1f} "
                f"{m['scripts']:7.0f} {'yes' if in_html else 'no'}"
            )
        b, a = medians["before"], medians["after"]
        out.append(
            f"{page:8} after/before: JS {a['script_kib'] / b['script_kib']:.2f}, "
            f"LCP {a['lcp_ms'] / b['lcp_ms']:.2f}"
            + (f", TBT {a['tbt_ms'] / b['tbt_ms']:.2f}" if b["tbt_ms"] else "")
        )
    return "\n".join(out)


async def run(args: argparse.Namespace) -> int:
    before_dir: Path = args.before
    server = postgres.server_url(prefer_local=True)
    database = postgres.create_scratch_database(server, prefix="bench_web_pages")
    migrations.migrate(database)
    ports = {"before": free_port(), "after": free_port()}
    origins = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    auth_port = free_port()
    auth = AuthStandIn(DEV_JWT_SECRET, public_url=f"http://127.0.0.1:{auth_port}")
    auth_server = BackgroundServer(auth.app(), port=auth_port).start()
    logs = Path(tempfile.mkdtemp(prefix="bench-web-pages-"))
    try:
        with running_stack(
            logs,
            front_end_origin=origins["after"],
            database=(database, False),
            service_settings={"CORS_ALLOWED_ORIGINS": ",".join(origins.values())},
        ) as stack:
            env = web_env(
                service=stack.service,
                supabase=auth.public_url,
                emulator=stack.emulator,
                chunk_kb=None,
            )
            stack.start("before", _next(before_dir, ports["before"]), env, cwd=before_dir)
            stack.start("after", _next(WEB, ports["after"]), env, cwd=WEB)
            await stack.wait_until_up()
            for build, origin in origins.items():
                await stack.wait_for(build, f"{origin}/sign-in")
            seeded = await _seed(database, stack.service, origins["after"], auth)
            pages = {
                "catalog": ("/", seeded["title"]),
                "course": (f"/courses/{seeded['course']}", seeded["title"]),
                "lesson": (f"/lessons/{seeded['lesson']}", "Starter"),
            }
            report = await asyncio.to_thread(_measure, origins, pages, args.lighthouse, args.runs)
            print(report)
    finally:
        auth_server.stop()
        postgres.drop_database(server, database)
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.web_pages", description=__doc__)
    parser.add_argument("--before", required=True, help="a built web/ to compare with")
    parser.add_argument("--lighthouse", required=True, help="Lighthouse's cli/index.js")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    args.before = Path(args.before).resolve()
    if not (args.before / ".next" / "BUILD_ID").exists():
        raise SystemExit(f"{args.before} holds no built web app (run `npx next build` there)")
    if not os.environ.get("CHROME_PATH"):
        os.environ["CHROME_PATH"] = "/usr/bin/chromium"
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
