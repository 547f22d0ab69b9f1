"""Push channels on the ``policyqa`` CLI: bind a department (or the office) to a 企业微信, 钉钉
or 飞书 group robot or to e-mail addresses; list, test, remove; make a secret key."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.settings import Settings
from policyqa.storage import build_channels, build_engine, build_registry, shanghai_now

if TYPE_CHECKING:
    from registry.channels import ChannelService, ChannelView

channel_app = typer.Typer(
    help="提醒渠道：企业微信、钉钉、飞书群机器人和电子邮件", no_args_is_help=True
)


def _service(settings: Settings) -> ChannelService:
    return build_channels(settings, build_engine(settings))


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code=1)


def _show(view: ChannelView) -> str:
    return f"#{view.id} {view.owner}：{view.label}"


@channel_app.command("add")
def add(
    department: Annotated[str | None, typer.Argument(help="部门（可用简称）")] = None,
    office: Annotated[bool, typer.Option("--office", help="专班办公室自己的渠道")] = False,
    wecom: Annotated[
        str | None, typer.Option("--wecom", help="企业微信群机器人 webhook 地址")
    ] = None,
    dingtalk: Annotated[
        str | None, typer.Option("--dingtalk", help="钉钉自定义机器人 webhook 地址")
    ] = None,
    feishu: Annotated[
        str | None, typer.Option("--feishu", help="飞书自定义机器人 webhook 地址")
    ] = None,
    email: Annotated[str | None, typer.Option("--email", help="收件地址，多个用逗号分隔")] = None,
    secret: Annotated[
        str | None,
        typer.Option(
            "--secret",
            envvar="POLICYQA_CHANNEL_SECRET",
            help="钉钉/飞书加签密钥；写 - 则提示输入（不留在命令历史中）",
        ),
    ] = None,
    mention: Annotated[
        list[str] | None, typer.Option("--mention", help="提醒时 @ 的手机号（可多次）")
    ] = None,
    actor: Annotated[str, typer.Option("--by", help="操作人")] = "专班办公室",
) -> None:
    """绑定渠道：policyqa channel add 县林业局 --wecom URL / --dingtalk URL --secret SEC… / --email a@b"""
    given = {
        k: v
        for k, v in {"wecom": wecom, "dingtalk": dingtalk, "feishu": feishu, "email": email}.items()
        if v
    }
    if len(given) != 1:
        raise _fail("请给出且只给出一个渠道：--wecom、--dingtalk、--feishu 或 --email")
    ((kind, target),) = given.items()
    if secret == "-":
        secret = typer.prompt("加签密钥", hide_input=True)
    from registry.service import RegistryError

    settings = Settings()
    try:
        name = build_registry(settings).department_name(department) if department else None
        view = _service(settings).add(
            kind=kind,
            department=name,
            office=office,
            url="" if kind == "email" else target,
            secret=secret or "",
            addresses=target.replace("；", ",").replace(";", ",").split(",")
            if kind == "email"
            else (),
            mentions=mention or (),
            actor=actor,
        )
    except RegistryError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"已绑定渠道 {_show(view)}；可用 policyqa channel test {view.id} 发送测试消息。")


@channel_app.command("list")
def list_channels(
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """列出已绑定的渠道（密钥不显示）。"""
    views = _service(Settings()).channels()
    if as_json:
        typer.echo(json.dumps([asdict(v) | {"owner": v.owner} for v in views], ensure_ascii=False))
        return
    typer.echo("\n".join(_show(v) for v in views) or "还没有绑定任何渠道。")


@channel_app.command("test")
def test(channel_id: int) -> None:
    """向渠道发送一条测试消息，并显示平台的回复。"""
    from channels.senders import build_senders, send_test

    settings = Settings()
    service = _service(settings)
    check = asyncio.run(send_test(service, build_senders(settings, clock=shanghai_now), channel_id))
    if not check.ok:
        raise _fail(f"发送失败：{check.answer}")
    typer.echo(f"已发送测试消息到 {_show(service.channel(channel_id))}；平台回复：{check.answer}")


@channel_app.command("remove")
def remove(
    channel_id: int, actor: Annotated[str, typer.Option("--by", help="操作人")] = "专班办公室"
) -> None:
    """解除渠道绑定（已排队的消息不再发送）。"""
    from registry.service import RegistryError

    try:
        view = _service(Settings()).remove(channel_id, actor=actor)
    except RegistryError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"已解除渠道 {_show(view)}")


def secret_key() -> None:
    """生成一个新的渠道密钥，设为 POLICYQA_SECRET_KEY（轮换时把新密钥放在最前，用逗号分隔）。"""
    from registry.secrets import new_key

    typer.echo(new_key())


def register(app: typer.Typer) -> None:
    app.add_typer(channel_app, name="channel")
    app.command("secret-key")(secret_key)
