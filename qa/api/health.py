"""GET /api/health — the loaded index's manifest, for operators and monitoring."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from qa.api.deps import PipelineDep

router = APIRouter()


@router.get("/api/health")
def health(pipeline: PipelineDep) -> dict[str, Any]:
    """Service status and the manifest of the index it serves."""
    manifest = {key: value for key, value in pipeline.index.manifest.items() if key != "files"}
    return {"status": "ok", "index": manifest, "llm": {"configured": pipeline.llm is not None}}
