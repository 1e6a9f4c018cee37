"""The FastAPI application: :func:`create_app` builds it from :class:`Settings`.

::

    from medcoder.api import Settings, create_app
    app = create_app(Settings(database_url="sqlite:///medcoder.db", inline_coding=True))

Everything lives under ``/api/v1``; the OpenAPI document is ``/api/v1/openapi.json`` and the
interactive docs ``/api/v1/docs``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request, Response

import medcoder
from medcoder.api.coding_jobs import CoderFactory, InlineWorker
from medcoder.api.problems import install_problem_handlers
from medcoder.api.resources import Resources
from medcoder.api.routes import (
    audit_events,
    auth,
    billing,
    claims,
    codes,
    documents,
    encounters,
    patients,
    remittances,
    users,
)
from medcoder.api.settings import Settings
from medcoder.api.throttle import LoginThrottle
from medcoder.store.db import database_url, make_engine, make_session_factory, upgrade

__all__ = ["API_PREFIX", "app_from_env", "create_app"]

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None, *, coder: CoderFactory | None = None) -> FastAPI:
    """The API app for ``settings`` (default: :meth:`Settings.from_env`).

    Runs the database migrations first (unless ``upgrade_database`` is off). With
    ``inline_coding`` a queue worker runs in a thread while the app is up, coding with
    ``coder(kb)`` (default: the full engine, as ``medcoder worker`` does).
    """
    settings = settings or Settings.from_env()
    url = settings.database_url or database_url()
    if settings.upgrade_database:
        upgrade(url)
    engine = make_engine(url)
    resources = Resources(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        throttle=LoginThrottle(
            max_failures=settings.login_max_failures,
            window_seconds=settings.login_window_seconds,
        ),
    )

    # A server runs one lifespan; test clients may run several at once over the same app. The
    # worker starts with the first and everything is closed with the last.
    lifespans = [0]
    lock = threading.Lock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with lock:
            lifespans[0] += 1
            if settings.inline_coding and resources.worker is None:
                resources.worker = InlineWorker(
                    resources.session_factory, resources.kb, coder=coder
                )
                resources.worker.start()
        try:
            yield
        finally:
            with lock:
                lifespans[0] -= 1
                if lifespans[0] == 0:
                    resources.close()

    app = FastAPI(
        title="medcoder",
        version=medcoder.__version__,
        summary="Computer-assisted medical coding: upload notes, review codes, bill.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.resources = resources
    install_problem_handlers(app)
    app.middleware("http")(_security_headers(settings))

    api = APIRouter(prefix=API_PREFIX)
    for module in (
        auth,
        users,
        patients,
        encounters,
        documents,
        codes,
        audit_events,
        claims,
        remittances,
        billing,
    ):
        api.include_router(module.router)

    @api.get("/health", tags=["meta"], summary="Liveness (no authentication)")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": medcoder.__version__}

    app.include_router(api)
    return app


def _security_headers(
    settings: Settings,
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    async def add_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        # Answers carry PHI: no caching anywhere, no sniffing, no framing.
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        if settings.secure_cookies:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        return response

    return add_headers


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` (``medcoder serve --workers N``): settings from the
    ``MEDCODER_*`` environment."""
    return create_app(Settings.from_env())
