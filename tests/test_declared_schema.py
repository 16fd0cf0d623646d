"""The present schema, declared: `supabase/schemas/` (one file per concern, each function
defined once) must describe exactly the database the migrations build. One database is built
from `supabase/migrations/` as a deploy builds it, one from the `sql/` stand-ins and
`supabase/schemas/`; their public schemas, dumped by pg_dump (privileges included), must be
the same text. A change made in one and not the other fails here, with the difference shown.
"""

from __future__ import annotations

import difflib
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from devstack import postgres
from service.database import migrations

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "supabase" / "schemas"
STANDINS = ROOT / "sql"
_CREATE_FUNCTION = re.compile(r"^create (?:or replace )?function public\.(\w+)\(", re.M)


@pytest.fixture
def two_databases(pg_server: str) -> Iterator[tuple[str, str]]:
    urls = [postgres.create_scratch_database(pg_server, prefix=f"mux_lessons_{n}") for n in "md"]
    try:
        yield urls[0], urls[1]
    finally:
        for url in urls:
            postgres.drop_database(pg_server, url)


def _declare(url: str) -> None:
    """What Supabase's declarative schema does on a fresh project: the platform's objects
    (here, the stand-ins), then every schema file in name order."""
    with psycopg.connect(url, autocommit=True) as conn:
        for path in sorted(STANDINS.glob("*.sql")) + sorted(SCHEMAS.glob("*.sql")):
            try:
                conn.execute(path.read_text(encoding="utf-8"))  # type: ignore[call-overload]
            except psycopg.Error as exc:
                raise AssertionError(f"{path.relative_to(ROOT)}: {exc}") from exc


def _pg_dump(url: str) -> str:
    with psycopg.connect(url) as conn:
        major = conn.info.server_version // 10000
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin/pg_dump")]
    found = shutil.which("pg_dump")
    if found:
        candidates.append(Path(found))
    for candidate in candidates:
        if not candidate.exists():
            continue
        version = subprocess.run(
            [str(candidate), "--version"], capture_output=True, text=True, check=True
        ).stdout
        if re.search(rf"\s{major}\.\d+", version):
            dump = subprocess.run(
                [str(candidate), "--schema-only", "--schema=public", "--dbname", url],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            # pg_dump 15.14+ fences its output with a random key: not part of the schema
            return re.sub(r"^\\(un)?restrict .*$", "", dump, flags=re.M)
    pytest.fail(f"no pg_dump for PostgreSQL {major} (looked at {candidates})")


def test_the_declared_schema_is_the_migrated_schema(two_databases: tuple[str, str]) -> None:
    migrated, declared = two_databases
    migrations.migrate(migrated)
    _declare(declared)
    expected, actual = _pg_dump(migrated), _pg_dump(declared)
    difference = "".join(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            "migrations",
            "supabase/schemas",
            n=2,
        )
    )
    assert not difference, "supabase/schemas differs from the migrations:\n" + difference[:6000]


def test_every_function_is_declared_once() -> None:
    names = Counter(
        name
        for path in SCHEMAS.glob("*.sql")
        for name in _CREATE_FUNCTION.findall(path.read_text(encoding="utf-8"))
    )
    assert names, "no function declared"
    assert {name for name, n in names.items() if n > 1} == set()


def test_the_architecture_points_to_the_declared_state_machine() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert "supabase/schemas/30_state_machine.sql" in text
    state_machine = (SCHEMAS / "30_state_machine.sql").read_text(encoding="utf-8")
    assert "create function public.mux_transition(" in state_machine
