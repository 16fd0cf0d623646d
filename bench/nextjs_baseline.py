"""The seed's own stack as a baseline: the original design's webhook route
(`app/api/webhooks/mux`) as a real Next.js route handler (`bench/nextjs_route/`) under
`next start`, doing the same UPDATEs through node-postgres, without verification.

`next`, `react` and `react-dom` are web/'s install (`make web-install`), linked into
`bench/nextjs_route/node_modules`; `pg` is that package's only dependency (its own
package-lock.json). Built once; rebuilt when its sources change.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import psutil

from bench.harness import ROOT, served
from devstack.ports import free_port

APP = ROOT / "bench" / "nextjs_route"
WEB_MODULES = ROOT / "web" / "node_modules"
LINKED = ("next", "react", "react-dom", "@next", "styled-jsx", "@swc")
SOURCES = ("app", "next.config.mjs", "package.json", "package-lock.json")


def _newest_source() -> float:
    stamps = []
    for name in SOURCES:
        path = APP / name
        paths = path.rglob("*") if path.is_dir() else [path]
        stamps += [p.stat().st_mtime for p in paths if p.is_file()]
    return max(stamps)


def prepare() -> None:
    """Install pg, link web/'s Next.js, build if needed."""
    env = {**os.environ, "NEXT_TELEMETRY_DISABLED": "1"}
    if not (WEB_MODULES / "next").is_dir():
        subprocess.run(["make", "web-install"], cwd=ROOT, check=True)
    modules = APP / "node_modules"
    if not (modules / "pg").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=APP,
            check=True,
            env=env,
        )
    for name in LINKED:  # after npm ci, which would prune them
        link, target = modules / name, WEB_MODULES / name
        if target.exists() and not link.exists():
            link.symlink_to(target, target_is_directory=True)
    build_id = APP / ".next" / "BUILD_ID"
    if not build_id.exists() or build_id.stat().st_mtime < _newest_source():
        subprocess.run(
            ["node", str(modules / "next" / "dist" / "bin" / "next"), "build"],
            cwd=APP,
            check=True,
            env=env,
        )


@contextmanager
def nextjs_server(database_url: str) -> Iterator[tuple[str, list[psutil.Process]]]:
    """`next start` on a free port; its URL and its processes (for CPU accounting)."""
    prepare()
    port = free_port()
    command = [
        *("node", str(APP / "node_modules" / "next" / "dist" / "bin" / "next"), "start"),
        *("--port", str(port), "--hostname", "127.0.0.1"),
    ]
    env = {**os.environ, "DATABASE_URL": database_url, "NEXT_TELEMETRY_DISABLED": "1"}
    with served(command, port, env=env, cwd=APP, label="nextjs-route", wait=60) as (url, child):
        process = psutil.Process(child.pid)
        yield url, [process, *process.children(recursive=True)]
