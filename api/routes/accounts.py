"""Accounts over HTTP: API tokens (issue, list, revoke), one's own password (``/password``) and the
account administration page (``/accounts``: admins change accounts, the office may look).
Each route parses its input, makes one call to ``AccountService`` and formats the result."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from api.auth import (
    LOGIN_LIMITED,
    RETRY,
    AccountDep,
    LoginDep,
    MaybeAccount,
    ServicesDep,
    bearer_token,
)
from assistant.services import Services
from registry.accounts import ROLE_NAMES, Account
from registry.passwords import MAX_LENGTH, MIN_LENGTH, one_time
from registry.service import RegistryError

router = APIRouter()


class TokenRequest(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)
    days: int | None = Field(None, ge=1, description="shorter than the office's longest, if given")


class TokenResponse(BaseModel):
    token: str
    role: str
    department: str | None


class TokenListed(BaseModel):
    id: int
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None


@router.post("/api/token")
def issue_token(body: TokenRequest, request: Request, services: ServicesDep) -> TokenResponse:
    if not request.app.state.limits.login_allowed(request, body.username):
        raise HTTPException(429, LOGIN_LIMITED, headers=RETRY)
    account = services.accounts.authenticate(body.username, body.password)
    if account is None:
        raise HTTPException(401, "用户名或密码不正确。")
    return TokenResponse(
        token=services.accounts.issue_token(account, days=body.days),
        role=account.role,
        department=account.department,
    )


@router.delete("/api/token", status_code=204)
def revoke_presented_token(request: Request, account: AccountDep, services: ServicesDep) -> None:
    """Ends the token this request carries."""
    token = bearer_token(request)
    if token is None:
        raise HTTPException(400, "请在 Authorization 头中带上要注销的令牌。")
    services.accounts.revoke_presented_token(token)


@router.get("/api/tokens")
def my_tokens(account: AccountDep, services: ServicesDep) -> list[TokenListed]:
    """The caller's unexpired tokens, by their first characters."""
    return [
        TokenListed(
            id=t.id,
            prefix=t.prefix,
            created_at=t.created_at,
            expires_at=t.expires_at,
            last_used_at=t.last_used_at,
        )
        for t in services.accounts.tokens(account.username)
    ]


@router.delete("/api/tokens/{token_id}", status_code=204)
def revoke_my_token(token_id: int, account: AccountDep, services: ServicesDep) -> None:
    services.accounts.revoke_token(token_id, actor=account.username, username=account.username)


# one's own password


def _password_page(
    request: Request, account: Account, *, error: str = "", done: bool = False, status: int = 200
) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(
        request,
        "password.html",
        {
            "account": account,
            "title": "修改密码",
            "error": error,
            "done": done,
            "min_length": MIN_LENGTH,
            "max_length": MAX_LENGTH,
        },
        status_code=status,
    )


@router.get("/password", response_class=HTMLResponse, include_in_schema=False)
def password_page(request: Request, login: LoginDep) -> Response:
    if login is None:
        return RedirectResponse("/login?next=/password", status_code=303)
    return _password_page(request, login)


@router.post("/password", response_class=HTMLResponse, include_in_schema=False)
def change_password(
    request: Request,
    login: LoginDep,
    services: ServicesDep,
    old: Annotated[str, Form(max_length=MAX_LENGTH)],
    new: Annotated[str, Form(max_length=MAX_LENGTH)],
    again: Annotated[str, Form(max_length=MAX_LENGTH)],
) -> Response:
    """Ends the user's other logins and all their tokens; this login goes on."""
    if login is None:
        return RedirectResponse("/login?next=/password", status_code=303)
    if not request.app.state.limits.login_allowed(request, login.username):
        return _password_page(request, login, error=LOGIN_LIMITED, status=429)
    if new != again:
        return _password_page(request, login, error="两次输入的新密码不一致。", status=400)
    try:
        services.accounts.change_password(login, old, new, keep_session=request.session["sid"])
    except RegistryError as exc:
        return _password_page(request, login, error=str(exc), status=400)
    changed = services.accounts.account_for_session(request.session["sid"])
    return _password_page(request, changed or login, done=True)


# the administration page

REFUSED = "账号管理只对管理员和专班办公室开放。"
Action = Literal["reset", "disable", "enable", "remove", "revoke-tokens"]


def _accounts_page(
    request: Request,
    account: Account,
    services: Services,
    *,
    message: str = "",
    error: str = "",
    issued: tuple[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    response = request.app.state.templates.TemplateResponse(
        request,
        "accounts.html",
        {
            "account": account,
            "title": "账号管理",
            "users": services.accounts.users(),
            "tokens": services.accounts.tokens() if account.is_admin else [],
            "role_names": ROLE_NAMES,
            "departments": [d.name for d in services.registry.departments() if d.listed],
            "message": message,
            "error": error,
            "issued": issued,  # (user, one-time password), shown in this response only
        },
        status_code=status,
    )
    if issued:
        response.headers["Cache-Control"] = "no-store"
    return response


def _refusal(request: Request, account: Account | None) -> Response:
    """A login first; a refusal page for accounts that are neither admin nor office."""
    if account is None:
        return RedirectResponse("/login?next=/accounts", status_code=303)
    return request.app.state.templates.TemplateResponse(
        request,
        "accounts.html",
        {"account": account, "title": "账号管理", "refused": REFUSED},
        status_code=403,
    )


@router.get("/accounts", response_class=HTMLResponse, include_in_schema=False)
def accounts_page(request: Request, account: MaybeAccount, services: ServicesDep) -> Response:
    """The list for the office and admins; the forms for admins."""
    if account is None or not account.is_office:
        return _refusal(request, account)
    return _accounts_page(request, account, services)


def _admin_write(
    request: Request,
    account: Account | None,
    services: Services,
    write: Callable[[Account], tuple[str, tuple[str, str] | None]],
) -> Response:
    """Runs an admin's change; the page again, with what was done or why not."""
    if account is None or not account.is_office:
        return _refusal(request, account)
    if not account.is_admin:
        return _accounts_page(
            request, account, services, error="只有管理员可以更改账号。", status=403
        )
    try:
        message, issued = write(account)
    except RegistryError as exc:
        return _accounts_page(request, account, services, error=str(exc), status=400)
    return _accounts_page(request, account, services, message=message, issued=issued)


def _department(services: Services, role: str, department: str) -> str | None:
    """The canonical name of a department account's unit (aliases allowed); none for others."""
    return (
        services.registry.department_name(department)
        if role == "department" and department
        else None
    )


@router.post("/accounts/add", response_class=HTMLResponse, include_in_schema=False)
def add_account(
    request: Request,
    account: MaybeAccount,
    services: ServicesDep,
    username: Annotated[str, Form(max_length=100)],
    role: Annotated[str, Form(max_length=20)],
    department: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """A new account with a one-time password, shown to the admin once."""

    def write(admin: Account) -> tuple[str, tuple[str, str] | None]:
        password = one_time()
        added = services.accounts.add_user(
            username,
            password,
            role=role,
            department=_department(services, role, department),
            actor=admin.username,
            temporary=True,
        )
        return f"已开通账号 {added.username}。", (added.username, password)

    return _admin_write(request, account, services, write)


@router.post("/accounts/role", response_class=HTMLResponse, include_in_schema=False)
def change_role(
    request: Request,
    account: MaybeAccount,
    services: ServicesDep,
    username: Annotated[str, Form(max_length=100)],
    role: Annotated[str, Form(max_length=20)],
    department: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    def write(admin: Account) -> tuple[str, tuple[str, str] | None]:
        changed = services.accounts.set_role(
            username, role, _department(services, role, department), actor=admin.username
        )
        where = f"（{changed.department}）" if changed.department else ""
        name = ROLE_NAMES.get(changed.role, changed.role)
        return f"{changed.username} 的角色已改为{name}{where}，其登录和令牌已失效。", None

    return _admin_write(request, account, services, write)


@router.post("/accounts/{action}", response_class=HTMLResponse, include_in_schema=False)
def account_action(
    request: Request,
    action: Action,
    account: MaybeAccount,
    services: ServicesDep,
    username: Annotated[str, Form(max_length=100)],
) -> Response:
    accounts = services.accounts

    def write(admin: Account) -> tuple[str, tuple[str, str] | None]:
        actor = admin.username
        if action == "reset":
            return (
                f"已重置 {username} 的密码，其登录和令牌已失效。",
                (username, accounts.reset_password(username, actor=actor)),
            )
        if action in ("disable", "enable"):
            accounts.set_disabled(username, action == "disable", actor=actor)
            return f"已{'停用' if action == 'disable' else '启用'}账号 {username}。", None
        if action == "remove":
            accounts.remove_user(username, actor=actor)
            return f"已删除账号 {username}；其填报的进展仍以原名保留。", None
        count = accounts.revoke_tokens(username, actor=actor)
        return f"已注销 {username} 的 {count} 个令牌。", None

    return _admin_write(request, account, services, write)


@router.post("/accounts/tokens/revoke", response_class=HTMLResponse, include_in_schema=False)
def revoke_token(
    request: Request,
    account: MaybeAccount,
    services: ServicesDep,
    token_id: Annotated[int, Form()],
) -> Response:
    def write(admin: Account) -> tuple[str, tuple[str, str] | None]:
        services.accounts.revoke_token(token_id, actor=admin.username)
        return "令牌已注销。", None

    return _admin_write(request, account, services, write)
