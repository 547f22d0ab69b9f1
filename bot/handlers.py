"""Telegram handlers: each parses the update, makes one service call and formats the reply.

A chat bound to a department or the office (``/bind``) is an official audience; any other chat
is the public. In groups the bot answers commands and messages that mention it or reply to it
(``CommandHandler`` already ignores commands addressed to other bots). Service calls block, so
they run in a worker thread and the event loop keeps polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from telegram import BotCommand, Message, MessageEntity, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackContext,
    CommandHandler,
    ExtBot,
    MessageHandler,
    filters,
)

from assistant.models import Audience
from assistant.services import Services
from bot import format as fmt
from registry.chats import ChatView
from registry.models import STATUSES
from registry.service import RegistryError
from registry.supervision import TASK_STATUSES

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

COMMANDS = (
    ("start", "开始使用"),
    ("help", "使用说明"),
    ("tasks", "任务清单：/tasks [部门] [督办状态，如 逾期、未报送]"),
    ("due", "即将到期和逾期的里程碑"),
    ("taskforce", "县“双碳”工作专班"),
    ("bind", "绑定部门：/bind 绑定码"),
    ("report", "填报进展：/report 任务编号 状态 说明"),
    ("mute", "暂停到期提醒"),
    ("unmute", "恢复到期提醒"),
)
HELP = "\n".join(
    [
        "直接发送问题即可，例如：县林业局负责哪些任务？到2030年要新增多少公用充电桩？",
        "在群里请 @我 提问。",
        *(f"/{name} — {text}" for name, text in COMMANDS),
        f"进展状态可填：{'、'.join(STATUSES)}。",
    ]
)
PUBLIC_DUE = "到期事项属于专班内部工作信息。部门工作群请先用专班办公室发放的绑定码发送 /bind 绑定。"
REPORT_USAGE = f"用法：/report 任务编号 状态 说明，例如：/report 3 进行中 已完成选址。状态：{'、'.join(STATUSES)}。"


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The callback context, with the core services the application was built with."""

    @property
    def services(self) -> Services:
        return self.application.bot_data["services"]  # type: ignore[no-any-return]


async def _call(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    return await asyncio.to_thread(function, *args, **kwargs)


async def _reply(update: Update, messages: list[str]) -> None:
    message = update.effective_message
    if message is None:
        return
    for text in messages:
        await message.reply_text(text, parse_mode=fmt.PARSE_MODE)


def _user_errors(
    handler: Callable[[Update, BotContext], Awaitable[None]],
) -> Callable[[Update, BotContext], Awaitable[None]]:
    """A request the registry refuses is answered with its (Chinese) reason."""

    @functools.wraps(handler)
    async def wrapped(update: Update, context: BotContext) -> None:
        try:
            await handler(update, context)
        except RegistryError as exc:
            await _reply(update, fmt.error_messages(exc))

    return wrapped


def _chat_id(update: Update) -> str:
    assert update.effective_chat is not None
    return str(update.effective_chat.id)


def _reporter(update: Update) -> str:
    user = update.effective_user
    if user is None:
        return f"Telegram 聊天 {_chat_id(update)}"
    return f"{user.full_name}（Telegram {user.id}）"[:100]


async def _binding(update: Update, context: BotContext) -> ChatView | None:
    return await _call(context.services.chats.chat, _chat_id(update))


# -- commands ------------------------------------------------------------------------------------
async def handle_start(update: Update, context: BotContext) -> None:
    await _reply(update, fmt.text_messages(f"{context.services.texts.welcome}\n\n{HELP}"))


async def handle_help(update: Update, context: BotContext) -> None:
    await _reply(update, fmt.text_messages(HELP))


async def handle_unknown_command(update: Update, context: BotContext) -> None:
    """Private chats only: in a group, an unknown command may be another bot's."""
    await _reply(update, fmt.text_messages(f"没有这个命令。\n\n{HELP}"))


@_user_errors
async def handle_tasks(update: Update, context: BotContext) -> None:
    chat = await _binding(update, context)
    words = list(context.args or [])
    # a bound chat may ask by 督办 status: /tasks 逾期, /tasks 林业局 未报送
    status = next((w for w in words if w in TASK_STATUSES), None) if chat else None
    asked = " ".join(w for w in words if w != status).strip() or None
    department = asked or (chat.department if chat else None)
    registry = context.services.registry
    if department:
        department = await _call(registry.department_name, department)
    tasks = await _call(registry.tasks, department=department, status=status)
    await _reply(
        update,
        fmt.tasks_messages(tasks, department=department, detail=bool(chat), status=status),
    )


@_user_errors
async def handle_due(update: Update, context: BotContext) -> None:
    chat = await _binding(update, context)
    if chat is None:
        await _reply(update, fmt.text_messages(PUBLIC_DUE))
        return
    items = await _call(context.services.registry.due, within_days=30)
    if not chat.is_office:
        items = [i for i in items if chat.department in (*i.lead_departments, *i.co_departments)]
    await _reply(update, fmt.due_messages(items, whose="全县" if chat.is_office else chat.label))


@_user_errors
async def handle_taskforce(update: Update, context: BotContext) -> None:
    force = await _call(context.services.registry.taskforce)
    await _reply(update, fmt.taskforce_messages(force))


@_user_errors
async def handle_bind(update: Update, context: BotContext) -> None:
    code = "".join(context.args or [])
    if not code:
        await _reply(update, fmt.text_messages("用法：/bind 绑定码（由专班办公室发放）"))
        return
    chat = await _call(
        context.services.chats.bind, chat_id=_chat_id(update), code=code, actor=_reporter(update)
    )
    await _reply(update, fmt.bound_messages(chat))


@_user_errors
async def handle_report(update: Update, context: BotContext) -> None:
    args = context.args or []
    if len(args) < 3 or not args[0].isdigit() or args[1] not in STATUSES:
        await _reply(update, fmt.text_messages(REPORT_USAGE))
        return
    chat = await _binding(update, context)
    if chat is None or not chat.department:
        raise RegistryError("只有已绑定部门的群可以填报进展：请先发送 /bind 部门绑定码。")
    view = await _call(
        context.services.registry.add_progress,
        int(args[0]),
        department=chat.department,
        status=args[1],
        note=" ".join(args[2:]),
        reporter=_reporter(update),
    )
    await _reply(update, fmt.progress_messages(view))


async def _set_muted(update: Update, context: BotContext, *, muted: bool, done: str) -> None:
    await _call(
        context.services.chats.set_muted,
        chat_id=_chat_id(update),
        muted=muted,
        actor=_reporter(update),
    )
    await _reply(update, fmt.text_messages(done))


@_user_errors
async def handle_mute(update: Update, context: BotContext) -> None:
    await _set_muted(update, context, muted=True, done="已暂停本群的到期提醒；发送 /unmute 恢复。")


@_user_errors
async def handle_unmute(update: Update, context: BotContext) -> None:
    await _set_muted(update, context, muted=False, done="已恢复本群的到期提醒。")


# -- questions -----------------------------------------------------------------------------------
def _question(message: Message, bot_username: str, bot_id: int) -> str | None:
    """The question, if this message is one for the bot; ``None`` to stay silent."""
    text = message.text or ""
    if message.chat.type == ChatType.PRIVATE:
        return text
    mention = f"@{bot_username}".lower()
    ours = [
        v for v in message.parse_entities([MessageEntity.MENTION]).values() if v.lower() == mention
    ]
    if ours:
        for value in ours:
            text = text.replace(value, " ")
        return text
    replied = message.reply_to_message
    if replied and replied.from_user and replied.from_user.id == bot_id:
        return text
    return None


async def handle_question(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is None:
        return
    question = _question(message, context.bot.username, context.bot.id)
    if question is None:
        return
    chat = await _binding(update, context)
    audience: Audience = "official" if chat else "public"
    user = update.effective_user
    conversation = f"telegram:{_chat_id(update)}:{user.id if user else ''}"
    with contextlib.suppress(TelegramError):  # only a courtesy
        await message.chat.send_action(ChatAction.TYPING)
    answer = await _call(
        context.services.answers.ask, question, audience=audience, conversation_id=conversation
    )
    await _reply(update, fmt.answer_messages(answer))


async def handle_error(update: object, context: BotContext) -> None:
    logger.error("handling an update failed", exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        try:
            await _reply(update, fmt.text_messages("抱歉，处理时出错了，请稍后再试。"))
        except TelegramError:
            logger.warning("could not tell the chat about the error")


# -- wiring ----------------------------------------------------------------------------------------
def add_handlers(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    for name, handler in (
        ("start", handle_start),
        ("help", handle_help),
        ("tasks", handle_tasks),
        ("due", handle_due),
        ("taskforce", handle_taskforce),
        ("bind", handle_bind),
        ("report", handle_report),
        ("mute", handle_mute),
        ("unmute", handle_unmute),
    ):
        application.add_handler(CommandHandler(name, handler))  # type: ignore[arg-type]
    application.add_handler(
        MessageHandler(filters.TEXT & ~filters.COMMAND, handle_question)  # type: ignore[arg-type]
    )
    application.add_handler(
        MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, handle_unknown_command)  # type: ignore[arg-type]
    )
    application.add_error_handler(handle_error)  # type: ignore[arg-type]


def bot_commands() -> list[BotCommand]:
    return [BotCommand(name, text) for name, text in COMMANDS]
