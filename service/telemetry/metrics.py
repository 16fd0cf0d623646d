"""Prometheus metrics (`prometheus-client`), served at `GET /metrics` (`ops.probes`).

Two kinds, chosen so the figures are right however many processes run:

- **What happens in a process** (webhook deliveries, ingest latency, Mux API calls, reconcile
  runs, open live streams) is counted where it happens. With several processes on a host
  (`uvicorn --workers N`, `mux-lessons worker` next to it) set
  `PROMETHEUS_MULTIPROC_DIR` to one empty directory for all of them: prometheus-client's
  multiprocess mode writes each process's values there and `/metrics`, whichever process
  answers, sums them. A worker on another host serves its own on `WORKER_METRICS_PORT`
  (on 127.0.0.1 unless `WORKER_METRICS_HOST` says otherwise, with `METRICS_TOKEN` required).
- **What the database knows** (inbox depth by state, age of the oldest event waiting, dead
  events, lessons by status, Mux cleanups waiting) is read from Postgres when scraped, one
  small statement each over partial indexes, cached for `METRICS_CACHE_SECONDS` and shared
  by concurrent scrapes. It is the same from every process, so it is never summed: scrape
  one process per deployment for it (or take `max` across them).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import psycopg
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    make_wsgi_app,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from psycopg_pool import PoolTimeout

from service.database.pool import Database

log = logging.getLogger(__name__)

PREFIX = "mux_lessons"

WEBHOOK_DELIVERIES = Counter(
    f"{PREFIX}_webhook_deliveries",
    "Webhook deliveries by event type and outcome (applied, duplicate, ignored, unmatched, "
    "failed, invalid_signature, malformed, too_large, unavailable)",
    ["type", "outcome"],
)
INGEST_SECONDS = Histogram(
    f"{PREFIX}_webhook_ingest_seconds",
    "Time from a webhook request to its answer, for events stored in the inbox",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
INGEST_EVENTS = Counter(
    f"{PREFIX}_ingest_events",
    "Events stored by ingest, by path: set (applied with their batch, one UPDATE per lesson), "
    "per_event (what the set cannot decide: parked, superseded, an unusual value), one_by_one "
    "(a batch that failed as a whole, a lesson held elsewhere, ingested event by event)",
    ["path"],
)
MUX_CALLS = Counter(
    f"{PREFIX}_mux_api_calls",
    "Mux API calls by operation and result (ok, not_found, rejected, unavailable)",
    ["operation", "result"],
)
RECONCILE_RUNS = Counter(
    f"{PREFIX}_reconcile_runs", "Reconcile runs by result (done, skipped, failed)", ["result"]
)
RECONCILE_REPAIRS = Counter(
    f"{PREFIX}_reconcile_repairs", "Lessons the reconciler moved on with what Mux reported"
)
CLEANUPS = Counter(
    f"{PREFIX}_mux_cleanups",
    "Mux cleanups carried out (asset deletions, upload cancellations) by action and the state "
    "they reached (done, failed: retried later, dead)",
    ["action", "state"],
)
LIVE_STREAMS = Gauge(
    f"{PREFIX}_live_streams_open",
    "Live status streams open (lesson and course streams)",
    multiprocess_mode="livesum",
)

INBOX_STATES = ("pending", "failed", "unmatched", "dead")
LESSON_STATUSES = ("draft", "uploading", "processing", "published", "errored", "cancelled")
# Only events still waiting (or dead): a partial index keeps this cheap however large the
# inbox of applied events grows.
_INBOX = """
select state::text as state, count(*)::bigint as n,
       coalesce(extract(epoch from now() - min(received_at)), 0)::float8 as oldest
from public.mux_events where state in ('pending', 'failed', 'unmatched', 'dead')
group by state"""
_CLEANUPS = """
select action, state::text as state, count(*)::bigint as n
from public.mux_cleanups where state in ('pending', 'failed', 'dead')
group by 1, 2"""
# The whole inbox, cheaply however large it grows: the planner's row estimate (an exact count
# while the table was never analyzed, which is while it is small), its size on disk with its
# indexes, and the age of its oldest row (the first entry of the received_at index).
INBOX_SIZE = """
select case when c.reltuples < 0 then (select count(*) from public.mux_events)
            else c.reltuples end::bigint as rows,
       pg_total_relation_size(c.oid)::bigint as bytes,
       coalesce(extract(epoch from now() - (select min(e.received_at)
                                              from public.mux_events e)), 0)::float8 as oldest
from pg_class c where c.oid = 'public.mux_events'::regclass"""
CLEANUP_ACTIONS = ("delete_asset", "cancel_upload")
CLEANUP_STATES = ("pending", "failed", "dead")
_LESSONS = "select status::text as status, count(*)::bigint as n from public.lessons group by 1"


@dataclass
class DatabaseFigures:
    """What Postgres says, read at most once per `ttl` seconds, one read at a time."""

    database: Database
    ttl: float = 5.0
    read_at: float = float("-inf")
    up: bool = False
    inbox: dict[str, tuple[int, float]] = field(default_factory=dict)
    inbox_size: dict[str, float] = field(default_factory=dict)
    lessons: dict[str, int] = field(default_factory=dict)
    cleanups: dict[tuple[str, str], int] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def refresh(self) -> None:
        if time.monotonic() - self.read_at < self.ttl:
            return
        async with self._lock:
            if time.monotonic() - self.read_at < self.ttl:
                return  # another scrape just read them
            try:
                inbox = await self.database.call_all(_INBOX)
                [size] = await self.database.call_all(INBOX_SIZE)
                lessons = await self.database.call_all(_LESSONS)
                cleanups = await self.database.call_all(_CLEANUPS)
            except (psycopg.Error, PoolTimeout) as exc:
                log.warning("metrics: database figures unavailable", extra={"error": str(exc)})
                self.up = False
            else:
                self.up = True
                self.inbox = {r["state"]: (int(r["n"]), float(r["oldest"])) for r in inbox}
                self.inbox_size = {k: float(size[k]) for k in ("rows", "bytes", "oldest")}
                self.lessons = {r["status"]: int(r["n"]) for r in lessons}
                self.cleanups = {(r["action"], r["state"]): int(r["n"]) for r in cleanups}
            self.read_at = time.monotonic()


class DatabaseCollector(Collector):
    def __init__(self, figures: DatabaseFigures) -> None:
        self.figures = figures

    def collect(self) -> Iterator[Any]:
        f = self.figures
        up = GaugeMetricFamily(
            f"{PREFIX}_database_up", "1 when the database answered the last metrics read"
        )
        up.add_metric([], 1.0 if f.up else 0.0)
        yield up
        if not f.up:
            return
        depth = GaugeMetricFamily(
            f"{PREFIX}_inbox_events",
            "Inbox events not applied yet (or dead), by state",
            labels=["state"],
        )
        for state in INBOX_STATES:
            depth.add_metric([state], f.inbox.get(state, (0, 0.0))[0])
        yield depth
        dead = GaugeMetricFamily(
            f"{PREFIX}_inbox_dead_events", "Inbox events that failed WORKER_MAX_ATTEMPTS times"
        )
        dead.add_metric([], f.inbox.get("dead", (0, 0.0))[0])
        yield dead
        oldest = GaugeMetricFamily(
            f"{PREFIX}_inbox_oldest_pending_age_seconds",
            "Age of the oldest event waiting for the worker (pending or failed); 0 when none",
        )
        waiting = [f.inbox[s][1] for s in ("pending", "failed") if s in f.inbox]
        oldest.add_metric([], max(waiting, default=0.0))
        yield oldest
        for name, key, text in (
            ("inbox_rows", "rows", "Inbox events in every state (the planner's estimate)"),
            ("inbox_bytes", "bytes", "The inbox's size on disk, with its indexes"),
            (
                "inbox_oldest_age_seconds",
                "oldest",
                "Age of the inbox's oldest event, any state (INBOX_RETENTION_DAYS bounds it)",
            ),
        ):
            size = GaugeMetricFamily(f"{PREFIX}_{name}", text)
            size.add_metric([], f.inbox_size.get(key, 0.0))
            yield size
        lessons = GaugeMetricFamily(
            f"{PREFIX}_lessons", "Lessons by video status", labels=["status"]
        )
        for status in LESSON_STATUSES:
            lessons.add_metric([status], f.lessons.get(status, 0))
        yield lessons
        cleanups = GaugeMetricFamily(
            f"{PREFIX}_mux_cleanups_waiting",
            "Mux cleanups (asset deletions, upload cancellations) not done, by action and state",
            labels=["action", "state"],
        )
        for action in CLEANUP_ACTIONS:
            for state in CLEANUP_STATES:
                cleanups.add_metric([action, state], f.cleanups.get((action, state), 0))
        yield cleanups


def process_metrics() -> bytes:
    """This process's counters, or every process's on this host in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No line per scrape on stderr."""


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def require_token(app: Any, token: str) -> Any:
    """The WSGI `app` behind `Authorization: Bearer <token>` (401 otherwise), as the
    service's own `/metrics`."""
    expected = f"Bearer {token}".encode()

    def guarded(environ: dict[str, Any], start_response: Any) -> Any:
        given = environ.get("HTTP_AUTHORIZATION", "").encode("latin-1", "replace")
        if not hmac.compare_digest(given, expected):
            start_response(
                "401 Unauthorized",
                [("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")],
            )
            return [b"Send `Authorization: Bearer <METRICS_TOKEN>`.\n"]
        return app(environ, start_response)

    return guarded


def serve_on_port(port: int, *, host: str, token: str) -> WSGIServer:
    """A worker's own metrics on a port of its own (`WORKER_METRICS_PORT`), for a worker on a
    host no service process shares a PROMETHEUS_MULTIPROC_DIR with: on `host`
    (`WORKER_METRICS_HOST`, 127.0.0.1 unless configured) and only with the token. Served by a
    daemon thread; returns the server (`shutdown()` stops it)."""
    registry: CollectorRegistry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    server_class = type("MetricsServer", (_ThreadingServer,), {"address_family": family})
    app = require_token(make_wsgi_app(registry), token)
    server: WSGIServer = make_server(host, port, app, server_class, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="worker-metrics", daemon=True).start()
    return server


def database_metrics(figures: DatabaseFigures) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(figures))
    return generate_latest(registry)


def mark_process_dead() -> None:
    """In multiprocess mode, drop this process's live gauges (its streams are gone)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
