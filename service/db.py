"""Database access: one pool, and the two kinds of session the service uses.

`service_session()` runs as the connecting (owner) role, for webhooks and workers; `call()`
runs one statement in its own implicit transaction (one round trip instead of three).
`user_session(claims)` does what Supabase's API gateway does, inside one transaction:
switch to `authenticated` (or `anon`) and publish the JWT claims, so RLS decides for real.
Both use `set_config(..., true)` only, never session-level SET, so they also work through
Supabase's transaction pooler.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

Connection = AsyncConnection[dict[str, Any]]
Params = Sequence[Any] | Mapping[str, Any]


class Database:
    def __init__(
        self,
        url: str,
        *,
        min_size: int = 2,
        max_size: int = 10,
        prepared_statements: bool = True,
        timeout: float = 2.0,
    ) -> None:
        """`timeout` bounds the wait for a connection: when the database is down, callers
        (a webhook answering 503 so Mux retries) learn it within that time."""
        self.url = url
        kwargs: dict[str, Any] = {
            "autocommit": True,
            "row_factory": dict_row,
            "connect_timeout": max(1, int(timeout)),
        }
        if not prepared_statements:
            kwargs["prepare_threshold"] = None
        self.pool: AsyncConnectionPool[Connection] = AsyncConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            kwargs=kwargs,
            timeout=timeout,
            open=False,
            name="mux-lessons",
        )

    async def open(self) -> None:
        await self.pool.open(wait=False)

    async def close(self) -> None:
        await self.pool.close()

    @asynccontextmanager
    async def service_session(self) -> AsyncIterator[Connection]:
        """A privileged transaction: commits on success, rolls back on error."""
        async with self.pool.connection() as conn, conn.transaction():
            yield conn

    async def call(
        self, query: str, params: Params = (), *, retry_broken: bool = False
    ) -> dict[str, Any] | None:
        """One statement, atomic on its own; its first row. A pooled connection is not checked
        before use (that would cost a round trip per call): one gone stale after a database
        restart fails once and is discarded, and `retry_broken` (for idempotent statements)
        then tries once more on another connection.
        """
        try:
            return await self._call(query, params)
        except psycopg.OperationalError:
            if not retry_broken:
                raise
            return await self._call(query, params)

    async def _call(self, query: str, params: Params) -> dict[str, Any] | None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(query, params)
            return await cur.fetchone()

    async def call_all(self, query: str, params: Params = ()) -> list[dict[str, Any]]:
        """Like `call`, returning every row."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(query, params)
            return await cur.fetchall()

    @asynccontextmanager
    async def user_session(self, claims: Mapping[str, Any] | None) -> AsyncIterator[Connection]:
        """A transaction in which RLS sees the caller: `authenticated` with claims, else `anon`."""
        async with self.pool.connection() as conn, conn.transaction():
            await act_as_user(conn, claims)
            yield conn

    async def ping(self) -> bool:
        """True when a connection can be had within 2 s and answers; used by /healthz."""
        try:
            async with self.pool.connection(timeout=2.0) as conn:
                await conn.execute("select 1")
        except Exception:
            return False
        return True


async def act_as_user(conn: Connection, claims: Mapping[str, Any] | None) -> None:
    """Switch the current transaction to the API role the claims name, as PostgREST does."""
    role = "authenticated" if claims and claims.get("role") == "authenticated" else "anon"
    payload = dict(claims) if claims else {"role": "anon"}
    await conn.execute(
        "select set_config('role', %s, true), set_config('request.jwt.claims', %s, true)",
        (role, json.dumps(payload)),
    )


async def act_as_service(conn: Connection) -> None:
    """Return the current transaction to the connecting role after `act_as_user`."""
    await conn.execute("select set_config('role', 'none', true)")
