"""Account commands of the ``policyqa`` CLI: ``user`` (add, list, passwd, reset, disable,
enable, remove, role) and ``token`` (issue, list, revoke). Changes are audited as "命令行"."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

import typer

from policyqa.usage import guarded

if TYPE_CHECKING:  # the database stack loads when a command runs, not for --help
    from registry.accounts import AccountService

user_app = typer.Typer(help="账号", no_args_is_help=True)
token_app = typer.Typer(help="API 令牌", no_args_is_help=True)

CLI = "命令行"
Json = Annotated[bool, typer.Option("--json", help="输出 JSON")]
Department = Annotated[
    str | None, typer.Option("--department", help="部门账号所属部门（可用简称）")
]


def _accounts() -> AccountService:
    from assistant.settings import Settings
    from policyqa.storage import build_accounts, build_engine

    settings = Settings()
    return build_accounts(settings, build_engine(settings))


def _department(department: str | None) -> str | None:
    from assistant.settings import Settings
    from policyqa.storage import build_registry

    return build_registry(Settings()).department_name(department) if department else None


def _when(moment) -> str:  # type: ignore[no-untyped-def]
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "—"


@user_app.command("add")
def user_add(
    name: str,
    role: Annotated[str, typer.Option("--role", help="office / department / leader / admin")],
    department: Department = None,
    password: Annotated[
        str | None,
        typer.Option("--password", envvar="POLICYQA_NEW_PASSWORD", help="缺省时交互输入"),
    ] = None,
) -> None:
    """开通网页/接口账号。"""
    accounts = _accounts()
    secret = password or typer.prompt("密码", hide_input=True, confirmation_prompt=True)
    account = guarded(
        lambda: accounts.add_user(name, secret, role=role, department=_department(department))
    )
    where = f"，部门：{account.department}" if account.department else ""
    typer.echo(f"已开通账号 {account.username}（{account.role}{where}）")


@user_app.command("list")
def user_list(as_json: Json = False) -> None:
    """列出账号：角色、部门、是否停用、最后登录、登录中和令牌数。"""
    from registry.accounts import ROLE_NAMES

    users = _accounts().users()
    if as_json:
        typer.echo(json.dumps([asdict(u) for u in users], ensure_ascii=False, default=str))
        return
    for u in users:
        state = "已停用" if u.disabled else ("待改临时密码" if u.must_change_password else "正常")
        where = f"（{u.department}）" if u.department else ""
        typer.echo(
            f"{u.username}\t{ROLE_NAMES.get(u.role, u.role)}{where}\t{state}\t"
            f"最后登录 {_when(u.last_login_at)}\t登录 {u.sessions}\t令牌 {u.tokens}"
        )


@user_app.command("passwd")
def user_passwd(name: str) -> None:
    """设置账号的新密码（交互输入，不回显）；其登录和令牌全部失效。"""
    accounts = _accounts()
    secret = typer.prompt("新密码", hide_input=True, confirmation_prompt=True)
    guarded(lambda: accounts.set_password(name, secret, actor=CLI))
    typer.echo(f"已修改 {name} 的密码；其登录和令牌已失效。")


@user_app.command("reset")
def user_reset(name: str) -> None:
    """生成一次性临时密码（用它登录后须设置自己的密码）；其登录和令牌全部失效。"""
    password = guarded(lambda: _accounts().reset_password(name, actor=CLI))
    typer.echo(f"{name} 的临时密码：{password}")
    typer.echo("请当面或电话告知本人；用它登录后须立即设置自己的密码。")


@user_app.command("disable")
def user_disable(name: str) -> None:
    """停用账号；其登录和令牌全部失效。"""
    guarded(lambda: _accounts().set_disabled(name, True, actor=CLI))
    typer.echo(f"已停用账号 {name}。")


@user_app.command("enable")
def user_enable(name: str) -> None:
    """重新启用账号。"""
    guarded(lambda: _accounts().set_disabled(name, False, actor=CLI))
    typer.echo(f"已启用账号 {name}。")


@user_app.command("remove")
def user_remove(
    name: str, yes: Annotated[bool, typer.Option("--yes", help="不再确认")] = False
) -> None:
    """删除账号（其填报的进展和审计记录仍以原名保留）。"""
    if not yes:
        typer.confirm(f"删除账号 {name}？", abort=True)
    guarded(lambda: _accounts().remove_user(name, actor=CLI))
    typer.echo(f"已删除账号 {name}。")


@user_app.command("role")
def user_role(name: str, role: str, department: Department = None) -> None:
    """更改账号的角色（及部门）；其登录和令牌全部失效。"""
    account = guarded(lambda: _accounts().set_role(name, role, _department(department), actor=CLI))
    where = f"，部门：{account.department}" if account.department else ""
    typer.echo(f"{account.username} 的角色已改为 {account.role}{where}；其登录和令牌已失效。")


@token_app.command("issue")
def token_issue(
    name: str,
    days: Annotated[
        int | None, typer.Option("--days", help="有效天数（缺省及上限：POLICYQA_API__TOKEN_DAYS）")
    ] = None,
) -> None:
    """为账号签发 API 令牌（只显示这一次）。"""
    accounts = _accounts()
    account = accounts.account(name)
    if account is None:
        typer.echo(f"没有名为“{name}”的有效账号。", err=True)
        raise typer.Exit(code=1)
    typer.echo(guarded(lambda: accounts.issue_token(account, days=days)))


@token_app.command("list")
def token_list(
    user: Annotated[str | None, typer.Option("--user", help="只列此账号的")] = None,
    as_json: Json = False,
) -> None:
    """列出有效令牌（只显示开头几位）。"""
    tokens = _accounts().tokens(user)
    if as_json:
        typer.echo(json.dumps([asdict(t) for t in tokens], ensure_ascii=False, default=str))
        return
    for t in tokens:
        typer.echo(
            f"[{t.id}] {t.username}\t{t.prefix or '（旧令牌）'}…\t签发 {_when(t.created_at)}\t"
            f"到期 {_when(t.expires_at)}\t最近使用 {_when(t.last_used_at)}"
        )


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int | None, typer.Argument(help="令牌编号（见 token list）")] = None,
    user: Annotated[str | None, typer.Option("--user", help="注销此账号的全部令牌")] = None,
) -> None:
    """注销一个令牌，或一个账号的全部令牌。"""
    if (token_id is None) == (user is None):
        typer.echo("请给出令牌编号，或用 --user 指定账号（二者选一）。", err=True)
        raise typer.Exit(code=2)
    accounts = _accounts()
    if user is not None:
        count = guarded(lambda: accounts.revoke_tokens(user, actor=CLI))
        typer.echo(f"已注销 {user} 的 {count} 个令牌。")
    else:
        guarded(lambda: accounts.revoke_token(token_id, actor=CLI))
        typer.echo(f"已注销令牌 {token_id}。")
