"""The HTTP service (FastAPI): one router per resource, the pipeline injected as a dependency."""
