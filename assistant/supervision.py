"""督办 for the office: the overview, the monthly 督办通报, the review of reports and 催办, with
departments told on every chat they are bound to (through the outbox).

Knows nothing of HTTP or of any chat platform: it writes plain text to the outbox.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from assistant.recipients import recipients, task_link
from registry.channels import ChannelService
from registry.chats import ChatService
from registry.outbox import NewMessage, Outbox
from registry.service import Registry, RegistryError
from registry.supervision import (
    Bulletin,
    Overview,
    bulletin,
    in_section,
    month_of,
    overview,
    report_as_of,
    responsible,
)
from registry.views import ProgressView, TaskView

# 催办 goes to departments with tasks in these states
URGED = ("逾期", "未报送")
_MAX_TASKS = 15  # listed in one 催办 message


@dataclass(frozen=True)
class UrgeResult:
    department: str
    tasks: int  # its 逾期 / 未报送 tasks named in the message
    chats: int  # messages queued (one per bound chat)


class SupervisionService:
    def __init__(
        self,
        *,
        registry: Registry,
        chats: ChatService,
        outbox: Outbox,
        clock: Callable[[], dt.datetime],
        channels: ChannelService | None = None,
        public_url: str | None = None,
    ) -> None:
        self._registry = registry
        self._chats = chats
        self._outbox = outbox
        self._clock = clock
        self._channels = channels
        self._public_url = public_url

    # -- reading -------------------------------------------------------------------------------
    def tasks(self, *, document: str | None = None, section: str = "") -> list[TaskView]:
        return [
            t for t in self._registry.tasks(document=document or None) if in_section(t, section)
        ]

    def overview(self, *, document: str | None = None, section: str = "") -> Overview:
        tasks = self.tasks(document=document, section=section)
        return overview(tasks, self._registry.today(), self._registry.rules)

    def bulletin(self, month: str, *, document: str | None = None) -> Bulletin:
        """The 督办通报 of ``month`` (YYYY-MM), judged at its end (or today within it)."""
        try:
            first = month_of(month)
        except ValueError as exc:
            raise RegistryError(str(exc)) from None
        registry = self._registry
        today = registry.today()
        if first > today:
            raise RegistryError(f"{first.year}年{first.month}月还没有到，不能生成督办通报")
        tasks = self.tasks(document=document)
        titles = [d.title for d in registry.documents() if d.tasks and document in (None, d.id)]
        return bulletin(
            tasks, first, registry.day(report_as_of(first, today)), registry.rules, titles
        )

    def issuer(self, county: str) -> str:
        """Who issues the 督办通报: the office of the plan's task force, else the county's."""
        force = self._registry.taskforce()
        return f"{force.name}办公室" if force else f"{county}“双碳”工作专班办公室"

    # -- the office's actions ------------------------------------------------------------------
    def review(
        self, report_id: int, *, accept: bool, comment: str = "", actor: str
    ) -> tuple[ProgressView, int]:
        """Accept a report, or return it with a comment; a returned report is sent to the
        department's chats. Returns the report and the number of messages queued."""
        report, task = self._registry.review_progress(
            report_id, accept=accept, comment=comment, actor=actor
        )
        if accept:
            return report, 0
        text = "\n".join(
            [
                "【进展退回】",
                f"任务 {task.id}｜{task.clause} {task.title}",
                f"退回的填报：{report.reported_on.isoformat()} {report.status} {report.note}".rstrip(),
                f"退回意见：{report.review_comment}",
                f"请修改后重新填报：/report {task.id} 进行中 进展说明",
            ]
        )
        sent = self._send(report.department, f"returned:{report.id}", "returned", text, task.id)
        return report, sent

    def urge(self, *, department: str | None = None, actor: str) -> list[UrgeResult]:
        """催办 now: to ``department``, or to every department with 逾期 or 未报送 tasks."""
        name = self._registry.department_name(department) if department else None
        pending: dict[str, list[TaskView]] = {}
        for task in self._registry.tasks():
            if not set(URGED) & set(task.flags):
                continue
            for unit in responsible(task):
                if name is None or unit == name:
                    pending.setdefault(unit, []).append(task)
        if name is not None and name not in pending:
            raise RegistryError(f"{name}没有逾期或未报送的任务，无需催办")
        stamp = self._clock().strftime("%Y%m%d%H%M%S")
        results = []
        for unit, tasks in pending.items():
            text = _urge_text(unit, tasks, self._registry.today(), actor)
            sent = self._send(unit, f"urge:{stamp}", "urge", text, tasks[0].id)
            results.append(UrgeResult(unit, len(tasks), sent))
        return results

    def _send(self, department: str, key: str, kind: str, text: str, task_id: int) -> int:
        """To every chat and channel bound to ``department``; the number of messages queued."""
        added = self._outbox.enqueue(
            NewMessage(
                dedupe_key=f"{key}:{r.key}",
                chat_id=r.chat_id,
                kind=kind,
                text=text,
                not_before=self._clock(),
                channel_id=r.channel_id,
                link=task_link(self._public_url, task_id),
            )
            for r in recipients(self._chats, self._channels).of(department)
        )
        return len(added)


def _urge_text(department: str, tasks: list[TaskView], today: dt.date, actor: str) -> str:
    lines = [
        f"【催办】{department}：以下 {len(tasks)} 项任务逾期或未按时报送进展，请尽快办理并填报。"
    ]
    for task in tasks[:_MAX_TASKS]:
        late = [m for m in task.milestones if m.status == "逾期"]
        where = f"，{late[0].description}（{late[0].due.isoformat()} 到期）" if late else ""
        lines.append(f"- 任务 {task.id} {task.clause} {task.title}：{'、'.join(task.flags)}{where}")
    if len(tasks) > _MAX_TASKS:
        lines.append(f"……另有 {len(tasks) - _MAX_TASKS} 项，请登录任务台账查看")
    lines.append(f"填报进展：/report 任务编号 进行中 进展说明（{today.isoformat()}，{actor}）")
    return "\n".join(lines)
