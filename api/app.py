"""The FastAPI application factory. Routes translate HTTP and make one service call each."""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from assistant.search import Hit
from assistant.services import Services
from retrieval.search import IndexNotReady


def create_app(services: Services) -> FastAPI:
    app = FastAPI(title="双碳政策助手 API", version="0.1.0")

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = "、".join(str(e["loc"][-1]) for e in exc.errors())
        return JSONResponse(status_code=422, content={"error": f"请求参数不正确：{fields}"})

    @app.exception_handler(IndexNotReady)
    async def _not_ready(_: Request, __: IndexNotReady) -> JSONResponse:
        return JSONResponse(status_code=503, content={"error": "索引尚未建立，请稍后再试。"})

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/search")
    def search(
        q: Annotated[str, Query(min_length=1, max_length=2000, description="问题或关键词")],
        k: Annotated[int, Query(ge=1, le=50)] = 5,
        source_id: str | None = None,
        level: str | None = None,
        clause_prefix: str | None = None,
        include_guides: bool = False,
    ) -> list[Hit]:
        return services.search.search(
            q,
            k=k,
            source_id=source_id,
            level=level,
            clause_prefix=clause_prefix,
            include_guides=include_guides,
        )

    return app
