"""Telegram commands of the ``policyqa`` CLI: run the bot, issue bind codes, inspect the outbox."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from typing import Annotated, Any

import typer

from assistant.settings import Settings
from policyqa.storage import TIMEZONE, build_engine, build_registry, shanghai_now

Json = Annotated[bool, typer.Option("--json", help="输出 JSON")]
POLLER_LOCK = "bot.poller"
STANDBY_SECONDS = 5.0


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code=1)


def bot() -> None:
    """启动 Telegram 机器人（长轮询）和到期提醒；已有实例运行时本实例待命，对方停止后接替。"""
    # imported here: the CLI's other commands need neither Telegram nor the scheduler
    from bot.app import build_application, run_polling
    from policyqa.composition import build_services
    from policyqa.scheduler import start_scheduler
    from registry.locks import leadership

    settings = Settings()
    if not settings.telegram_token:
        raise _fail("Telegram 机器人未启用：请设置 POLICYQA_TELEGRAM_TOKEN。")
    if settings.telegram_webhook_url:
        raise _fail(
            "已设置 POLICYQA_TELEGRAM_WEBHOOK_URL（webhook 模式）：机器人随 policyqa serve 运行。"
        )
    services = build_services(settings)
    application = build_application(services, settings)
    # Telegram serves one long poll per bot: one instance polls and sends reminders, a second
    # one (another host) stands by, loaded, and takes over within STANDBY_SECONDS of its death.
    with leadership(
        build_engine(settings),
        POLLER_LOCK,
        retry_seconds=STANDBY_SECONDS,
        on_standby=lambda: typer.echo(
            f"另一个 policyqa bot 实例正在运行：本实例待命，对方停止后 {STANDBY_SECONDS:g} 秒内接替。"
        ),
    ):
        scheduler = start_scheduler(services, settings)
        typer.echo(f"Telegram 机器人已启动（{settings.telegram_api_url}，长轮询），Ctrl-C 退出。")
        try:
            run_polling(application)
        finally:
            scheduler.shutdown()


def bind_code(
    department: Annotated[str | None, typer.Argument(help="部门（可用简称），如 县林业局")] = None,
    office: Annotated[bool, typer.Option("--office", help="专班办公室群的绑定码")] = False,
    days: Annotated[int, typer.Option("--days", min=1, max=90, help="有效天数")] = 7,
    actor: Annotated[str, typer.Option("--by", help="操作人")] = "专班办公室",
    as_json: Json = False,
) -> None:
    """发放一次性绑定码：部门群发送 /bind 绑定码 后即收到该部门的到期提醒。"""
    if office == bool(department):
        raise typer.BadParameter("请给出一个部门，或使用 --office（二者选一）")
    from registry.chats import ChatService
    from registry.service import RegistryError

    settings = Settings()
    engine = build_engine(settings)
    try:
        name = (
            build_registry(settings, engine=engine).department_name(department)
            if department
            else None
        )
        issued = ChatService(engine, clock=shanghai_now).issue_code(
            department=name, office=office, actor=actor, valid_for=dt.timedelta(days=days)
        )
    except RegistryError as exc:
        raise _fail(str(exc)) from None
    expires = issued.expires_at.astimezone(TIMEZONE)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "code": issued.code,
                    "department": issued.department,
                    "office": issued.is_office,
                    "expires_at": expires.isoformat(),
                },
                ensure_ascii=False,
            )
        )
        return
    typer.echo(
        f"绑定码：{issued.code}\n"
        f"用于：{'专班办公室群' if office else name}\n"
        f"有效期至：{expires:%Y-%m-%d %H:%M}（仅可使用一次，只显示这一次）\n"
        f"请在该群（或与机器人的私聊）中发送：/bind {issued.code}"
    )


def outbox(
    as_json: Json = False,
    show_all: Annotated[bool, typer.Option("--all", help="也列出已发送的")] = False,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="把发送失败的重新排队")
    ] = False,
) -> None:
    """发件箱：待发送和发送失败的提醒。"""
    from registry.outbox import OPEN, Outbox

    box = Outbox(build_engine(Settings()), clock=shanghai_now)
    if retry_failed:
        typer.echo(f"已重新排队 {box.requeue_failed()} 条", err=True)
    items = box.items(statuses=(*OPEN, "sent") if show_all else OPEN)
    if as_json:
        typer.echo(json.dumps([_item_json(asdict(i)) for i in items], ensure_ascii=False))
        return
    labels = {"pending": "待发送", "sending": "发送中", "failed": "失败", "sent": "已发送"}
    for i in items:
        when = i.not_before.astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M")
        error = f"  错误：{i.last_error}" if i.last_error else ""
        head = i.text.split("\n", 1)[0]
        typer.echo(
            f"#{i.id} [{labels.get(i.status, i.status)}] {when} 第{i.attempts}次 → {i.chat_id} {head}{error}"
        )
    if not items:
        typer.echo("发件箱中没有待发送或失败的消息。")


def _item_json(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in item.items()}


def register(app: typer.Typer) -> None:
    app.command()(bot)
    app.command("bind-code")(bind_code)
    app.command()(outbox)
