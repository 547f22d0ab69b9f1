"""The API's interactive documentation (``/docs``): Swagger UI from our own static files, so it
works offline and under the pages' Content-Security-Policy (no inline script)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(
        request, "docs.html", {"title": request.app.title, "openapi_url": request.app.openapi_url}
    )
