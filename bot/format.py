"""Telegram messages from the core service's results (answers, and the commands' lines from
``assistant.commands``): HTML-escaped and split under 4096.

Replies use ``parse_mode=HTML``: every piece of text goes through ``html.escape`` and the only
markup is ``<b>`` and ``<blockquote>``, each opened and closed inside one message. Telegram's
limit counts UTF-16 code units of the text after parsing; measuring the HTML source instead is
never less, so a message that fits here fits there. Outbox messages (reminders) are plain text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

from assistant.models import Answer
from assistant.replies import Line

MAX_MESSAGE = 4096
PARSE_MODE = "HTML"
_TAGS = {"strong": "b", "quote": "blockquote"}
_BREAKS = re.compile(r"(?<=\n)|(?<=[。！？；])")


@dataclass(frozen=True)
class Part:
    """Raw text and the one tag it is shown in, if any; a paragraph of a message."""

    text: str
    tag: str | None = None


def units(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def _wrap(text: str, tag: str | None) -> str:
    return f"<{tag}>{escape(text)}</{tag}>" if tag else escape(text)


def _fragments(part: Part, limit: int) -> list[str]:
    """``part`` as HTML, cut (at line or sentence ends if possible) into pieces under ``limit``."""
    whole = _wrap(part.text, part.tag)
    if units(whole) <= limit:
        return [whole]
    overhead = units(_wrap("", part.tag))
    pieces: list[str] = []
    current = ""
    for sentence in _BREAKS.split(part.text):
        while sentence:
            if units(escape(current + sentence)) + overhead <= limit:
                current, sentence = current + sentence, ""
            elif current:
                pieces.append(current)
                current = ""
            else:  # one sentence longer than a message: cut it where it overflows
                cut = _longest_prefix(sentence, limit - overhead)
                pieces.append(sentence[:cut])
                sentence = sentence[cut:]
    if current:
        pieces.append(current)
    return [_wrap(p, part.tag) for p in pieces if p.strip()]


def _longest_prefix(text: str, budget: int, *, escaped: bool = True) -> int:
    used = 0
    for n, ch in enumerate(text):
        used += units(escape(ch) if escaped else ch)
        if used > budget:
            return max(n, 1)
    return len(text)


def render(parts: Iterable[Part], *, limit: int = MAX_MESSAGE) -> list[str]:
    """Messages of whole paragraphs, one per line, each under ``limit``."""
    messages: list[str] = []
    current = ""
    for fragment in (f for part in parts for f in _fragments(part, limit)):
        joined = f"{current}\n{fragment}" if current else fragment
        if units(joined) <= limit:
            current = joined
        else:
            messages.append(current)
            current = fragment
    if current:
        messages.append(current)
    return messages or [escape("（无内容）")]


def text_messages(text: str, *, limit: int = MAX_MESSAGE) -> list[str]:
    return render([Part(line) for line in text.split("\n")], limit=limit)


def truncate_plain(text: str, *, limit: int = MAX_MESSAGE) -> str:
    """A plain-text message cut to fit, for the rare reminder that would not."""
    if units(text) <= limit:
        return text
    return text[: _longest_prefix(text, limit - 1, escaped=False)] + "…"


# -- what the bot says ---------------------------------------------------------------------------
def answer_messages(answer: Answer) -> list[str]:
    parts = [Part(line) for line in answer.answer.split("\n")]
    if answer.citations:
        parts.append(Part("原文：", "b"))  # the answer names its sources; here are their words
        for citation in answer.citations:
            parts.append(Part(citation.where, "b"))
            parts.append(Part(citation.text, "blockquote"))
    return render(parts)


def reply_messages(lines: Iterable[Line]) -> list[str]:
    """A command's reply (``assistant.commands``) as messages."""
    return render(Part(line.text, _TAGS[line.style] if line.style else None) for line in lines)
