"""`/healthz` reports whether the database can be reached, so operators and Mux retries align."""

from __future__ import annotations

import httpx

from service.app import create_app
from service.database.pool import Database
from service.settings import Settings


async def _get_health(database: Database) -> httpx.Response:
    app = create_app(
        Settings(app_env="test", database_url="postgresql://unused"), database=database
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        return await client.get("/healthz")


async def test_healthz_ok_when_database_answers(db: Database) -> None:
    response = await _get_health(db)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "detail": {"poolMode": "direct", "liveStatus": {"mode": "listen", "degraded": False}},
    }


async def test_healthz_says_live_status_is_degraded_behind_a_transaction_pooler(
    db: Database,
) -> None:
    settings = Settings(
        app_env="test", database_url="postgresql://unused", db_pool_mode="transaction"
    )
    app = create_app(settings, database=db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        response = await client.get("/healthz")
    assert response.status_code == 200
    live = response.json()["detail"]["liveStatus"]
    assert (live["mode"], live["degraded"]) == ("poll", True)
    assert "DATABASE_SESSION_URL" in live["reason"]


async def test_healthz_503_when_database_is_down() -> None:
    database = Database("postgresql://postgres@127.0.0.1:1/postgres", min_size=0, max_size=1)
    await database.open()
    try:
        response = await _get_health(database)
    finally:
        await database.close()
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


async def test_unknown_route_is_a_json_error(db: Database) -> None:
    app = create_app(Settings(app_env="test", database_url="postgresql://unused"), database=db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        response = await client.get("/nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
