"""Telegram messages from the core service's results: HTML-escaped and split under 4096.

Replies use ``parse_mode=HTML``: every piece of text goes through ``html.escape`` and the only
markup is ``<b>`` and ``<blockquote>``, each opened and closed inside one message. Telegram's
limit counts UTF-16 code units of the text after parsing; measuring the HTML source instead is
never less, so a message that fits here fits there. Outbox messages (reminders) are plain text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assistant.models import Answer
from registry.chats import ChatView
from registry.service import RegistryError
from registry.views import DueItem, ProgressView, TaskForceView, TaskView

MAX_MESSAGE = 4096
# a task's 督办 status as a light that also carries the word (never colour alone)
LIGHTS = {
    "逾期": "🔴",
    "临期": "🟠",
    "未报送": "🟣",
    "未设节点": "⚪",
    "正常": "🟢",
    "已完成": "🔵",
}
PARSE_MODE = "HTML"
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
        parts.append(Part("依据：", "b"))
        for citation in answer.citations:
            parts.append(Part(f"《{citation.document}》{citation.clause}", "b"))
            parts.append(Part(citation.text, "blockquote"))
    return render(parts)


def error_messages(error: RegistryError) -> list[str]:
    return text_messages(str(error))


def status_light(task: TaskView) -> str:
    """``🔴 逾期、未报送``: the light of the most urgent status, and every status that applies."""
    return f"{LIGHTS[task.status]} {'、'.join(task.flags) or task.status}"


def tasks_messages(
    tasks: Sequence[TaskView], *, department: str | None, detail: bool, status: str | None = None
) -> list[str]:
    """``detail``: for a bound (officials') chat — milestones, progress and the 督办 status."""
    whose = f"{department}{status or ''}" if department else status or ""
    if not tasks:
        return text_messages(
            f"{whose or '台账'}没有任务。" if not status else f"没有{whose}的任务。"
        )
    head = (
        f"{department}承担的{status or ''}任务（{len(tasks)}项）："
        if department
        else f"{status or ''}任务清单（{len(tasks)}项）："
    )
    parts = [Part(head, "b")]
    for task in tasks:
        role = f"（{task.role_of(department)}）" if department else ""
        parts.append(Part(f"[{task.id}] {task.clause} {task.title}{role}", "b"))
        if detail:
            parts.append(Part(status_light(task)))
        leads = "、".join(task.lead_departments)
        co = "、".join(task.co_departments) + ("等" if task.open_ended else "")
        parts.append(Part(f"牵头：{leads or '—'}；配合：{co or '—'}"))
        if detail:
            parts += [
                Part(f"里程碑：{m.due.isoformat()} {m.description}（{m.status}）")
                for m in task.milestones
            ]
            if task.progress:
                latest = task.progress[-1]
                review = f"（{latest.review}）" if latest.review != "已采纳" else ""
                parts.append(
                    Part(f"最新进展：{latest.department} {latest.status} {latest.note}{review}")
                )
                if latest.review == "已退回":
                    parts.append(Part(f"退回意见：{latest.review_comment}"))
    if detail:
        parts.append(Part("填报进展：/report 任务编号 状态 说明"))
    return render(parts)


def due_messages(items: Sequence[DueItem], *, whose: str) -> list[str]:
    if not items:
        return text_messages(f"{whose}三十天内没有到期或逾期未完成的里程碑。")
    parts = [Part(f"{whose}三十天内到期和逾期的里程碑（{len(items)}个）：", "b")]
    for item in items:
        when = (
            f"已逾期 {-item.days_left} 天"
            if item.days_left < 0
            else "今天到期"
            if item.days_left == 0
            else f"还有 {item.days_left} 天"
        )
        named = "、".join((*item.lead_departments, *item.co_departments))
        parts.append(
            Part(
                f"{item.milestone.due.isoformat()}（{when}）任务 {item.task_id} {item.clause}"
                f"{item.title}：{item.milestone.description}［{named}］"
            )
        )
    return render(parts)


def taskforce_messages(force: TaskForceView | None) -> list[str]:
    if force is None:
        return text_messages("台账中还没有工作专班信息。")
    members = "、".join(force.members) + ("等" if force.members_open_ended else "")
    return render(
        [
            Part(f"{force.name}（《{force.document}》{force.clause}）", "b"),
            Part(f"召集人：{force.convener}"),
            Part(f"副召集人：{'、'.join(force.deputy_conveners)}"),
            Part(f"成员单位：{members}"),
            Part(f"专班办公室：设在{force.office}，{force.office_duties}"),
        ]
    )


def bound_messages(chat: ChatView) -> list[str]:
    if chat.is_office:
        text = "绑定成功：本群为专班办公室群，将收到全部到期提醒和每周周报。"
    else:
        text = (
            f"绑定成功：本群已绑定{chat.department}，将收到该部门任务的到期提醒；"
            "可用 /report 任务编号 状态 说明 填报进展，/mute 暂停提醒。"
        )
    return text_messages(text)


def progress_messages(view: ProgressView) -> list[str]:
    return text_messages(
        f"已记录进展 #{view.id}：任务 {view.task_id}，{view.department}，{view.status}，"
        f"{view.note}（填报人：{view.reporter}），待专班办公室审核"
    )
