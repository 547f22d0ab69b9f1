"""Deadline reminders: works out which reminders are due and queues them in the outbox.

For each open milestone, every unmuted chat and push channel (企业微信, 钉钉, 飞书, e-mail)
bound to a department its task names (lead or co), and every one of the office's, get:

* a reminder at each configured offset before the due date (default 30, 7 and 1 days);
* once overdue, a reminder on the first workday after the due date and then every N workdays;

and office chats get a weekly digest on the configured weekday.

Days are China workdays (``chinese_calendar``): weekends and public holidays are off, 调休
make-up days count as workdays. A reminder whose day is off moves to the previous workday.
Planning happens on workdays only; a reminder whose day has passed without being planned (the
service was down) is caught up, but only the latest stage of each milestone: a missed T-30 is not
sent once T-7 is due. Every message has a dedupe key (``milestone:12:chat:-100:T-7``), so
planning again, on any number of instances, queues nothing twice. Times are Asia/Shanghai.

Knows nothing of Telegram or any platform: it writes plain text to the outbox, one row per
message and recipient.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from assistant.recipients import recipients, task_link
from assistant.settings import ReminderSettings
from registry.channels import ChannelService
from registry.chats import ChatService
from registry.outbox import NewMessage, Outbox
from registry.service import Registry
from registry.views import MilestoneView, TaskView
from registry.workdays import WorkdayCalendar

logger = logging.getLogger(__name__)

TIMEZONE = ZoneInfo("Asia/Shanghai")
DIGEST_HORIZON_DAYS = 14
_WEEKDAYS = "一二三四五六日"
_MAX_LINES = 20  # per digest section; keeps a digest well under one Telegram message


def reminder_day(due: dt.date, offset: int, calendar: WorkdayCalendar) -> dt.date:
    """The workday a reminder ``offset`` days before ``due`` goes out."""
    return calendar.on_or_before(due - dt.timedelta(days=offset))


@dataclass(frozen=True)
class PlanReport:
    day: dt.date
    workday: bool
    planned: int = 0  # messages due today, queued before or now
    queued: int = 0  # of which new

    def summary(self) -> str:
        if not self.workday:
            return f"{self.day} 不是工作日，不发送提醒"
        return f"{self.day}：应发提醒 {self.planned} 条，新排入发件箱 {self.queued} 条"


@dataclass(frozen=True)
class _Stage:
    label: str  # T-7 / overdue:2
    kind: str  # reminder / overdue


class ReminderPlanner:
    def __init__(
        self,
        *,
        registry: Registry,
        chats: ChatService,
        outbox: Outbox,
        settings: ReminderSettings,
        clock: Callable[[], dt.datetime],
        calendar: WorkdayCalendar | None = None,
        channels: ChannelService | None = None,
        public_url: str | None = None,
    ) -> None:
        self._registry = registry
        self._chats = chats
        self._channels = channels
        self._public_url = public_url
        self._outbox = outbox
        self._settings = settings
        self._clock = clock
        self._calendar = calendar or WorkdayCalendar()

    @property
    def calendar(self) -> WorkdayCalendar:
        return self._calendar

    def plan(self) -> PlanReport:
        """Queue today's reminders and digests; running it again queues nothing new."""
        now = self._clock().astimezone(TIMEZONE)
        today = now.date()
        if not self._calendar.is_workday(today):
            logger.info("%s is not a workday: no reminders", today)
            return PlanReport(day=today, workday=False)
        messages = self.due_messages(today)
        added = self._outbox.enqueue(messages)
        report = PlanReport(day=today, workday=True, planned=len(messages), queued=len(added))
        logger.info("%s", report.summary())
        return report

    def due_messages(self, today: dt.date) -> list[NewMessage]:
        """Every message due on ``today`` (a workday), whether or not already queued."""
        send_at = dt.datetime.combine(today, dt.time(self._settings.send_hour), tzinfo=TIMEZONE)
        told = recipients(self._chats, self._channels)
        tasks = self._registry.tasks()
        messages: list[NewMessage] = []
        for task in tasks:
            if task.closure is not None:
                continue  # 办结: no more reminders
            units = (*task.lead_departments, *task.co_departments)
            to = list(dict.fromkeys([*told.of(*units), *told.office]))
            for milestone in task.milestones:
                if milestone.completed_on is not None or not to:
                    continue
                stage = self._stage(milestone.due, today)
                if stage is None:
                    continue
                text = _milestone_text(task, milestone, today, stage)
                messages += [
                    NewMessage(
                        dedupe_key=f"milestone:{milestone.id}:{r.key}:{stage.label}",
                        chat_id=r.chat_id,
                        kind=stage.kind,
                        text=text,
                        not_before=send_at,
                        milestone_id=milestone.id,
                        channel_id=r.channel_id,
                        link=task_link(self._public_url, task.id),
                    )
                    for r in to
                ]
        week = self._digest_week(today)
        if week is not None and told.office:
            text = _digest_text(tasks, today, week)
            label = f"{week.isocalendar().year}-W{week.isocalendar().week:02d}"
            messages += [
                NewMessage(
                    dedupe_key=f"digest:{label}:{r.key}",
                    chat_id=r.chat_id,
                    kind="digest",
                    text=text,
                    not_before=send_at,
                    channel_id=r.channel_id,
                )
                for r in told.office
            ]
        return messages

    def _stage(self, due: dt.date, today: dt.date) -> _Stage | None:
        if due >= today:
            # the latest stage whose day has come: the smallest offset, since days only move back
            reached = [
                offset
                for offset in set(self._settings.offsets_days)
                if reminder_day(due, offset, self._calendar) <= today
            ]
            return _Stage(f"T-{min(reached)}", "reminder") if reached else None
        late = self._calendar.workdays_after(due, today)
        if late < 1:
            return None
        every = self._settings.overdue_every_workdays
        return _Stage(f"overdue:{(late - 1) // every + 1}", "overdue")

    def _digest_week(self, today: dt.date) -> dt.date | None:
        """Monday of the week whose digest is the latest one due by ``today``."""
        monday = today - dt.timedelta(days=today.weekday())
        best: tuple[dt.date, dt.date] | None = None
        for weeks in (-1, 0, 1):
            start = monday + dt.timedelta(weeks=weeks)
            day = self._calendar.on_or_before(
                start + dt.timedelta(days=self._settings.digest_weekday)
            )
            if day <= today and (best is None or day >= best[0]):
                best = (day, start)
        return best[1] if best else None


def _units(task: TaskView) -> str:
    leads = "、".join(task.lead_departments) or "—"
    co = "、".join(task.co_departments) + ("等" if task.open_ended else "")
    return f"牵头：{leads}；配合：{co or '—'}"


def _date(day: dt.date) -> str:
    return f"{day.isoformat()}（周{_WEEKDAYS[day.weekday()]}）"


def _milestone_text(task: TaskView, m: MilestoneView, today: dt.date, stage: _Stage) -> str:
    days = (m.due - today).days
    if stage.kind == "overdue":
        head = f"【逾期提醒】已逾期 {-days} 天"
    else:
        head = "【到期提醒】今天到期" if days == 0 else f"【到期提醒】还有 {days} 天到期"
    return "\n".join(
        [
            head,
            f"任务 {task.id}｜{task.clause} {task.title}",
            f"里程碑：{m.description}",
            f"到期日：{_date(m.due)}",
            _units(task),
            f"填报进展：/report {task.id} 进行中 进展说明",
        ]
    )


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else f"{text[:limit]}……"


def _capped(lines: list[str]) -> list[str]:
    if len(lines) <= _MAX_LINES:
        return lines
    return [*lines[:_MAX_LINES], f"……另有 {len(lines) - _MAX_LINES} 项，详见 policyqa due"]


def _digest_text(tasks: Iterable[TaskView], today: dt.date, week: dt.date) -> str:
    horizon = today + dt.timedelta(days=DIGEST_HORIZON_DAYS)
    overdue, coming, progress = [], [], []
    for task in tasks:
        units = "、".join((*task.lead_departments, *task.co_departments))
        for m in task.milestones:
            if m.completed_on is not None or task.closure is not None:
                continue
            line = (
                f"- 任务 {task.id} {task.clause}：{m.description}（{m.due.isoformat()}，{units}）"
            )
            if m.due < today:
                overdue.append((m.due, line))
            elif m.due <= horizon:
                coming.append((m.due, line))
        for p in task.progress:
            if (today - p.reported_on).days < 7:
                progress.append(
                    (
                        p.reported_on,
                        f"- 任务 {task.id} {p.department} {p.status}：{_short(p.note)}（{p.reporter}，{p.reported_on.isoformat()}）",
                    )
                )
    iso = week.isocalendar()
    lines = [f"【专班周报】{iso.year}年第{iso.week}周（{today.isoformat()}）"]
    for title, entries in (
        ("逾期未完成", overdue),
        (f"{DIGEST_HORIZON_DAYS}天内到期", coming),
        ("近七天进展", progress),
    ):
        lines.append(f"{title}（{len(entries)}项）：")
        lines += _capped([line for _, line in sorted(entries, key=lambda e: e[0])]) or ["- 无"]
    return "\n".join(lines)
