"""The web edge: the headers every answer carries and the largest request body read.

A pure ASGI middleware (not ``BaseHTTPMiddleware``), so that server-sent events stream through it
untouched. It knows the URL space only as "static files" and "everything else": what is not a
static file may show internal data or depend on who is logged in, so no cache keeps it.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.settings import Settings

# Scripts and styles only from our own files: no inline script, no event-handler attribute, no
# style attribute (the pages set computed sizes through the CSSOM, which the policy allows).
# data: images are the icons inside Swagger UI's stylesheet.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: a form post may be checked against its own site's Referer
    "Referrer-Policy": "same-origin",
}
STATIC = "/static/"
UPLOAD = "/api/drafts"  # POST: a document for intake (api/routes/intake.py)


def too_large(limit: int) -> str:
    size = f"{limit // 2**20} MB" if limit >= 2**20 else f"{limit // 1024} KB"
    return f"请求内容过大（最多 {size}）。"


class Edge:
    """Adds ``SECURITY_HEADERS`` (and ``Cache-Control: no-store`` off ``/static/``) to every
    response, and answers 413 once a request body passes ``max_body`` bytes: at once when its
    Content-Length says so, else while it is read (a chunked body has no length).
    ``larger``: exact paths allowed more, e.g. the upload of a document."""

    def __init__(self, app: ASGIApp, *, max_body: int, larger: Mapping[str, int]) -> None:
        self.app, self.max_body, self.larger = app, max_body, dict(larger)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cached = scope["path"].startswith(STATIC)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if not cached:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        limit = self.larger.get(scope["path"], self.max_body)
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            refused = JSONResponse({"error": too_large(limit)}, status_code=413)
            await refused(scope, receive, send_with_headers)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI passes an HTTPException raised while reading the body on to the
                    # app's handler, which answers in JSON
                    raise HTTPException(413, too_large(limit))
            return message

        await self.app(scope, limited_receive, send_with_headers)


def install(app: FastAPI, settings: Settings) -> None:
    """Call last: the middleware added last is the outermost, so every answer passes it."""
    # the document up to its own limit, and its form fields
    upload = (settings.documents.max_file_mb + 1) * 2**20
    app.add_middleware(Edge, max_body=settings.api.max_body_kb * 1024, larger={UPLOAD: upload})
