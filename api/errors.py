"""JSON errors with a Chinese message for end users; never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException

from registry.db import DatabaseUnavailable
from registry.service import RegistryError
from retrieval.search import IndexNotReady, IndexUnavailable

logger = logging.getLogger(__name__)

_FIELDS = {
    "q": "问题",
    "question": "问题",
    "k": "条数",
    "audience": "对象",
    "due": "日期",
    "description": "说明",
    "status": "状态",
    "note": "备注",
    "department": "部门",
    "task_id": "任务编号",
    "milestone_id": "里程碑编号",
    "within": "天数",
    "format": "格式",
    "username": "用户名",
    "password": "密码",
    "conversation_id": "对话编号",
    "body": "请求内容",
}
# The framework's own errors come with an English phrase ("Not Found").
_STATUS = {400: "请求内容无法解析。", 404: "找不到请求的地址。", 405: "不支持该请求方法。"}


def _describe(error: dict[str, Any]) -> str:
    if error["type"] == "json_invalid":
        return "请求内容不是有效的 JSON"
    name = _FIELDS.get(str(error["loc"][-1]), str(error["loc"][-1]))
    if error["type"] == "string_too_long":
        return f"{name}过长（最多 {error['ctx']['max_length']} 字）"
    return name


def _unavailable(request: Request, what: str, reason: str, message: str) -> JSONResponse:
    """A backing server is down: 503 with a Chinese message, retry in 30 s; the reason is logged."""
    logger.warning("%s unavailable on %s %s: %s", what, request.method, request.url.path, reason)
    return JSONResponse(status_code=503, content={"error": message}, headers={"Retry-After": "30"})


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "、".join(dict.fromkeys(_describe(e) for e in exc.errors()))
        return JSONResponse(status_code=422, content={"error": f"请求参数不正确：{problems}"})

    @app.exception_handler(DatabaseUnavailable)
    async def _database_down(request: Request, exc: DatabaseUnavailable) -> JSONResponse:
        # the driver's own words name host and port, never the password
        reason = str(exc.orig or exc).splitlines()[0]
        return _unavailable(request, "database", reason, "数据库暂时无法连接，请稍后再试。")

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, _: DataError) -> JSONResponse:
        # e.g. a NUL character or an out-of-range number, which PostgreSQL refuses
        logger.info("database refused the data of %s %s", request.method, request.url.path)
        return JSONResponse(
            status_code=400, content={"error": "输入中含有无法保存的字符或超出范围的数值。"}
        )

    @app.exception_handler(IndexNotReady)
    async def _not_ready(_: Request, __: IndexNotReady) -> JSONResponse:
        return JSONResponse(status_code=503, content={"error": "索引尚未建立，请稍后再试。"})

    @app.exception_handler(IndexUnavailable)
    async def _index_down(request: Request, exc: IndexUnavailable) -> JSONResponse:
        return _unavailable(request, "index", str(exc), "检索服务暂时无法连接，请稍后再试。")

    @app.exception_handler(RegistryError)
    async def _refused(_: Request, exc: RegistryError) -> JSONResponse:
        return JSONResponse(status_code=400, content={"error": str(exc)})

    # Starlette's class: the router's 404/405 and body errors are raised with it, not FastAPI's
    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        message = str(exc.detail)
        if message.isascii():
            message = _STATUS.get(exc.status_code, "请求无法处理。")
        return JSONResponse(
            status_code=exc.status_code, content={"error": message}, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(status_code=500, content={"error": "服务器内部错误，请稍后再试。"})
