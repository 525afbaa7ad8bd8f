"""Every client error becomes a 4xx with a message in Chinese and in English — never a 500."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from qa.api.schemas import MAX_QUESTION_CHARS
from qa.retrieval import UnknownFilterValue


class ApiError(Exception):
    """An error with a status, a code and messages in both languages."""

    def __init__(self, status: int, code: str, zh: str, en: str, fields: list[dict] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(en)
        self.status, self.code, self.zh, self.en, self.fields = status, code, zh, en, fields or []
        self.headers = headers or {}


class PassThroughError(StarletteHTTPException):
    """An ApiError raised where FastAPI would swallow anything but an HTTPException: while it reads
    a request body, it turns every other error into a 400."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.status, error.en, error.headers)
        self.error = error


def error_response(error: ApiError) -> JSONResponse:
    body = {"code": error.code, "message_zh": error.zh, "message_en": error.en, "fields": error.fields}
    return JSONResponse(status_code=error.status, content={"error": body}, headers=error.headers)


def _explain(error: dict) -> tuple[str, str]:
    """Chinese and English for one pydantic validation error."""
    field = ".".join(str(part) for part in error.get("loc", ())[1:]) or "body"
    kind, message = error.get("type", ""), str(error.get("msg", ""))
    if kind == "json_invalid":
        return "请求体不是有效的 JSON。", "The request body is not valid JSON."
    if kind == "missing":
        return f"缺少必填字段 {field}。", f"Missing required field '{field}'."
    if kind == "extra_forbidden":
        return f"不认识的字段 {field}。", f"Unknown field '{field}'."
    if kind in ("invalid_unicode", "string_unicode"):  # the second: pydantic-core's own check on constrained strings
        return (f"字段 {field} 含有无效字符（孤立代理项，不是合法的 UTF-8 文本）。",
                f"Field '{field}' holds invalid text (a lone surrogate: not valid Unicode or UTF-8).")
    if field in ("question", "query") and kind in ("string_too_short", "string_pattern_mismatch"):
        return "问题不能为空。", "The question must not be empty."
    if field in ("question", "query") and kind == "string_too_long":
        return f"问题不能超过 {MAX_QUESTION_CHARS} 个字符。", f"The question must be at most {MAX_QUESTION_CHARS} characters."
    if field == "top_k" and kind in ("greater_than_equal", "less_than_equal"):
        return "top_k 必须在 1 到 20 之间。", "top_k must be between 1 and 20."
    if field == "mode":
        return "mode 只能是 auto、extractive 或 llm。", "mode must be one of auto, extractive, llm."
    if kind in ("string_too_long", "too_long", "string_too_short", "too_short"):
        limits = error.get("ctx", {})
        unit_zh, unit_en = ("个字符", "characters") if kind.startswith("string_") else ("项", "items")
        if "max_length" in limits:
            return (f"字段 {field} 不能超过 {limits['max_length']} {unit_zh}。",
                    f"Field '{field}' must be at most {limits['max_length']} {unit_en}.")
        return (f"字段 {field} 至少要有 {limits['min_length']} {unit_zh}。",
                f"Field '{field}' must be at least {limits['min_length']} {unit_en}.")
    if kind.endswith("_type") or kind.startswith(("int_", "string_", "bool_", "model_")):
        return f"字段 {field} 的类型不对。", f"Field '{field}' has the wrong type."
    return f"字段 {field} 无效：{message}", f"Field '{field}' is invalid: {message}"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        zh, en = _explain(errors[0]) if errors else ("请求无效。", "Invalid request.")
        fields = [{"field": ".".join(str(p) for p in e.get("loc", ())[1:]), "type": e.get("type")} for e in errors]
        return error_response(ApiError(422, "invalid_request", zh, en, fields))

    @app.exception_handler(UnknownFilterValue)
    async def unknown_filter(request: Request, exc: UnknownFilterValue) -> JSONResponse:
        return error_response(ApiError(422, "unknown_filter", f"未知的筛选值：{exc}", f"Unknown filter value: {exc}"))

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(PassThroughError)
    async def passed_through(request: Request, exc: PassThroughError) -> JSONResponse:
        return error_response(exc.error)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return error_response(ApiError(404, "not_found", "没有这个地址。", "No such resource."))
        if exc.status_code == 400:
            return error_response(ApiError(400, "bad_request", "请求体无法解析。", "The request body could not be parsed."))
        if exc.status_code == 405:
            return error_response(ApiError(405, "method_not_allowed", "不支持这个请求方法。", "Method not allowed.",
                                           headers=exc.headers))  # Starlette's carries the Allow header
        return error_response(ApiError(exc.status_code, "http_error", str(exc.detail), str(exc.detail),
                                       headers=exc.headers))
