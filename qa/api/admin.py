"""Admin routes (/api/admin/*) behind one bearer token; every route added to `router` is guarded.

With no `QA_ADMIN_TOKEN` configured the routes answer 404, so a deployment that never set a token
does not even reveal that they exist. The token is compared in constant time.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from qa.api.deps import FeedbackStoreDep
from qa.api.errors import ApiError
from qa.api.reload import reload_other_workers, reload_pipeline
from qa.api.schemas import ErrorResponse, FeedbackPage
from qa.feedback import Verdict
from qa.manifest import CorpusError
from qa.store import IndexStoreError

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <QA_ADMIN_TOKEN>")


def require_admin(request: Request,
                  credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
    """404 when no token is configured; 401 with WWW-Authenticate unless the bearer token matches."""
    token = request.app.state.settings.admin_token
    expected = token.get_secret_value().encode() if token else b""
    if not expected:
        raise ApiError(404, "not_found", "没有这个地址。", "No such resource.")
    given = credentials.credentials.encode() if credentials else b""
    if not hmac.compare_digest(given, expected):
        raise ApiError(401, "unauthorized", "需要有效的管理员令牌。", "A valid admin bearer token is required.",
                       headers={"WWW-Authenticate": 'Bearer realm="qa-admin"'})


router = APIRouter(prefix="/api/admin", dependencies=[Depends(require_admin)],
                   responses={401: {"model": ErrorResponse}, 404: {"model": ErrorResponse}})


@router.get("/feedback", response_model=FeedbackPage)
def list_feedback(
    store: FeedbackStoreDep,
    limit: Annotated[int, Query(ge=1, le=500, description="Records per page.")] = 50,
    offset: Annotated[int, Query(ge=0, description="Records to skip (newest first).")] = 0,
    verdict: Annotated[Verdict | None, Query(description="Only this verdict.")] = None,
) -> FeedbackPage:
    """Stored feedback, newest first, with the total for paging."""
    return FeedbackPage(total=store.count(verdict), limit=limit, offset=offset,
                        items=store.newest(limit, offset, verdict))


@router.post("/reload")
async def reload_index(request: Request) -> dict[str, Any]:
    """Serve the index `qa index build` last completed, without a failed request; answers with its manifest.

    With several workers, this one reloads in place and uvicorn's supervisor replaces the others.
    """
    settings = request.app.state.settings
    try:
        manifest = await reload_pipeline(request.app, settings)
    except (IndexStoreError, CorpusError) as exc:
        raise ApiError(409, "index_unusable", f"索引无法加载，仍在使用原索引：{exc}",
                       f"The index could not be loaded; still serving the previous one: {exc}") from exc
    others = reload_other_workers()
    return {"reloaded": True, "other_workers_replaced": others,
            "index": {key: value for key, value in manifest.items() if key != "files"}}
