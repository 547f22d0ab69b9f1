"""Telegram handlers: the Telegram plumbing around the shared commands (``assistant.commands``:
what each command does and says, who is public and who an official) and their HTML formatting.

In groups the bot answers commands and messages that mention it or reply to it
(``CommandHandler`` already ignores commands addressed to other bots). Service calls block, so
they run in a worker thread and the event loop keeps polling.
"""

from __future__ import annotations

import asyncio
import contextlib
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

from assistant import commands
from assistant.services import Services
from bot import format as fmt

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The callback context, with the core services the application was built with."""

    @property
    def services(self) -> Services:
        return self.application.bot_data["services"]  # type: ignore[no-any-return]


Handler = Callable[[Update, BotContext], Awaitable[None]]


async def _call(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    return await asyncio.to_thread(function, *args, **kwargs)


async def _reply(update: Update, messages: list[str]) -> None:
    message = update.effective_message
    if message is None:
        return
    for text in messages:
        await message.reply_text(text, parse_mode=fmt.PARSE_MODE)


def _chat_id(update: Update) -> str:
    assert update.effective_chat is not None
    return str(update.effective_chat.id)


def _reporter(update: Update) -> str:
    user = update.effective_user
    if user is None:
        return f"Telegram 聊天 {_chat_id(update)}"
    return f"{user.full_name}（Telegram {user.id}）"[:100]


# -- commands ------------------------------------------------------------------------------------
def _command(name: str) -> Handler:
    """``/name args``: the shared command (``assistant.commands``), rendered as HTML."""

    async def handle(update: Update, context: BotContext) -> None:
        call = commands.Invocation(
            context.services, _chat_id(update), _reporter(update), tuple(context.args or ())
        )
        await _reply(update, fmt.reply_messages(await _call(commands.run, name, call)))

    handle.__name__ = handle.__qualname__ = f"handle_{name}"
    return handle


async def handle_unknown_command(update: Update, context: BotContext) -> None:
    """Private chats only: in a group, an unknown command may be another bot's."""
    await _reply(update, fmt.text_messages(commands.UNKNOWN))


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
    user = update.effective_user
    conversation = f"telegram:{_chat_id(update)}:{user.id if user else ''}"
    with contextlib.suppress(TelegramError):  # only a courtesy
        await message.chat.send_action(ChatAction.TYPING)
    answer = await _call(
        commands.ask,
        context.services,
        question,
        chat_id=_chat_id(update),
        conversation_id=conversation,
    )
    await _reply(update, fmt.answer_messages(answer))


async def handle_error(update: object, context: BotContext) -> None:
    logger.error("handling an update failed", exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        try:
            await _reply(update, fmt.text_messages(commands.FAILED))
        except TelegramError:
            logger.warning("could not tell the chat about the error")


# -- wiring ----------------------------------------------------------------------------------------
def add_handlers(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    for name, _ in commands.COMMANDS:
        application.add_handler(CommandHandler(name, _command(name)))  # type: ignore[arg-type]
    application.add_handler(
        MessageHandler(filters.TEXT & ~filters.COMMAND, handle_question)  # type: ignore[arg-type]
    )
    application.add_handler(
        MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, handle_unknown_command)  # type: ignore[arg-type]
    )
    application.add_error_handler(handle_error)  # type: ignore[arg-type]


def bot_commands() -> list[BotCommand]:
    return [BotCommand(name, text) for name, text in commands.COMMANDS]
