"""The web page for citizens and staff: one static page and its assets, served by this app."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

WEB_DIR = resources.files("qa").joinpath("web")

router = APIRouter()


@router.get("/", include_in_schema=False)
def index() -> FileResponse:
    return FileResponse(str(WEB_DIR.joinpath("index.html")), media_type="text/html; charset=utf-8")


def install_web(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(WEB_DIR)), name="static")
