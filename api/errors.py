"""JSON errors with a Chinese message for end users; never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from registry.service import RegistryError
from retrieval.search import IndexNotReady

logger = logging.getLogger(__name__)

_FIELDS = {"q": "问题", "question": "问题", "k": "条数", "audience": "对象", "due": "日期"}


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        names = "、".join(
            dict.fromkeys(_FIELDS.get(str(e["loc"][-1]), str(e["loc"][-1])) for e in exc.errors())
        )
        return JSONResponse(status_code=422, content={"error": f"请求参数不正确：{names}"})

    @app.exception_handler(IndexNotReady)
    async def _not_ready(_: Request, __: IndexNotReady) -> JSONResponse:
        return JSONResponse(status_code=503, content={"error": "索引尚未建立，请稍后再试。"})

    @app.exception_handler(RegistryError)
    async def _refused(_: Request, exc: RegistryError) -> JSONResponse:
        return JSONResponse(status_code=400, content={"error": str(exc)})

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code, content={"error": str(exc.detail)}, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(status_code=500, content={"error": "服务器内部错误，请稍后再试。"})
