"""The ASGI application: `create_app(settings)`, and `app` for `uvicorn service.app:app`."""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from service import http_parsers
from service.authoring.courses import create_course, delete_course, list_courses, update_course
from service.authoring.lesson_order import reorder_lessons
from service.authoring.lessons import add_lesson, delete_lesson, update_lesson
from service.authoring.uploads import cancel_upload, create_upload, remove_video, update_upload_id
from service.database import connect_checks
from service.database.pool import Database
from service.errors import EXCEPTION_HANDLERS
from service.ingest.new_events import IngestBatcher
from service.ingest.webhook import PATH as WEBHOOK_PATH
from service.ingest.webhook import WebhookEndpoint
from service.learning.catalog import get_catalog, get_course, get_lesson, get_video
from service.learning.progress import put_progress
from service.live.author import author_events
from service.live.course import course_events
from service.live.hub import LiveHub
from service.live.lesson import lesson_events
from service.live.sse import SHUTTING_DOWN
from service.live.visibility import ViewDecider
from service.live.watchers import Watchers
from service.mux.client import MuxClient
from service.ops.admin import admin_login, admin_page, admin_stream, replay_cleanup, replay_event
from service.ops.probes import healthz, metrics, readyz
from service.ops.shutdown import GracefulShutdown
from service.request.auth import TokenVerifier
from service.request.security_headers import SecurityHeaders
from service.settings import DATABASE_URL_MISSING, Settings, SettingsError
from service.telemetry import redaction
from service.telemetry.logs import configure_logging
from service.telemetry.metrics import DatabaseFigures, mark_process_dead
from service.worker import Worker

GC_GEN0_THRESHOLD = 10_000


def tune_garbage_collector() -> None:
    """Collect the youngest generation every 10,000 allocations instead of 700. A process
    holding thousands of live streams otherwise spends half a burst of opens in full
    collections that walk every stream (measured: 10,000 opens took 4.3 s of CPU, 2.2 s with
    this; bench.live_streams). Memory held by garbage cycles is freed a little later."""
    gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(max(gen0, GC_GEN0_THRESHOLD), gen1, gen2)


class _Service(Starlette):
    """Starlette with `SecurityHeaders` outermost, so that even a 500 (answered by Starlette's
    outermost error middleware, outside the ordinary middleware list) carries them; inside
    them, the webhook's route (listed in the table with the others) is served ahead of the
    routing and middleware every other route has: one path comparison per request instead of
    matching the table and passing the CORS middleware (bench.ingest)."""

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        for route in self.routes:
            if isinstance(route, Route) and isinstance(route.endpoint, WebhookEndpoint):
                stack = _HotPath(stack, route.path, route.endpoint)
        return SecurityHeaders(stack)


class _HotPath:
    """Requests to one path straight to its endpoint (which answers everything itself, errors
    and other methods included); every other request to the app."""

    def __init__(self, app: ASGIApp, path: str, endpoint: ASGIApp) -> None:
        self.app = app
        self.path = path
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == self.path:
            await self.endpoint(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def create_app(
    settings: Settings, *, database: Database | None = None, with_worker: bool = False
) -> Starlette:
    """Build the app. A `database` passed in is used as is and left open (tests share one).

    `with_worker` runs the inbox worker (and its periodic reconciler) inside this process.
    """
    redaction.install()
    http_parsers.configure(settings.http_max_head_bytes)  # read by the HTTP protocol
    owns_database = database is None
    db = database if database is not None else Database.for_settings(settings)
    verifier = TokenVerifier(
        jwt_secret=settings.supabase_jwt_secret, supabase_url=settings.supabase_url
    )
    mux = MuxClient(settings)
    hub = LiveHub(db, settings.session_url, poll_seconds=settings.live_poll_seconds)
    watchers = Watchers(
        hub,
        ViewDecider(db),
        max_streams=settings.live_max_streams,
        max_streams_per_user=settings.live_max_streams_per_user,
        max_anonymous_streams=settings.live_max_anonymous_streams,
        max_streams_per_address=settings.live_max_streams_per_address,
    )
    ingest = IngestBatcher(db, preferred_policy=settings.mux_playback_policy)
    shutdown = GracefulShutdown()
    shutdown.on_begin(lambda: watchers.end_all(SHUTTING_DOWN))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tune_garbage_collector()
        shutdown.install(asyncio.get_running_loop())
        if owns_database:
            await asyncio.to_thread(connect_checks.check_tls_settings, settings)
            await db.open()
        await hub.start()
        await watchers.start()
        stop = asyncio.Event()
        worker = (
            asyncio.create_task(Worker(db, settings, mux).run(stop), name="worker")
            if with_worker
            else None
        )
        try:
            yield
        finally:
            shutdown.begin()  # already begun when a signal stopped the server
            stop.set()
            if worker is not None:
                await worker  # it finishes the event in hand
            await ingest.drain()  # webhook batches in flight commit before the pool closes
            await watchers.stop()
            await hub.stop()
            await verifier.aclose()
            if owns_database:
                await db.close()
            shutdown.uninstall()
            mark_process_dead()

    app = _Service(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            # Mux's webhook: served ahead of routing and middleware (`_Service`), verified
            # over the raw body, stored durably before the 200.
            Route(WEBHOOK_PATH, WebhookEndpoint(settings, ingest), methods=["POST"]),
            Route("/api/mux/upload", create_upload, methods=["POST"]),
            Route("/api/lessons/update-upload-id", update_upload_id, methods=["POST"]),
            Route("/api/catalog", get_catalog, methods=["GET"]),
            Route("/api/courses", list_courses, methods=["GET"]),
            Route("/api/courses", create_course, methods=["POST"]),
            Route("/api/me/events", author_events, methods=["GET"]),
            Route("/api/lessons/{lesson_id}", get_lesson, methods=["GET"]),
            Route("/api/lessons/{lesson_id}", update_lesson, methods=["PATCH"]),
            Route("/api/lessons/{lesson_id}", delete_lesson, methods=["DELETE"]),
            Route("/api/lessons/{lesson_id}/video", get_video, methods=["GET"]),
            Route("/api/lessons/{lesson_id}/video", remove_video, methods=["DELETE"]),
            Route("/api/lessons/{lesson_id}/upload", cancel_upload, methods=["DELETE"]),
            Route("/api/lessons/{lesson_id}/events", lesson_events, methods=["GET"]),
            Route("/api/lessons/{lesson_id}/progress", put_progress, methods=["PUT"]),
            Route("/api/courses/{course_id}", get_course, methods=["GET"]),
            Route("/api/courses/{course_id}", update_course, methods=["PATCH"]),
            Route("/api/courses/{course_id}", delete_course, methods=["DELETE"]),
            Route("/api/courses/{course_id}/lessons", add_lesson, methods=["POST"]),
            Route("/api/courses/{course_id}/lesson-order", reorder_lessons, methods=["PUT"]),
            Route("/api/courses/{course_id}/events", course_events, methods=["GET"]),
            Route("/admin", admin_page, methods=["GET"]),
            Route("/admin", admin_login, methods=["POST"]),
            Route("/admin/stream", admin_stream, methods=["GET"]),
            Route("/admin/events/{event_id}/replay", replay_event, methods=["POST"]),
            Route("/admin/cleanups/{cleanup_id}/replay", replay_cleanup, methods=["POST"]),
        ],
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_allowed_origins),
                allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                allow_headers=["Authorization", "Content-Type", "Last-Event-ID", "If-Match"],
                expose_headers=["ETag", "Location", "Retry-After"],
                max_age=600,
            )
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.database = db
    app.state.verifier = verifier
    app.state.mux = mux
    app.state.live = hub
    app.state.watchers = watchers
    app.state.ingest = ingest
    app.state.shutdown = shutdown
    app.state.metrics = DatabaseFigures(db, ttl=settings.metrics_cache_seconds)
    return app


def __getattr__(name: str) -> Any:
    """`service.app:app` is built on first access, so importing this module needs no settings.
    Settings that are missing or malformed stop the process with one line naming them (as
    the `mux-lessons` commands do), not a traceback from inside uvicorn."""
    if name == "app":
        try:
            settings = Settings.from_env()
            if not settings.database_url:
                raise SettingsError(DATABASE_URL_MISSING)
        except SettingsError as exc:
            print(f"configuration error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        configure_logging(settings.log_level)
        application = create_app(settings)
        globals()["app"] = application
        return application
    raise AttributeError(name)
