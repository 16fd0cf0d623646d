"""Nothing that needs a database session runs over the pool, which may be a transaction pooler.

Behind a transaction pooler each transaction may run on a different server connection, so
session state is lost or leaks into another client's: session advisory locks, LISTEN,
session-level SET / set_config(..., false), PREPARE. The pooled test runs catch what they
exercise; this scan catches the rest of the code, and names the only places allowed to
(the migration runner and the LISTEN connection, both on DATABASE_SESSION_URL).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SESSION_ONLY = {
    "session advisory lock": re.compile(r"pg_(try_)?advisory_lock(_shared)?\s*\(", re.I),
    "LISTEN": re.compile(r"""["'`]\s*listen\s""", re.I),
    "session-level set_config": re.compile(r"set_config\s*\([^)]*,\s*false\s*\)", re.I),
    "session-level SET": re.compile(
        r"""(execute|call)\(\s*f?["']\s*(set|reset)\s+(?!local\b)""", re.I
    ),
    "PREPARE": re.compile(r"""["']\s*prepare\s+\w+""", re.I),
}
ALLOWED = {
    (
        "service/database/migrations.py",
        "session advisory lock",
    ),  # run over DATABASE_SESSION_URL only
    ("service/live/hub.py", "LISTEN"),  # its own connection on DATABASE_SESSION_URL
}
SOURCES = sorted(
    [
        *ROOT.glob("service/**/*.py"),
        *ROOT.glob("supabase/migrations/*.sql"),
        *ROOT.glob("sql/*.sql"),
    ]
)


def _findings(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    return {name for name, pattern in SESSION_ONLY.items() if pattern.search(text)}


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_session_state_is_used_only_where_a_session_is_guaranteed(path: Path) -> None:
    relative = str(path.relative_to(ROOT))
    assert {name for name in _findings(path) if (relative, name) not in ALLOWED} == set()


def test_the_scan_recognises_what_it_looks_for(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        'await conn.execute("select pg_try_advisory_lock(%s)", (1,))\n'
        'await conn.execute("listen lesson_video")\n'
        "await conn.execute(\"select set_config('role', 'anon', false)\")\n"
        'await conn.execute("SET statement_timeout = 5")\n'
        'await conn.execute("set local lock_timeout = 100")\n'
        'await conn.execute("prepare ingest as select 1")\n'
    )
    assert _findings(sample) == set(SESSION_ONLY)
    safe = tmp_path / "safe.py"
    safe.write_text(
        "await conn.execute(\"set local lock_timeout = '1s'\")\n"
        "await conn.execute(\"select set_config('role', 'anon', true)\")\n"
        'await conn.execute("select pg_advisory_xact_lock(1)")\n'
    )
    assert _findings(safe) == set()
