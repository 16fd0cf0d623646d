"""Database access: one pool, and the two kinds of session the service uses.

`service_session()` runs as the connecting (owner) role, for webhooks and workers; `call()`
runs one statement in its own implicit transaction (one round trip instead of three).
`user_session(claims)` does what Supabase's API gateway does, inside one transaction:
switch to `authenticated` (or `anon`) and publish the JWT claims, so RLS decides for real.

Waits are bounded: every session sets `lock_timeout` and `statement_timeout` for its own
transaction, and the single-statement calls that take row locks (webhook ingest, the worker)
pass `lock_timeout` to the `*_bounded` SQL functions, which set it inside the statement. So
one long transaction elsewhere (a dashboard edit holding a lesson's row) cannot hold them up
for longer than that. Everything uses `set_config(..., true)` (SET LOCAL), never session-level
SET, so it also works through Supabase's transaction pooler.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

if TYPE_CHECKING:
    from service.settings import Settings

Connection = AsyncConnection[dict[str, Any]]
Params = Sequence[Any] | Mapping[str, Any]

_LIMITS = "select set_config('lock_timeout', %s, true), set_config('statement_timeout', %s, true)"


def _ms(seconds: float) -> str:
    return f"{max(1, round(seconds * 1000))}ms"


class Database:
    def __init__(
        self,
        url: str,
        *,
        min_size: int = 2,
        max_size: int = 10,
        prepared_statements: bool = True,
        timeout: float = 2.0,
        lock_timeout: float = 0.5,
        statement_timeout: float = 10.0,
    ) -> None:
        """`timeout` bounds the wait for a connection: when the database is down, callers
        (a webhook answering 503 so Mux retries) learn it within that time. `lock_timeout`
        and `statement_timeout` bound each transaction's lock waits and statements."""
        self.url = url
        self.timeout = timeout
        self.lock_timeout = _ms(lock_timeout)
        self.limits = (self.lock_timeout, _ms(statement_timeout))
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

    @classmethod
    def for_settings(cls, settings: Settings) -> Database:
        """The pool the settings describe (DATABASE_URL, pool size, timeouts)."""
        if settings.database_url is None:
            raise RuntimeError("DATABASE_URL is not set")
        return cls(
            settings.database_url,
            min_size=settings.db_pool_min,
            max_size=settings.db_pool_max,
            prepared_statements=settings.prepared_statements,
            timeout=settings.db_pool_timeout_seconds,
            lock_timeout=settings.db_lock_timeout_seconds,
            statement_timeout=settings.db_statement_timeout_seconds,
        )

    async def open(self) -> None:
        await self.pool.open(wait=False)

    async def close(self) -> None:
        await self.pool.close()

    @asynccontextmanager
    async def service_session(self) -> AsyncIterator[Connection]:
        """A privileged transaction: commits on success, rolls back on error."""
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute(_LIMITS, self.limits)
            yield conn

    async def call(
        self, query: str, params: Params = (), *, retry_broken: bool = False
    ) -> dict[str, Any] | None:
        """One statement, atomic on its own; its first row. A pooled connection is not checked
        before use (that would cost a round trip per call): one gone stale after a database
        restart fails once and is discarded, and `retry_broken` (for idempotent statements)
        then tries once more on another connection. A pool timeout (no connection to be had)
        is never retried: the caller learns within the pool timeout.
        """
        rows = await self.call_all(query, params, retry_broken=retry_broken, first_only=True)
        return rows[0] if rows else None

    async def call_all(
        self,
        query: str,
        params: Params = (),
        *,
        retry_broken: bool = False,
        first_only: bool = False,
    ) -> list[dict[str, Any]]:
        """Like `call`, returning every row (or only the first, with `first_only`)."""
        try:
            return await self._call_all(query, params, first_only)
        except psycopg.OperationalError as exc:
            if not (retry_broken and _broken(exc)):
                raise
            return await self._call_all(query, params, first_only)

    async def _call_all(self, query: str, params: Params, first_only: bool) -> list[dict[str, Any]]:
        async with self.pool.connection() as conn:
            cur = await conn.execute(query, params)
            if first_only:
                row = await cur.fetchone()
                return [row] if row is not None else []
            return await cur.fetchall()

    @asynccontextmanager
    async def user_session(self, claims: Mapping[str, Any] | None) -> AsyncIterator[Connection]:
        """A transaction in which RLS sees the caller: `authenticated` with claims, else `anon`."""
        async with self.pool.connection() as conn, conn.transaction():
            await act_as_user(conn, claims, limits=self.limits)
            yield conn

    async def ping(self) -> bool:
        """True when a connection can be had within 2 s and answers; used by /healthz."""
        try:
            async with self.pool.connection(timeout=2.0) as conn:
                await conn.execute("select 1")
        except Exception:
            return False
        return True


def _broken(exc: psycopg.OperationalError) -> bool:
    """A pooled connection that went stale: worth one more try on another connection (never a
    pool timeout: no connection could be had at all, and the caller must learn it in time)."""
    return unreachable(exc) and not isinstance(exc, PoolTimeout)


async def act_as_user(
    conn: Connection, claims: Mapping[str, Any] | None, *, limits: tuple[str, str] | None = None
) -> None:
    """Switch the current transaction to the API role the claims name, as PostgREST does
    (and, with `limits`, bound its lock waits and statements in the same round trip)."""
    role = "authenticated" if claims and claims.get("role") == "authenticated" else "anon"
    payload = dict(claims) if claims else {"role": "anon"}
    if limits is None:
        await conn.execute(
            "select set_config('role', %s, true), set_config('request.jwt.claims', %s, true)",
            (role, json.dumps(payload)),
        )
        return
    await conn.execute(
        "select set_config('role', %s, true), set_config('request.jwt.claims', %s, true), "
        "set_config('lock_timeout', %s, true), set_config('statement_timeout', %s, true)",
        (role, json.dumps(payload), *limits),
    )


async def act_as_service(conn: Connection) -> None:
    """Return the current transaction to the connecting role after `act_as_user`."""
    await conn.execute("select set_config('role', 'none', true)")


_CONNECTION_LOST = ("08", "57P01", "57P02", "57P03")


def unreachable(exc: BaseException) -> bool:
    """True when the database could not be reached (no connection, connection lost, shutting
    down): nothing was done. False for errors the server raised while running a statement,
    a lock or statement timeout included."""
    if isinstance(exc, PoolTimeout | psycopg.InterfaceError):
        return True
    if not isinstance(exc, psycopg.OperationalError):
        return False
    return exc.sqlstate is None or exc.sqlstate.startswith(_CONNECTION_LOST)
