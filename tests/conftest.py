"""Test harness: one real PostgreSQL per run, a fresh migrated database, clean tables per test.

The server is DATABASE_URL when set, else the local server on 127.0.0.1:5432 when it answers,
else an embedded one from the `pgserver` wheel.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import AsyncIterator, Iterator

import httpx
import psycopg
import pytest

from mux_emulator.app import create_app as create_emulator
from mux_emulator.config import EmulatorConfig
from mux_emulator.server import BackgroundServer
from mux_emulator.store import Store
from service import devdb, migrate
from service.app import create_app
from service.db import Database
from service.settings import Settings
from tests.mux_scenario import TEST_SECRET
from tests.tokens import ADMIN_TOKEN, JWT_SECRET, SUPABASE_URL


@pytest.fixture(scope="session")
def pg_server() -> str:
    return devdb.server_url(prefer_local=True)


@pytest.fixture(scope="session")
def database_url(pg_server: str) -> Iterator[str]:
    url = devdb.create_scratch_database(pg_server)
    migrate.migrate(url)
    yield url
    devdb.drop_database(pg_server, url)


@pytest.fixture
def scratch_database(pg_server: str) -> Iterator[str]:
    """An empty, unmigrated database for tests of the migration runner itself."""
    url = devdb.create_scratch_database(pg_server, prefix="mux_lessons_scratch")
    yield url
    devdb.drop_database(pg_server, url)


def _truncate_all(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        tables = conn.execute(
            "select string_agg(format('%I.%I', schemaname, tablename), ', ') from pg_tables "
            "where schemaname = 'public' or (schemaname = 'auth' and tablename = 'users')"
        ).fetchone()
        assert tables and tables[0]
        conn.execute(f"truncate {tables[0]} cascade")


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    _truncate_all(database_url)
    database = Database(database_url, min_size=1, max_size=10)
    await database.open()
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def repo_env() -> dict[str, str]:
    """Environment for subprocesses of the service CLI, without the developer's .env."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MUX_", "SUPABASE_"))}
    env.pop("DATABASE_URL", None)
    return env


@pytest.fixture
def webhook_settings(database_url: str) -> Settings:
    return Settings(
        app_env="test",
        database_url=database_url,
        mux_webhook_secrets=(TEST_SECRET,),
    )


@pytest.fixture
async def client(db: Database, webhook_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the ASGI app, sharing the test's database pool."""
    app = create_app(webhook_settings, database=db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        yield http


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
