"""Who is asking: a session cookie (pages) or a bearer token (API), and rate limits."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from assistant.services import Services
from registry.accounts import Account


def services_of(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(services_of)]


def current_account(request: Request, services: ServicesDep) -> Account | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        account = services.accounts.account_for_token(header[7:].strip())
        if account is None:
            raise HTTPException(401, "登录凭据无效或已过期，请重新登录。")
        return account
    user_id = request.session.get("user_id")
    return services.accounts.get(user_id) if isinstance(user_id, int) else None


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


class RateLimits:
    """Per-client limits (in memory; one worker's view)."""

    def __init__(self, *, public: str, login: str) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._public, self._login = parse(public), parse(login)

    def check_public(self, request: Request) -> None:
        if not self._limiter.hit(self._public, "public", _client(request)):
            raise HTTPException(429, "请求过于频繁，请稍后再试。", headers={"Retry-After": "60"})

    def check_login(self, request: Request, username: str) -> None:
        if not self._limiter.hit(self._login, "login", _client(request), username):
            raise HTTPException(
                429, "登录尝试过于频繁，请一分钟后再试。", headers={"Retry-After": "60"}
            )


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def public_limit(request: Request) -> None:
    request.app.state.limits.check_public(request)
