"""The FastAPI application: created by a factory, heavy resources loaded once in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from qa import __version__
from qa.api import admin, ask, browse, feedback, health, search, sections
from qa.api.errors import install_error_handlers
from qa.api.web import install_web
from qa.config import Settings, get_settings
from qa.feedback import FEEDBACK_FILE, FeedbackStore
from qa.pipeline import Pipeline


def create_app(settings: Settings | None = None, pipeline: Pipeline | None = None) -> FastAPI:
    """The service. Pass a loaded `pipeline` to share one between apps (tests); otherwise it loads at start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings or get_settings()
        app.state.pipeline = pipeline or Pipeline.load(app.state.settings)
        app.state.feedback = FeedbackStore(app.state.settings.data_dir / FEEDBACK_FILE)  # the file opens on first use
        yield

    app = FastAPI(
        title="年鉴问答 Yearbook QA",
        version=__version__,
        description="Answers questions about Chinese local yearbooks with citations to the exact passages.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    for module in (ask, search, sections, browse, health, feedback, admin):
        app.include_router(module.router)
    install_web(app)
    return app
