"""Who is asking: a login kept on the server (pages; its random id in a signed cookie) or a bearer
token (API), and rate limits: the public's per client address, an official's per account."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from assistant.services import Services
from registry.accounts import Account

SESSION_COOKIE = "policyqa_session"
LOGIN_LIMITED = "登录尝试过于频繁，请一分钟后再试。"
RETRY = {"Retry-After": "60"}


def services_of(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(services_of)]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def login_account(request: Request, services: ServicesDep) -> Account | None:
    """The account of the request's login, also one still on a one-time password."""
    session_id = request.session.get("sid")
    return (
        services.accounts.account_for_session(session_id) if isinstance(session_id, str) else None
    )


LoginDep = Annotated[Account | None, Depends(login_account)]


def current_account(request: Request, services: ServicesDep, login: LoginDep) -> Account | None:
    token = bearer_token(request)
    if token is not None:
        account = services.accounts.account_for_token(token)
        if account is None:
            raise HTTPException(401, "登录凭据无效或已过期，请重新登录。")
        return account
    # a one-time password opens the password page only (``api.routes.accounts``)
    return None if login is None or login.must_change_password else login


MaybeAccount = Annotated[Account | None, Depends(current_account)]


def require_account(account: MaybeAccount) -> Account:
    if account is None:
        raise HTTPException(401, "请先登录。")
    return account


AccountDep = Annotated[Account, Depends(require_account)]


def require_office(account: AccountDep) -> Account:
    if not account.is_office:
        raise HTTPException(403, "只有专班办公室可以进行此操作。")
    return account


OfficeDep = Annotated[Account, Depends(require_office)]


def log_in(request: Request, services: Services, account: Account) -> None:
    """A new login id for the cookie (never the one the browser came with)."""
    log_out(request, services)
    request.session["sid"] = services.accounts.start_session(account)


def log_out(request: Request, services: Services) -> None:
    session_id = request.session.get("sid")
    if isinstance(session_id, str):
        services.accounts.end_session(session_id)
    request.session.clear()


class RateLimits:
    """Per-client limits (in memory; one worker's view). A logged-in official counts against
    their own account's limit, not their address's: an office behind one NAT neither uses up
    the public's allowance on that address nor is blocked by it."""

    def __init__(self, *, public: str, login: str, account: str) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._public, self._login, self._account = parse(public), parse(login), parse(account)

    def check_public(self, request: Request, account: Account | None) -> None:
        if account is not None:
            allowed = self._limiter.hit(self._account, "account", str(account.id))
        else:
            allowed = self._limiter.hit(self._public, "public", _client(request))
        if not allowed:
            raise HTTPException(429, "请求过于频繁，请稍后再试。", headers=RETRY)

    def login_allowed(self, request: Request, username: str) -> bool:
        return self._limiter.hit(self._login, "login", _client(request), username)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def public_limit(request: Request, account: MaybeAccount) -> None:
    request.app.state.limits.check_public(request, account)
