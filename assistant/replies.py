"""What the chat commands say, whatever the chat: plain lines, some marked as a heading or a quote.

Each channel renders the lines its own way (Telegram: HTML ``<b>``/``<blockquote>``; 钉钉:
Markdown) and splits them under its own limits; the words are the same everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from registry.chats import ChatView
from registry.views import DueItem, ProgressView, TaskForceView, TaskView

Style = Literal["strong", "quote"]
# a task's 督办 status as a light that also carries the word (never colour alone)
LIGHTS = {
    "逾期": "🔴",
    "临期": "🟠",
    "未报送": "🟣",
    "未设节点": "⚪",
    "正常": "🟢",
    "已完成": "🔵",
}


@dataclass(frozen=True)
class Line:
    """One paragraph of a reply: raw text, and how it stands out (if it does)."""

    text: str
    style: Style | None = None


def plain(text: str) -> list[Line]:
    return [Line(line) for line in text.split("\n")]


def status_light(task: TaskView) -> str:
    """``🔴 逾期、未报送``: the light of the most urgent status, and every status that applies."""
    return f"{LIGHTS[task.status]} {'、'.join(task.flags) or task.status}"


def tasks_lines(
    tasks: Sequence[TaskView], *, department: str | None, detail: bool, status: str | None = None
) -> list[Line]:
    """``detail``: for a bound (officials') chat — milestones, progress and the 督办 status."""
    whose = f"{department}{status or ''}" if department else status or ""
    if not tasks:
        return plain(f"{whose or '台账'}没有任务。" if not status else f"没有{whose}的任务。")
    head = (
        f"{department}承担的{status or ''}任务（{len(tasks)}项）："
        if department
        else f"{status or ''}任务清单（{len(tasks)}项）："
    )
    lines = [Line(head, "strong")]
    for task in tasks:
        role = f"（{task.role_of(department)}）" if department else ""
        lines.append(Line(f"[{task.id}] {task.clause} {task.title}{role}", "strong"))
        if detail:
            lines.append(Line(status_light(task)))
        leads = "、".join(task.lead_departments)
        co = "、".join(task.co_departments) + ("等" if task.open_ended else "")
        lines.append(Line(f"牵头：{leads or '—'}；配合：{co or '—'}"))
        if detail:
            lines += [
                Line(f"里程碑：{m.due.isoformat()} {m.description}（{m.status}）")
                for m in task.milestones
            ]
            if task.progress:
                latest = task.progress[-1]
                review = f"（{latest.review}）" if latest.review != "已采纳" else ""
                lines.append(
                    Line(f"最新进展：{latest.department} {latest.status} {latest.note}{review}")
                )
                if latest.review == "已退回":
                    lines.append(Line(f"退回意见：{latest.review_comment}"))
    if detail:
        lines.append(Line("填报进展：/report 任务编号 状态 说明"))
    return lines


def due_lines(items: Sequence[DueItem], *, whose: str) -> list[Line]:
    if not items:
        return plain(f"{whose}三十天内没有到期或逾期未完成的里程碑。")
    lines = [Line(f"{whose}三十天内到期和逾期的里程碑（{len(items)}个）：", "strong")]
    for item in items:
        when = (
            f"已逾期 {-item.days_left} 天"
            if item.days_left < 0
            else "今天到期"
            if item.days_left == 0
            else f"还有 {item.days_left} 天"
        )
        named = "、".join((*item.lead_departments, *item.co_departments))
        lines.append(
            Line(
                f"{item.milestone.due.isoformat()}（{when}）任务 {item.task_id} {item.clause}"
                f"{item.title}：{item.milestone.description}［{named}］"
            )
        )
    return lines


def taskforce_lines(force: TaskForceView | None) -> list[Line]:
    if force is None:
        return plain("台账中还没有工作专班信息。")
    members = "、".join(force.members) + ("等" if force.members_open_ended else "")
    return [
        Line(f"{force.name}（《{force.document}》{force.clause}）", "strong"),
        Line(f"召集人：{force.convener}"),
        Line(f"副召集人：{'、'.join(force.deputy_conveners)}"),
        Line(f"成员单位：{members}"),
        Line(f"专班办公室：设在{force.office}，{force.office_duties}"),
    ]


def bound_lines(chat: ChatView) -> list[Line]:
    if chat.is_office:
        return plain("绑定成功：本群为专班办公室群，将收到全部到期提醒和每周周报。")
    return plain(
        f"绑定成功：本群已绑定{chat.department}，将收到该部门任务的到期提醒；"
        "可用 /report 任务编号 状态 说明 填报进展，/mute 暂停提醒。"
    )


def progress_lines(view: ProgressView) -> list[Line]:
    return plain(
        f"已记录进展 #{view.id}：任务 {view.task_id}，{view.department}，{view.status}，"
        f"{view.note}（填报人：{view.reporter}），待专班办公室审核"
    )
