"""The pipeline and the feedback store, set up once in the lifespan handler, injected into routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from qa.feedback import FeedbackStore
from qa.pipeline import Pipeline


def get_pipeline(request: Request) -> Pipeline:
    return request.app.state.pipeline


PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]


def get_feedback_store(request: Request) -> FeedbackStore:
    return request.app.state.feedback


FeedbackStoreDep = Annotated[FeedbackStore, Depends(get_feedback_store)]
