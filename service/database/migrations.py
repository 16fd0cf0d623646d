"""Apply the Supabase stand-ins and the pending migrations shipped in this package.

The SQL is package data: `service/database/sql/migrations` is `supabase/migrations` (where the
Supabase CLI reads it; the one source, linked, never copied) and `service/database/sql/standins`
is `sql/`, the local stand-ins for what Supabase provides. A wheel carries both, and they are
read with `importlib.resources`, so an installed service migrates from wherever it runs. An
installation that carries no migrations, or fewer than its wheel was built with (its RECORD),
is refused by name rather than reporting a database as up to date.

Each migration runs in its own transaction and is recorded in a table of the service's own
(`mux_lessons_meta.schema_migrations`). A session-level advisory lock makes concurrent runs
(two deploys, two test processes) take turns; the second finds nothing left to do. That lock
needs a session, so this runs over DATABASE_SESSION_URL (never a transaction pooler).

Files `supabase db push` already applied (recorded in the CLI's own history table,
`supabase_migrations.schema_migrations`) are adopted, not applied again, so a project may
switch from one to the other.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.resources
import re
from dataclasses import dataclass
from importlib.resources.abc import Traversable

import psycopg

from service.database.pool import Connection

DISTRIBUTION = "mux-lessons"
SQL_DIR = importlib.resources.files("service.database") / "sql"
MIGRATIONS_DIR = SQL_DIR / "migrations"
STANDINS_DIR = SQL_DIR / "standins"
_PACKAGED_MIGRATIONS = "service/database/sql/migrations"
REINSTALL = (
    "reinstall mux-lessons from a wheel built in the repository (`pip wheel --no-deps .`), "
    "which carries supabase/migrations"
)
ADVISORY_LOCK_KEY = 7_401_958_213_114  # arbitrary, fixed: "mux-lessons migrations"
_NAME = re.compile(r"^(\d{14})_([a-z0-9_]+)\.sql$")


class MigrationError(Exception):
    """A migration file is missing, misnamed, was edited after being applied, or failed to apply."""


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Traversable

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class MigrationStatus:
    applied: list[str]
    pending: list[str]
    standins_needed: bool


def _sql_files(folder: Traversable) -> list[Traversable]:
    if not folder.is_dir():
        return []
    return sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)


def shipped_names() -> set[str]:
    """Migration files the installed wheel was built with, from its RECORD; empty when the
    package runs from a source tree (an editable install's RECORD lists no data files, and
    a source tree's egg-info has no RECORD)."""
    try:
        record = importlib.metadata.distribution(DISTRIBUTION).read_text("RECORD") or ""
    except importlib.metadata.PackageNotFoundError:
        return set()
    names = set()
    for line in record.splitlines():
        folder, _, name = line.partition(",")[0].rpartition("/")
        if folder == _PACKAGED_MIGRATIONS and name.endswith(".sql"):
            names.add(name)
    return names


def discover(directory: Traversable = MIGRATIONS_DIR) -> list[Migration]:
    """The migrations this package carries, oldest first. Raises MigrationError when there are
    none, or fewer than the installed wheel was built with: an incomplete installation must
    never make a database look up to date."""
    files = _sql_files(directory)
    missing = sorted(shipped_names() - {f.name for f in files})
    if missing:
        raise MigrationError(
            f"this installation lacks {len(missing)} of the migrations it was built with "
            f"({', '.join(missing)}); {REINSTALL}"
        )
    if not files:
        raise MigrationError(
            f"no migrations found in the package ({_PACKAGED_MIGRATIONS}); {REINSTALL}"
        )
    migrations = []
    for path in files:
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(
                f"{path.name}: migration files must be named <YYYYMMDDHHMMSS>_<name>.sql"
            )
        migrations.append(Migration(match.group(1), match.group(2), path))
    return migrations


def standins() -> list[Traversable]:
    """The local stand-ins for what Supabase provides (roles, the `auth` schema)."""
    files = _sql_files(STANDINS_DIR)
    if not files:
        raise MigrationError(
            f"no stand-ins found in the package (service/database/sql/standins); {REINSTALL}"
        )
    return files


def _connect(url: str) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(url, autocommit=True, prepare_threshold=None)


def _ensure_meta(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    conn.execute("create schema if not exists mux_lessons_meta")
    conn.execute(
        """create table if not exists mux_lessons_meta.schema_migrations (
             version text primary key,
             name text not null,
             checksum text not null,
             applied_at timestamptz not null default now())"""
    )


def _applied(conn: psycopg.Connection[tuple[object, ...]]) -> dict[str, str]:
    exists = conn.execute("select to_regclass('mux_lessons_meta.schema_migrations')").fetchone()
    if not exists or exists[0] is None:
        return {}
    rows = conn.execute("select version, checksum from mux_lessons_meta.schema_migrations")
    return {str(version): str(checksum) for version, checksum in rows}


def _pushed_by_supabase_cli(conn: psycopg.Connection[tuple[object, ...]]) -> set[str]:
    """Versions the Supabase CLI (`supabase db push`) recorded as applied."""
    exists = conn.execute("select to_regclass('supabase_migrations.schema_migrations')").fetchone()
    if not exists or exists[0] is None:
        return set()
    rows = conn.execute("select version from supabase_migrations.schema_migrations")
    return {str(version) for (version,) in rows}


def _standins_needed(conn: psycopg.Connection[tuple[object, ...]]) -> bool:
    """A Supabase database already has the `auth` schema; plain PostgreSQL needs the stand-ins."""
    row = conn.execute("select to_regnamespace('auth') is null").fetchone()
    return bool(row and row[0])


def status(url: str) -> MigrationStatus:
    with _connect(url) as conn:
        applied = set(_applied(conn)) | _pushed_by_supabase_cli(conn)
        return MigrationStatus(
            applied=sorted(applied),
            pending=[m.version + "_" + m.name for m in discover() if m.version not in applied],
            standins_needed=_standins_needed(conn),
        )


def migrate(url: str) -> list[str]:
    """Apply what is pending; returns the names applied (empty when up to date)."""
    migrations = discover()
    done: list[str] = []
    with _connect(url) as conn:
        conn.execute("select pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
        try:
            if _standins_needed(conn):
                with conn.transaction():
                    for path in standins():
                        conn.execute(path.read_text(encoding="utf-8"))
                done.append("sql/ stand-ins")
            _ensure_meta(conn)
            applied = _applied(conn)
            pushed = _pushed_by_supabase_cli(conn)
            for migration in migrations:
                if migration.version in applied:
                    if applied[migration.version] != migration.checksum:
                        raise MigrationError(
                            f"{migration.path.name} was changed after it was applied; "
                            "add a new migration instead"
                        )
                    continue
                try:
                    with conn.transaction():
                        if migration.version not in pushed:
                            conn.execute(migration.sql)
                        conn.execute(
                            "insert into mux_lessons_meta.schema_migrations "
                            "(version, name, checksum) values (%s, %s, %s)",
                            (migration.version, migration.name, migration.checksum),
                        )
                except psycopg.Error as exc:
                    raise MigrationError(f"{migration.path.name} failed: {exc}") from exc
                if migration.version not in pushed:
                    done.append(f"{migration.version}_{migration.name}")
        finally:
            conn.execute("select pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
    return done


# Both histories count: the runner's own and the Supabase CLI's (`supabase db push`).
_HISTORIES = (
    "select to_regclass('mux_lessons_meta.schema_migrations') is not null as runner, "
    "to_regclass('supabase_migrations.schema_migrations') is not null as cli"
)
_RUNNER = "select version from mux_lessons_meta.schema_migrations"
_CLI = "select version::text from supabase_migrations.schema_migrations"


async def applied_versions(conn: Connection) -> set[str]:
    """Versions recorded as applied in either history table."""
    tables = await (await conn.execute(_HISTORIES)).fetchone() or {}
    queries = [
        q for q, present in ((_RUNNER, tables.get("runner")), (_CLI, tables.get("cli"))) if present
    ]
    if not queries:
        return set()
    rows = await (await conn.execute(" union ".join(queries))).fetchall()
    return {str(row["version"]) for row in rows}


@dataclass(frozen=True)
class SchemaVersions:
    """Where the database's schema stands against this package's migrations."""

    package: str  # the latest version this package carries
    database: str | None  # the latest version applied (by either history)
    pending: list[str]  # this package's migrations not applied, by file name
    newer: list[str]  # versions applied after this package's latest: a later release's

    def detail(self) -> dict[str, object]:
        detail: dict[str, object] = {"package": self.package, "database": self.database}
        if self.newer:
            detail["newer"] = self.newer
        return detail


def schema_versions(applied: set[str]) -> SchemaVersions:
    """A schema *newer* than this package (a later release migrated it, as during a rolling
    deploy) is compatible by the upgrade rules (docs/upgrades.md); an *older* one, with any of
    this package's migrations pending, is not."""
    shipped = discover()
    package = shipped[-1].version
    return SchemaVersions(
        package=package,
        database=max(applied) if applied else None,
        pending=[m.path.name for m in shipped if m.version not in applied],
        newer=sorted(v for v in applied if v > package),
    )
