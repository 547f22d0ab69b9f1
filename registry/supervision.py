"""督办: the status of every task and milestone, the overview of a ledger and the monthly 督办通报's
contents. Pure functions over task views and a day, so a past month is judged as of its end.

A task is 已完成 once the office closes it (办结). An open task is, most urgent first:

* 逾期 — a milestone not completed by its due day;
* 临期 — a milestone due within N China workdays;
* 未报送 — no progress report (a returned one does not count) for M days, counted from the
  task's first day in the ledger when it has none;
* 未设节点 — no open milestone (the text's own dated deadline is one);
* 正常 — none of these.

A task can be several of them at once (``flags``); ``status`` is the most urgent. A department's
tasks are those it leads, or, where the text names no lead, those it shares (按职责分工负责).
"""

from __future__ import annotations

import calendar as monthdays
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from registry.views import MilestoneView, ProgressView, TaskView
from registry.workdays import WorkdayCalendar

TASK_STATUSES = ("逾期", "临期", "未报送", "未设节点", "正常", "已完成")  # most urgent first
MILESTONE_STATUSES = ("逾期", "临期", "正常", "已完成")
OPEN = "正常"
DONE = "已完成"
RETURNED = "已退回"


@dataclass(frozen=True)
class Rules:
    due_soon_workdays: int = 5  # 临期: due within this many China workdays
    report_stale_days: int = 30  # 未报送: no report for this many days


@dataclass(frozen=True)
class Day:
    """A day the ledger is judged on, with the thresholds the rules give it."""

    today: dt.date
    soon_until: dt.date  # the last day that is 临期
    stale_before: dt.date  # a report on or before this day is out of date

    @classmethod
    def of(cls, today: dt.date, rules: Rules, calendar: WorkdayCalendar) -> Day:
        return cls(
            today,
            calendar.after(today, rules.due_soon_workdays),
            today - dt.timedelta(days=rules.report_stale_days),
        )


def milestone_status(due: dt.date, completed_on: dt.date | None, day: Day) -> str:
    if completed_on is not None and completed_on <= day.today:
        return DONE
    if due < day.today:
        return "逾期"
    return "临期" if due <= day.soon_until else OPEN


def last_report(task: TaskView, day: Day) -> ProgressView | None:
    """The newest report by ``day`` that was not returned."""
    valid = [p for p in task.progress if p.review != RETURNED and p.reported_on <= day.today]
    return max(valid, key=lambda p: (p.reported_on, p.id)) if valid else None


def closed(task: TaskView, day: Day) -> bool:
    return task.closure is not None and task.closure.closed_on <= day.today


def flags(task: TaskView, day: Day) -> tuple[str, ...]:
    """Every status that applies to the open task on ``day``, most urgent first."""
    if closed(task, day):
        return ()
    states = {milestone_status(m.due, m.completed_on, day) for m in task.milestones}
    found = [s for s in ("逾期", "临期") if s in states]
    report = last_report(task, day)
    since = report.reported_on if report else task.created_on
    if since is None or since <= day.stale_before:
        found.append("未报送")
    if not states - {DONE}:
        found.append("未设节点")
    return tuple(found)


def task_status(task: TaskView, day: Day) -> str:
    if closed(task, day):
        return DONE
    found = flags(task, day)
    return found[0] if found else OPEN


def responsible(task: TaskView) -> tuple[str, ...]:
    """Who answers for the task: its leads, or every named unit where the text names no lead."""
    return task.lead_departments or task.co_departments


def in_section(task: TaskView, section: str) -> bool:
    return not section or task.clause.startswith(section)


def sections(tasks: Iterable[TaskView]) -> list[tuple[str, str]]:
    """The sections the tasks fall in, for a filter: (clause prefix "二、（一）", its heading)."""
    return sorted(
        {
            (t.clause[: t.clause.index("）") + 1], t.heading.split(" > ")[1])
            for t in tasks
            if "）" in t.clause and " > " in t.heading
        }
    )


def last_reports(tasks: Iterable[TaskView], day: dt.date) -> dict[str, dt.date]:
    """Each department's newest report by ``day`` on any of the tasks (returned ones not
    counted)."""
    last: dict[str, dt.date] = {}
    for task in tasks:
        for p in task.progress:
            if p.review != RETURNED and p.reported_on <= day:
                last[p.department] = max(last.get(p.department, p.reported_on), p.reported_on)
    return last


# -- the overview ----------------------------------------------------------------------------
@dataclass(frozen=True)
class DepartmentLoad:
    name: str
    tasks: int
    due_soon: int  # 临期
    overdue: int  # 逾期
    unreported: int  # open tasks with no report for M days
    last_report: dt.date | None  # its newest report on any task (returned ones not counted)
    oldest_overdue: dt.date | None  # the earliest due day of its overdue milestones
    overdue_days: int  # since that day
    statuses: tuple[tuple[str, int], ...]  # its tasks by their (most urgent) status

    @property
    def done(self) -> int:
        return dict(self.statuses)[DONE]

    @property
    def open(self) -> int:
        return self.tasks - self.done


@dataclass(frozen=True)
class TimelineRow:
    name: str  # a department
    # per month: {status: milestones}, in the order of ``Overview.months``
    months: tuple[tuple[tuple[str, int], ...], ...]


@dataclass(frozen=True)
class Overview:
    today: dt.date
    rules: Rules
    totals: tuple[tuple[str, int], ...]  # every task status, in TASK_STATUSES order
    tasks: int
    departments: tuple[DepartmentLoad, ...]  # by name order of first appearance
    ranking: tuple[DepartmentLoad, ...]  # departments with overdue tasks, most and oldest first
    months: tuple[dt.date, ...]  # first days of the timeline's months
    timeline: tuple[TimelineRow, ...]
    today_offset: float  # where today falls on the timeline, 0–1 of its width


def overview(tasks: Sequence[TaskView], today: dt.date, rules: Rules) -> Overview:
    """Today's overview, from the statuses the views carry (judged today by the registry)."""
    totals = Counter(t.status for t in tasks)
    loads: dict[str, Counter[str]] = defaultdict(Counter)
    last = last_reports(tasks, today)
    oldest: dict[str, dt.date] = {}
    for task in tasks:
        late = min((m.due for m in task.milestones if m.status == "逾期"), default=None)
        for name in responsible(task):
            load = loads[name]
            load["tasks"] += 1
            load[task.status] += 1
            load["due_soon"] += "临期" in task.flags
            load["overdue"] += "逾期" in task.flags
            load["unreported"] += "未报送" in task.flags
            if late is not None:
                oldest[name] = min(oldest.get(name, late), late)
    departments = tuple(
        DepartmentLoad(
            name=name,
            tasks=c["tasks"],
            due_soon=c["due_soon"],
            overdue=c["overdue"],
            unreported=c["unreported"],
            last_report=last.get(name),
            oldest_overdue=oldest.get(name),
            overdue_days=(today - oldest[name]).days if name in oldest else 0,
            statuses=tuple((s, c[s]) for s in TASK_STATUSES),
        )
        for name, c in loads.items()
    )
    ranking = sorted(
        (d for d in departments if d.overdue),
        key=lambda d: (-d.overdue, d.oldest_overdue or today, d.name),
    )
    months, rows = _timeline(tasks, today)
    span = (_next_month(months[-1]) - months[0]).days if months else 1
    return Overview(
        today=today,
        rules=rules,
        totals=tuple((s, totals.get(s, 0)) for s in TASK_STATUSES),
        tasks=len(tasks),
        departments=departments,
        ranking=tuple(ranking),
        months=months,
        timeline=rows,
        today_offset=min(1.0, max(0.0, (today - months[0]).days / span)) if months else 0.0,
    )


_TIMELINE_MONTHS = 12  # at least
_TIMELINE_MONTHS_MAX = 24


def _timeline(
    tasks: Sequence[TaskView], today: dt.date
) -> tuple[tuple[dt.date, ...], tuple[TimelineRow, ...]]:
    """Milestones by month and department: from three months back to the last milestone's month,
    12 to 24 months; earlier ones are counted in the first month, later ones in the last."""
    first = _month_start(today)
    for _ in range(3):
        first = _month_start(first - dt.timedelta(days=1))
    latest = max((m.due for t in tasks for m in t.milestones), default=today)
    size = min(max(_months_between(first, latest) + 1, _TIMELINE_MONTHS), _TIMELINE_MONTHS_MAX)
    months = [first]
    while len(months) < size:
        months.append(_next_month(months[-1]))
    cells: dict[str, list[Counter[str]]] = {}
    for task in tasks:
        for m in task.milestones:
            index = _clamp(_months_between(first, m.due), len(months))
            for name in responsible(task):
                if name not in cells:
                    cells[name] = [Counter() for _ in months]
                cells[name][index][m.status] += 1
    rows = tuple(
        TimelineRow(
            name,
            tuple(tuple((s, c[s]) for s in MILESTONE_STATUSES if c[s]) for c in row),
        )
        for name, row in cells.items()
    )
    return tuple(months), rows


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _months_between(first: dt.date, day: dt.date) -> int:
    return (day.year - first.year) * 12 + day.month - first.month


def _clamp(index: int, size: int) -> int:
    return min(max(index, 0), size - 1)


# -- the monthly 督办通报 --------------------------------------------------------------------
@dataclass(frozen=True)
class BulletinRow:
    task_id: int
    clause: str
    title: str
    document: str
    leads: tuple[str, ...]
    co: tuple[str, ...]
    milestone: str  # "2026-11-30 完成摸底" or ""
    status: str
    report: str  # the latest accepted report, else the latest not returned, as one line


@dataclass(frozen=True)
class UnreportedUnit:
    name: str
    tasks: int  # open tasks it answers for with no report for M days
    last_report: dt.date | None


@dataclass(frozen=True)
class Bulletin:
    month: dt.date  # first day of the month reported on
    as_of: dt.date  # the month's last day, or today within the month
    documents: tuple[str, ...]  # titles of the documents covered
    totals: tuple[tuple[str, int], ...]
    tasks: int
    late: tuple[tuple[str, tuple[BulletinRow, ...]], ...]  # 逾期 and 临期 by department
    unreported: tuple[UnreportedUnit, ...]
    upcoming: tuple[BulletinRow, ...]  # milestones due in the next month
    rules: Rules


def month_of(text: str) -> dt.date:
    """``2026-11`` → 2026-11-01; a clear Chinese error for anything else."""
    try:
        year, month = (int(part) for part in text.strip().split("-"))
        return dt.date(year, month, 1)
    except ValueError:
        raise ValueError(f"月份格式应为 YYYY-MM（如 2026-11）：{text}") from None


def report_as_of(month: dt.date, today: dt.date) -> dt.date:
    end = month.replace(day=monthdays.monthrange(month.year, month.month)[1])
    return min(end, today)


def bulletin(
    tasks: Sequence[TaskView], month: dt.date, day: Day, rules: Rules, documents: Iterable[str]
) -> Bulletin:
    """The 督办通报 of ``month`` judged on ``day`` (the month's end, or today within it)."""
    statuses = {t.id: task_status(t, day) for t in tasks}
    found = {t.id: flags(t, day) for t in tasks}
    by_department: dict[str, list[BulletinRow]] = defaultdict(list)
    for task in tasks:
        if not {"逾期", "临期"} & set(found[task.id]):
            continue
        late = [
            m
            for m in task.milestones
            if milestone_status(m.due, m.completed_on, day) in ("逾期", "临期")
        ]
        row = _row(task, late[0] if late else None, statuses[task.id], day)
        for name in responsible(task):
            by_department[name].append(row)
    unreported: dict[str, int] = Counter(
        name for t in tasks if "未报送" in found[t.id] for name in responsible(t)
    )
    last = last_reports(tasks, day.today)
    horizon = _next_month(_next_month(_month_start(day.today)))
    upcoming = sorted(
        (
            (m.due, task.clause, _row(task, m, statuses[task.id], day))
            for task in tasks
            if not closed(task, day)
            for m in task.milestones
            if milestone_status(m.due, m.completed_on, day) != DONE and day.today < m.due < horizon
        ),
        key=lambda entry: (entry[0], entry[1]),
    )
    totals = Counter(statuses.values())
    return Bulletin(
        month=month,
        as_of=day.today,
        documents=tuple(documents),
        totals=tuple((s, totals.get(s, 0)) for s in TASK_STATUSES),
        tasks=len(tasks),
        late=tuple(
            (name, tuple(sorted(rows, key=lambda r: (TASK_STATUSES.index(r.status), r.clause))))
            # most overdue first, then in the order the plan names them
            for name, rows in sorted(
                by_department.items(), key=lambda kv: -sum(r.status == "逾期" for r in kv[1])
            )
        ),
        unreported=tuple(
            UnreportedUnit(name, count, last.get(name))
            for name, count in sorted(unreported.items(), key=lambda kv: -kv[1])
        ),
        upcoming=tuple(row for _, _, row in upcoming),
        rules=rules,
    )


def report_line(report: ProgressView | None) -> str:
    if report is None:
        return ""
    behalf = "（办公室代填）" if report.on_behalf else ""
    note = f" {report.note}" if report.note else ""
    return f"{report.reported_on.isoformat()} {report.department}{behalf}：{report.status}{note}"


def shown_report(task: TaskView, day: Day) -> ProgressView | None:
    """The report a ledger or bulletin shows: the latest accepted, else the latest pending."""
    accepted = [p for p in task.progress if p.review == "已采纳" and p.reported_on <= day.today]
    if accepted:
        return max(accepted, key=lambda p: (p.reported_on, p.id))
    return last_report(task, day)


def _row(task: TaskView, milestone: MilestoneView | None, status: str, day: Day) -> BulletinRow:
    return BulletinRow(
        task_id=task.id,
        clause=task.clause,
        title=task.title,
        document=task.document,
        leads=task.lead_departments,
        co=task.co_departments,
        milestone=f"{milestone.due.isoformat()} {milestone.description}" if milestone else "",
        status=status,
        report=report_line(shown_report(task, day)),
    )
