"""What the registry returns: plain frozen dataclasses, never ORM rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

STATUSES = ("未开始", "进行中", "已完成", "滞后")  # a department's own word on its progress


@dataclass(frozen=True)
class TargetView:
    id: int
    text: str
    metric: str
    value: float | None
    unit: str
    kind: str
    year: int | None
    start_year: int | None
    corrected: tuple[str, ...]


@dataclass(frozen=True)
class DeadlineView:
    date: dt.date | None  # the last day of the named period; None for annual and ongoing
    kind: str  # date / annual / ongoing
    text: str  # as written: "2027年6月底前", "每年", "长期坚持"


@dataclass(frozen=True)
class DocumentView:
    id: str
    title: str
    level: str
    tasks: int
    conventions: tuple[str, ...]
    goals: tuple[dict[str, object], ...]  # the document's own targets (主要目标)


@dataclass(frozen=True)
class MilestoneView:
    id: int
    task_id: int
    due: dt.date
    description: str
    status: str  # 逾期 / 临期 / 正常 / 已完成 (registry.supervision)
    completed_on: dt.date | None
    origin: str = "office"  # "text": the document's own deadline; "office": added by the office


@dataclass(frozen=True)
class ProgressView:
    id: int
    task_id: int
    department: str
    reported_on: dt.date
    status: str  # the department's own word: 未开始 / 进行中 / 已完成 / 滞后
    note: str
    reporter: str  # the account (or chat user) that filed it
    review: str = "待审核"  # the office's: 待审核 / 已采纳 / 已退回
    review_comment: str = ""
    reviewed_by: str = ""
    on_behalf: bool = False  # filed by the office for the department


@dataclass(frozen=True)
class ClosureView:
    """办结: the office closed the task with a final note."""

    closed_on: dt.date
    note: str
    closed_by: str


@dataclass(frozen=True)
class TaskView:
    id: int
    document_id: str
    document: str
    clause: str
    heading: str
    title: str
    text: str  # the measure's own sentences
    note: str  # its responsibility note as written
    lead_departments: tuple[str, ...]
    co_departments: tuple[str, ...]
    open_ended: bool
    retired: bool
    deadline: DeadlineView | None
    conventions: tuple[str, ...]
    targets: tuple[TargetView, ...]
    milestones: tuple[MilestoneView, ...]
    progress: tuple[ProgressView, ...]
    created_on: dt.date | None = None  # its first day in the ledger
    closure: ClosureView | None = None
    status: str = "正常"  # registry.supervision.TASK_STATUSES: the most urgent that applies
    flags: tuple[str, ...] = ()  # every status that applies to the open task

    def role_of(self, department: str) -> str | None:
        if department in self.lead_departments:
            return "牵头"
        return "配合" if department in self.co_departments else None


@dataclass(frozen=True)
class DepartmentTask:
    task_id: int
    clause: str
    title: str
    role: str  # 牵头 / 配合


@dataclass(frozen=True)
class DepartmentView:
    name: str
    full_name: str
    level: str
    aliases: tuple[str, ...]
    listed: bool
    tasks: tuple[DepartmentTask, ...]
    taskforce_role: str  # 副召集人单位 / 成员单位 / "" (办公室所在单位 is added with a ／)


@dataclass(frozen=True)
class TaskForceView:
    document_id: str
    document: str
    clause: str
    name: str
    convener: str
    deputy_conveners: tuple[str, ...]
    deputy_departments: tuple[str, ...]
    members: tuple[str, ...]
    members_open_ended: bool
    office: str
    office_duties: str
    text: str  # the clause as written, for quoting


@dataclass(frozen=True)
class DueItem:
    milestone: MilestoneView
    task_id: int
    clause: str
    title: str
    lead_departments: tuple[str, ...]
    co_departments: tuple[str, ...]
    days_left: int


@dataclass(frozen=True)
class SyncReport:
    document_id: str
    changed: bool
    tasks: int = 0
    targets: int = 0
    retired: int = 0
    deadlines: int = 0
    conventions: tuple[str, ...] = ()
    empty_notes: tuple[str, ...] = ()  # labels of tasks whose note names no unit
