"""The FastAPI application: created by a factory, heavy resources loaded once in the lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from qa import __version__
from qa.api import admin, ask, browse, feedback, health, search, sections
from qa.api.errors import install_error_handlers
from qa.api.limits import BoundedBodies, ConcurrencyCap, RateLimit
from qa.api.observability import install_observability, record_index
from qa.api.reload import reload_on_sighup
from qa.api.schemas import publish_known_filters
from qa.api.security import SecurityHeaders, install_docs
from qa.api.web import install_web
from qa.config import Settings, get_settings
from qa.feedback import FEEDBACK_FILE, FeedbackStore
from qa.pipeline import Pipeline


def create_app(settings: Settings | None = None, pipeline: Pipeline | None = None) -> FastAPI:
    """The service. Pass a loaded `pipeline` to share one between apps (tests); otherwise it loads at start-up."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pipeline = pipeline or Pipeline.load(settings)
        app.state.settings = settings
        app.state.feedback = FeedbackStore(settings.data_dir / FEEDBACK_FILE)  # the file opens on first use
        app.state.reload_lock = asyncio.Lock()
        record_index(app.state.pipeline.index.manifest)
        reload_on_sighup(app, settings)
        yield

    app = FastAPI(
        title="年鉴问答 Yearbook QA",
        version=__version__,
        description="Answers questions about Chinese local yearbooks with citations to the exact passages.",
        lifespan=lifespan, docs_url=None, redoc_url=None,
    )
    if settings.docs:
        install_docs(app)
    # Added innermost first: bodies, then load, then per-client rates, the request log, and security
    # headers outermost, on everything (429s, 503s and errors included).
    app.add_middleware(BoundedBodies, max_bytes=settings.max_body_bytes, timeout_s=settings.body_timeout_s)
    app.add_middleware(ConcurrencyCap, limit=settings.max_concurrent_requests)
    app.add_middleware(RateLimit, rate=settings.rate_limit, storage=settings.rate_limit_storage)
    install_observability(app, settings.log_questions)
    app.add_middleware(SecurityHeaders)
    install_error_handlers(app)
    for module in (ask, search, sections, browse, health, feedback):
        app.include_router(module.router)
    # with no token the admin routes answer 404, so the published contract leaves them out too
    app.include_router(admin.router, include_in_schema=bool(settings.admin_token and settings.admin_token.get_secret_value()))
    install_web(app)
    generate_openapi = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:  # reset by a reload, whose index may hold other books
            schema = generate_openapi()
            if hasattr(app.state, "pipeline"):
                retriever = app.state.pipeline.retriever
                publish_known_filters(schema, retriever.yearbooks, retriever.categories)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
