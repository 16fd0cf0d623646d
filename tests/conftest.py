"""Test harness: one real PostgreSQL per run, a fresh migrated database, clean tables per test.

The server is DATABASE_URL when set, else the local server on 127.0.0.1:5432 when it answers,
else an embedded one from the `pgserver` wheel.

Tests marked `pooler` run twice: directly, and with the service's pool going through Debian's
PgBouncer in transaction mode (no session URL, so live status polls), as behind Supabase's
transaction pooler. Their `db`, `webhook_settings` and `db_route` follow the route.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from devstack import pooler, postgres
from mux_emulator.app import create_app as create_emulator
from mux_emulator.config import EmulatorConfig
from mux_emulator.server import BackgroundServer
from mux_emulator.store import Store
from service.app import create_app
from service.database import migrations
from service.database.pool import Database
from service.settings import Settings
from tests.installed import Installed
from tests.mux_scenario import TEST_SECRET
from tests.rolling_deploy import RollingDeploy, build_previous
from tests.tokens import ADMIN_TOKEN, JWT_SECRET, SUPABASE_URL
from tests.webhook_receiver import Receiver


@pytest.fixture(scope="session")
def pg_server() -> str:
    return postgres.server_url(prefer_local=True)


@pytest.fixture(scope="session")
def pgbouncer(pg_server: str) -> Iterator[pooler.PgBouncer]:
    """Debian's PgBouncer in transaction mode in front of the test server (`make pgbouncer`)."""
    bouncer = pooler.start_pgbouncer(pg_server)
    yield bouncer
    bouncer.stop()


@dataclass(frozen=True)
class DbRoute:
    """How the service under test reaches the test database."""

    name: str
    url: str
    pool_mode: str
    session_url: str | None = None

    def env(self) -> dict[str, str]:
        """The same route as environment variables, for subprocesses of the service CLI."""
        env = {"DATABASE_URL": self.url, "DB_POOL_MODE": self.pool_mode}
        if self.session_url:
            env["DATABASE_SESSION_URL"] = self.session_url
        return env


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("pooler") and "db_route" in metafunc.fixturenames:
        metafunc.parametrize("db_route", ["direct", "pooler"], indirect=True)


@pytest.fixture
def db_route(request: pytest.FixtureRequest, database_url: str) -> DbRoute:
    if getattr(request, "param", "direct") == "direct":
        return DbRoute("direct", database_url, "direct")
    bouncer: pooler.PgBouncer = request.getfixturevalue("pgbouncer")
    return DbRoute("pooler", bouncer.url(database_url), "transaction")


@pytest.fixture(scope="session")
def database_url(pg_server: str) -> Iterator[str]:
    url = postgres.create_scratch_database(pg_server)
    migrations.migrate(url)
    yield url
    postgres.drop_database(pg_server, url)


@pytest.fixture
def scratch_database(pg_server: str) -> Iterator[str]:
    """An empty, unmigrated database for tests of the migration runner itself."""
    url = postgres.create_scratch_database(pg_server, prefix="mux_lessons_scratch")
    yield url
    postgres.drop_database(pg_server, url)


def _truncate_all(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        tables = conn.execute(
            "select string_agg(format('%I.%I', schemaname, tablename), ', ') from pg_tables "
            "where schemaname = 'public' or (schemaname = 'auth' and tablename = 'users')"
        ).fetchone()
        assert tables and tables[0]
        conn.execute(f"truncate {tables[0]} cascade")


@pytest.fixture
async def db(database_url: str, db_route: DbRoute) -> AsyncIterator[Database]:
    _truncate_all(database_url)
    database = Database(
        db_route.url,
        min_size=1,
        max_size=10,
        prepared_statements=db_route.pool_mode != "transaction",
    )
    await database.open()
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture(scope="session")
def previous_release() -> Installed:
    """The release before this one, installed from git history (tests/rolling_deploy.py)."""
    return build_previous()


@pytest.fixture
def upgrade_database(pg_server: str) -> Iterator[str]:
    """An empty database as a new Supabase project has it (the realtime publication)."""
    url = postgres.create_scratch_database(pg_server, prefix="mux_lessons_upgrade")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create publication supabase_realtime")
    yield url
    postgres.drop_database(pg_server, url)


@pytest.fixture
def rolling_deploy(
    previous_release: Installed,
    upgrade_database: str,
    mux_server: BackgroundServer,
    tmp_path: Path,
) -> Iterator[RollingDeploy]:
    """Both releases' processes on one new database, stopped (and their logs checked) after."""
    deploy = RollingDeploy(previous_release, upgrade_database, mux_server, tmp_path)
    try:
        yield deploy
    finally:
        deploy.close()


@pytest.fixture
def repo_env() -> dict[str, str]:
    """Environment for subprocesses of the service CLI, without the developer's .env."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MUX_", "SUPABASE_", "DB_"))}
    for name in ("DATABASE_URL", "DATABASE_SESSION_URL"):
        env.pop(name, None)
    return env


@pytest.fixture
def webhook_settings(db_route: DbRoute) -> Settings:
    return Settings(
        app_env="test",
        database_url=db_route.url,
        database_session_url=db_route.session_url,
        db_pool_mode=db_route.pool_mode,
        mux_webhook_secrets=(TEST_SECRET,),
        live_poll_seconds=0.2,
    )


@pytest.fixture
async def client(db: Database, webhook_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the ASGI app, sharing the test's database pool."""
    app = create_app(webhook_settings, database=db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        yield http


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, BackgroundServer]]:
    """A stand-in webhook endpoint on loopback, recording what it is sent."""
    recorder = Receiver()
    server = BackgroundServer(recorder.app()).start()
    yield recorder, server
    server.stop()


@pytest.fixture(scope="session")
def mux_server() -> Iterator[BackgroundServer]:
    """The Mux emulator's API on loopback, reached through the real mux-python client."""
    server = BackgroundServer(create_emulator()).start()
    yield server
    server.stop()


@pytest.fixture
def mux_store(mux_server: BackgroundServer) -> Iterator[Store]:
    store: Store = mux_server.app.state.store
    yield store
    store.fault_count = 0


@pytest.fixture
def author_settings(webhook_settings: Settings, mux_server: BackgroundServer) -> Settings:
    emulator: EmulatorConfig = mux_server.app.state.config
    return dataclasses.replace(
        webhook_settings,
        mux_api_url=mux_server.url,
        mux_token_id=emulator.token_id,
        mux_token_secret=emulator.token_secret,
        supabase_jwt_secret=JWT_SECRET,
        supabase_url=SUPABASE_URL,
        cors_allowed_origins=("http://localhost:3000", "https://app.example.test"),
        upload_rate_limit_per_minute=5,
    )


@pytest.fixture
async def author_client(
    db: Database, author_settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(author_settings, database=db)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as http,
    ):
        yield http


@pytest.fixture
def live_service(db: Database, author_settings: Settings) -> Iterator[BackgroundServer]:
    """The service on a real loopback port, with its own pool (opened by its lifespan)."""
    settings = dataclasses.replace(author_settings, admin_token=ADMIN_TOKEN)
    server = BackgroundServer(create_app(settings)).start()
    yield server
    server.stop()
