"""Cross-site request forgery: a state-changing request that carries the login cookie, and every
login form post, must come from the site's own pages.

A browser sends the cookie with a form another site submits (SameSite=Lax lets a page on another
port of the same host through: that is the "same site"), so the cookie alone proves nothing. What
a page cannot forge is its ``Origin`` (else ``Referer``) and the browser's ``Sec-Fetch-Site``:
the request is refused unless they name this site. A request with neither Origin nor Referer
comes from no browser (every current browser sends Origin on a POST), so it carries no victim's
cookie and is let through; see SECURITY.md. Bearer-token requests carry no ambient credential and
are never checked.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import HTTPException, Request

from api.auth import SESSION_COOKIE, bearer_token

REFUSED = "请求不是从本站页面发出的，已拒绝。请打开本站页面后重新操作。"
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_LOGIN = "/login"


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower-cased ("" when it has none)."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def same_origin(request: Request) -> None:
    """The app's dependency on every route (``api.app.create_app``)."""
    if request.method not in _UNSAFE or bearer_token(request) is not None:
        return
    if SESSION_COOKIE not in request.cookies and request.url.path != _LOGIN:
        return  # no login to abuse
    if not _from_this_site(request):
        raise HTTPException(403, REFUSED)


def _from_this_site(request: Request) -> bool:
    if request.headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        return False
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if claimed is None:
        return True  # not a browser: see the module's docstring
    own = {f"{request.url.scheme}://{request.headers.get('host', '')}".lower()}
    own.add(request.app.state.public_origin)
    return origin_of(claimed) in own - {""}
