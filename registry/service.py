"""The task registry: syncing extracted facts, reading the ledger, and the office's edits.

Every write is one transaction with an audit entry. A re-ingest updates extracted rows only:
milestones, progress and the office's corrections (marked rows and fields) are never lost.

The task and department views are read once per registry version and day (``_read``): every
write adds to the audit log and so changes the version, in whichever process it happened. A task
is then read again only if its ``revision`` moved: every flush that touches a task or one of its
rows (milestones, reports, targets, units) adds one to it, in SQL, whichever session wrote.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import logging
import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from typing import Any, TypeVar

from cachetools import LRUCache
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, UOWTransaction, selectinload, sessionmaker

from registry.extract import ExtractedTask, Extraction, extract
from registry.models import (
    REVIEWS,
    ROLES,
    STATUSES,
    AuditEntry,
    Department,
    Document,
    Milestone,
    ProgressReport,
    Target,
    Task,
    TaskDepartment,
    TaskForceRecord,
)
from registry.supervision import (
    TASK_STATUSES,
    Day,
    Rules,
    flags,
    milestone_status,
    task_status,
)
from registry.views import (
    ClosureView,
    DeadlineView,
    DepartmentTask,
    DepartmentView,
    DocumentView,
    DueItem,
    MilestoneView,
    ProgressView,
    SyncReport,
    TargetView,
    TaskForceView,
    TaskView,
)
from registry.workdays import WorkdayCalendar
from retrieval.clauses import ParsedDocument
from retrieval.lexicon import DepartmentEntry
from retrieval.text import normalize

logger = logging.getLogger(__name__)

_Row = TypeVar("_Row")
_T = TypeVar("_T")
Clock = Callable[[], dt.datetime]
# Row ids are 32-bit INTEGER columns; a larger number names no row (and would overflow the driver).
_MAX_ID = 2**31 - 1
_BATCH = 500  # task ids per query when re-reading changed tasks
_CORRECTABLE = ("metric", "value", "unit", "kind", "year", "start_year", "text")


class RegistryError(ValueError):
    """A request the registry refuses; the message is Chinese, for end users."""


class UnknownDepartment(RegistryError):
    pass


class Registry:
    def __init__(
        self,
        engine: Engine,
        *,
        departments: list[DepartmentEntry],
        clock: Clock,
        rules: Rules | None = None,
        calendar: WorkdayCalendar | None = None,
    ) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._entries = departments
        self._clock = clock
        self.rules = rules or Rules()
        self.calendar = calendar or WorkdayCalendar()
        self._aliases = {
            normalize(name): entry.name
            for entry in departments
            for name in (entry.name, entry.full_name, *entry.aliases)
            if name
        }
        self._reads: LRUCache[Hashable, Any] = LRUCache(maxsize=16)
        self._reads_lock = threading.Lock()
        # id → (revision, view as read, day judged on, view judged that day)
        self._read_tasks: dict[int, tuple[int, TaskView, Day, TaskView]] = {}

    # -- plumbing --------------------------------------------------------------------------
    @contextmanager
    def _write(self, actor: str, action: str) -> Iterator[_Audit]:
        with self._sessions.begin() as session:
            yield _Audit(session, actor, action, self._clock())

    def ping(self) -> None:
        """Raises when the database cannot be reached."""
        with self._sessions() as session:
            session.execute(select(1))

    def today(self) -> dt.date:
        return self._clock().date()

    def day(self, on: dt.date | None = None) -> Day:
        """``on`` (default today) with the thresholds of 临期 and 未报送."""
        return Day.of(on or self.today(), self.rules, self.calendar)

    def version(self) -> tuple[int, int]:
        """Changes with every committed write (each adds to the audit log): a cache key part.
        The count as well as the newest id, since PostgreSQL may commit ids out of order."""
        with self._sessions() as session:
            count, newest = session.execute(
                select(func.count(AuditEntry.id), func.max(AuditEntry.id))
            ).one()
        return int(count), int(newest or 0)

    # -- departments -----------------------------------------------------------------------
    def resolve(self, name: str) -> str | None:
        """Canonical department name for any alias (the alias table, then units seen in text)."""
        key = normalize(name.strip())
        if key in self._aliases:
            return self._aliases[key]
        with self._sessions() as session:
            found = session.scalar(select(Department.name).where(Department.name == name.strip()))
        return found

    def department_name(self, name: str) -> str:
        """Like ``resolve`` but an unknown name is an error that lists the nearest names."""
        found = self.resolve(name)
        if found:
            return found
        with self._sessions() as session:
            names = list(session.scalars(select(Department.name)))
        near = difflib.get_close_matches(normalize(name), [*self._aliases, *names], n=5, cutoff=0.4)
        suggestions = list(dict.fromkeys(self._aliases.get(n, n) for n in near))
        hint = f"，您是否要找：{'、'.join(suggestions)}" if suggestions else ""
        raise UnknownDepartment(f"没有名为“{name}”的责任单位{hint}")

    # -- sync from the plan ------------------------------------------------------------------
    def sync_document(
        self,
        *,
        source_id: str,
        title: str,
        level: str,
        document: ParsedDocument,
        canonical_names: bool = True,
    ) -> SyncReport:
        """Bring one document's tasks in line with its text; other documents are not touched.

        ``canonical_names``: the document is the county's own, so the alias table names its units
        (发改委 → 县发改局); another county's or a province's units are kept as written.
        """
        extraction = self.extract(document, canonical_names=canonical_names)
        with self._write("ingest", "sync") as audit:
            return self.apply_extraction(
                audit,
                source_id=source_id,
                title=title,
                level=level,
                extraction=extraction,
                digest=extraction_digest(title, level, extraction),
            )

    def extract(self, document: ParsedDocument, *, canonical_names: bool = True) -> Extraction:
        """A document's measures, units named by the alias table when it is the county's own."""
        return extract(document, self.resolve if canonical_names else _as_written)

    def apply_extraction(
        self,
        audit: _Audit,
        *,
        source_id: str,
        title: str,
        level: str,
        extraction: Extraction,
        digest: str,
        force: bool = False,
    ) -> SyncReport:
        """Within ``audit``'s transaction, bring one document's tasks in line with
        ``extraction``; unchanged (by ``digest`` of the text as read) unless ``force``: a
        reviewed draft publishes its corrections over the same text."""
        session = audit.session
        row = session.get(Document, source_id)
        if row is not None and row.content_hash == digest and not force:
            return SyncReport(document_id=source_id, changed=False)
        before = {"content_hash": row.content_hash} if row else None
        if row is None:
            row = Document(id=source_id)
            session.add(row)
        row.title, row.level, row.content_hash, row.synced_at = title, level, digest, audit.at
        row.retired = False
        row.conventions = list(extraction.conventions)
        row.goals = [asdict(goal) for goal in extraction.targets]
        departments = self._department_rows(session)
        existing = {
            t.clause: t
            for t in session.scalars(
                select(Task)
                .where(Task.document_id == source_id)
                .options(
                    selectinload(Task.departments),
                    selectinload(Task.targets),
                    selectinload(Task.milestones),
                )
            )
        }
        for position, facts in enumerate(extraction.tasks):
            task = existing.pop(facts.clause, None)
            if task is None:
                task = Task(document_id=source_id, clause=facts.clause, created_on=audit.at.date())
                session.add(task)
            self._apply(session, task, facts, position, departments)
            _sync_deadline_milestone(session, task, facts, audit.at)
        for task in existing.values():
            task.retired = True
        self._sync_taskforce(session, source_id, extraction, departments)
        report = SyncReport(
            document_id=source_id,
            changed=True,
            tasks=len(extraction.tasks),
            targets=sum(len(t.targets) for t in extraction.tasks) + len(extraction.targets),
            retired=len(existing),
            deadlines=sum(t.deadline is not None for t in extraction.tasks),
            conventions=extraction.conventions,
            empty_notes=extraction.empty_notes,
        )
        audit.record("document", source_id, before, asdict(report))
        return report

    def _department_rows(self, session: Session) -> dict[str, Department]:
        rows = {d.name: d for d in session.scalars(select(Department))}
        for entry in self._entries:
            row = rows.get(entry.name)
            if row is None:
                row = rows[entry.name] = Department(name=entry.name)
                session.add(row)
            row.full_name, row.level, row.aliases, row.listed = (
                entry.full_name,
                entry.level,
                list(entry.aliases),
                True,
            )
        return rows

    @staticmethod
    def _department(session: Session, rows: dict[str, Department], name: str) -> Department:
        if name not in rows:
            logger.debug("department %s is not in the alias table", name)
            rows[name] = Department(name=name, full_name="", level="县", aliases=[], listed=False)
            session.add(rows[name])
        return rows[name]

    def _apply(
        self,
        session: Session,
        task: Task,
        facts: ExtractedTask,
        position: int,
        departments: dict[str, Department],
    ) -> None:
        task.heading, task.title, task.text = facts.heading, facts.title, facts.text
        task.note = facts.note
        task.position, task.open_ended, task.retired = (
            position,
            facts.responsibility.open_ended,
            False,
        )
        deadline = facts.deadline
        task.deadline_date = deadline.date if deadline else None
        task.deadline_kind = deadline.kind if deadline else None
        task.deadline_text = deadline.text if deadline else ""
        task.conventions = list(facts.conventions)
        manual = {link.department.name for link in task.departments if link.manual}
        task.departments = [link for link in task.departments if link.manual]
        roles = [("lead", n) for n in facts.responsibility.leads] + [
            ("co", n) for n in facts.responsibility.co
        ]
        for order, (role, name) in enumerate(roles):
            if name not in manual:
                task.departments.append(
                    TaskDepartment(
                        department=self._department(session, departments, name),
                        role=role,
                        position=order,
                    )
                )
        old = {(t.metric, t.kind): t for t in task.targets if not t.manual}
        kept = [t for t in task.targets if t.manual]
        for order, fact in enumerate(facts.targets):
            target = old.pop((fact.metric, fact.kind), None) or Target(
                kind=fact.kind, metric=fact.metric
            )
            for field in _CORRECTABLE:
                if field not in (target.corrected or []):
                    setattr(target, field, getattr(fact, field))
            target.position = order
            kept.append(target)
        # a corrected target whose phrase left the text is office data: keep it
        kept.extend(t for t in old.values() if t.corrected)
        task.targets = kept

    def _sync_taskforce(
        self, session: Session, source_id: str, extraction: Any, departments: dict[str, Department]
    ) -> None:
        record = session.get(TaskForceRecord, source_id)
        force = extraction.taskforce
        if force is None:
            if record is not None:
                session.delete(record)
            return
        for name in (*force.members, *force.deputy_departments, force.office):
            if name:
                self._department(session, departments, name)
        if record is None:
            record = TaskForceRecord(document_id=source_id)
            session.add(record)
        record.name, record.convener = force.name, force.convener
        record.deputy_conveners = list(force.deputy_conveners)
        record.deputy_departments = list(force.deputy_departments)
        record.members, record.members_open_ended = list(force.members), force.members_open_ended
        record.office, record.office_duties = force.office, force.office_duties
        record.clause, record.text = extraction.taskforce_clause, extraction.taskforce_text

    # -- reading -------------------------------------------------------------------------------
    def _read(self, name: Hashable, read: Callable[[], _T]) -> _T:
        """``read()`` once per registry version and day; what it returns must be immutable."""
        key = (name, self.version(), self.today())
        with self._reads_lock:
            found = self._reads.get(key)
        if found is None:
            found = read()
            with self._reads_lock:
                self._reads[key] = found
        return found  # type: ignore[no-any-return]

    def tasks(
        self,
        *,
        department: str | None = None,
        document: str | None = None,
        status: str | None = None,
        include_retired: bool = False,
    ) -> list[TaskView]:
        """``status``: tasks to which it applies (a task 逾期 and 未报送 is listed under both)."""
        if status is not None and status not in TASK_STATUSES:
            raise RegistryError(f"状态只能是：{'、'.join(TASK_STATUSES)}")
        name = self.department_name(department) if department else None
        if document is not None and document not in {d.id for d in self.documents()}:
            known = "、".join(d.id for d in self.documents()) or "（台账为空）"
            raise RegistryError(f"台账中没有文档 {document}；已有：{known}")
        views = self._read("tasks", self._load_tasks)
        return [
            v
            for v in views
            if (include_retired or not v.retired)
            and (name is None or v.role_of(name))
            and (document is None or v.document_id == document)
            and (status is None or status == v.status or status in v.flags)
        ]

    def documents(self) -> list[DocumentView]:
        """The documents in the ledger, with their task counts, conventions and own targets."""
        return list(self._read("documents", self._load_documents))

    def _load_documents(self) -> tuple[DocumentView, ...]:
        with self._sessions() as session:
            counts = dict(
                session.execute(
                    select(Task.document_id, func.count(Task.id))
                    .where(Task.retired.is_(False))
                    .group_by(Task.document_id)
                ).all()
            )
            return tuple(
                DocumentView(
                    id=d.id,
                    title=d.title,
                    level=d.level,
                    tasks=int(counts.get(d.id, 0)),
                    conventions=tuple(d.conventions or ()),
                    goals=tuple(d.goals or ()),
                )
                for d in session.scalars(
                    select(Document).where(Document.retired.is_(False)).order_by(Document.id)
                )
            )

    def remove_document(self, source_id: str, *, actor: str) -> int:
        """Take a document out of the ledger: its tasks are retired (their milestones and
        progress kept, back if it is ingested again); no other document is touched."""
        with self._write(actor, "remove") as audit:
            row = audit.session.get(Document, source_id)
            if row is None or row.retired:
                raise RegistryError(f"台账中没有文档 {source_id}")
            tasks = list(
                audit.session.scalars(
                    select(Task).where(Task.document_id == source_id, Task.retired.is_(False))
                )
            )
            for task in tasks:
                task.retired = True
            row.retired, row.content_hash = True, ""  # an ingest brings it back
            force = audit.session.get(TaskForceRecord, source_id)
            if force is not None:
                audit.session.delete(force)
            audit.record("document", source_id, {"tasks": len(tasks)}, {"retired": True})
        return len(tasks)

    def _load_tasks(self) -> tuple[TaskView, ...]:
        """Every task, retired ones too, judged today; only those whose revision moved since the
        last read are read again (and judged again, unless the day changed)."""
        day = self.day()
        with self._reads_lock:
            known = dict(self._read_tasks)
        with self._sessions() as session:
            order = session.execute(
                select(Task.id, Task.revision).order_by(Task.document_id, Task.position, Task.id)
            ).all()
            stale = [i for i, revision in order if known.get(i, (None,))[0] != revision]
            for start in range(0, len(stale), _BATCH):
                query = (
                    select(Task)
                    .where(Task.id.in_(stale[start : start + _BATCH]))
                    .options(
                        selectinload(Task.document),
                        selectinload(Task.departments).selectinload(TaskDepartment.department),
                        selectinload(Task.targets),
                        selectinload(Task.milestones),
                        selectinload(Task.progress).selectinload(ProgressReport.department),
                    )
                )
                for task in session.scalars(query):
                    view = _task_view(task)
                    known[task.id] = (task.revision, view, day, _judged(view, day))
        current = {
            i: found if found[2] == day else (*found[:2], day, _judged(found[1], day))
            for i, _ in order
            if (found := known.get(i))
        }
        with self._reads_lock:
            self._read_tasks = current
        return tuple(judged for *_, judged in current.values())

    def task(self, task_id: int) -> TaskView:
        found = [t for t in self.tasks(include_retired=True) if t.id == task_id]
        if not found:
            raise RegistryError(f"没有编号为 {task_id} 的任务")
        return found[0]

    def departments(self) -> list[DepartmentView]:
        return list(self._read("departments", self._load_departments))

    def _load_departments(self) -> tuple[DepartmentView, ...]:
        tasks = self.tasks()
        force = self.taskforce()
        with self._sessions() as session:
            rows = list(session.scalars(select(Department).order_by(Department.id)))
        views = []
        for row in rows:
            named = tuple(
                DepartmentTask(t.id, t.clause, t.title, role)
                for t in tasks
                if (role := t.role_of(row.name))
            )
            views.append(
                DepartmentView(
                    name=row.name,
                    full_name=row.full_name,
                    level=row.level,
                    aliases=tuple(row.aliases),
                    listed=row.listed,
                    tasks=named,
                    taskforce_role=_taskforce_role(force, row.name),
                )
            )
        return tuple(views)

    def taskforce(self) -> TaskForceView | None:
        with self._sessions() as session:
            record = session.scalars(
                select(TaskForceRecord).order_by(TaskForceRecord.document_id)
            ).first()
            if record is None:
                return None
            title = session.get(Document, record.document_id).title  # type: ignore[union-attr]
        return TaskForceView(
            document_id=record.document_id,
            document=title,
            clause=record.clause,
            name=record.name,
            convener=record.convener,
            deputy_conveners=tuple(record.deputy_conveners),
            deputy_departments=tuple(record.deputy_departments),
            members=tuple(record.members),
            members_open_ended=record.members_open_ended,
            office=record.office,
            office_duties=record.office_duties,
            text=record.text,
        )

    def due(self, *, within_days: int) -> list[DueItem]:
        """Open milestones due within ``within_days`` from today, overdue ones included."""
        today = self.today()
        horizon = today + dt.timedelta(days=within_days)
        items = [
            DueItem(
                m,
                t.id,
                t.clause,
                t.title,
                t.lead_departments,
                t.co_departments,
                (m.due - today).days,
            )
            for t in self.tasks()
            if t.closure is None
            for m in t.milestones
            if m.completed_on is None and m.due <= horizon
        ]
        return sorted(items, key=lambda i: (i.milestone.due, i.clause))

    # -- the office's edits --------------------------------------------------------------------
    def add_milestone(
        self, task_id: int, *, due: dt.date, description: str, actor: str
    ) -> MilestoneView:
        description = _required(description, "里程碑说明")
        with self._write(actor, "add") as audit:
            task = _get_task(audit.session, task_id)
            milestone = Milestone(
                task=task,
                due=due,
                description=description,
                created_by=actor,
                created_at=audit.at,
                origin="office",
            )
            audit.session.add(milestone)
            audit.session.flush()
            view = _milestone_view(milestone, self.day(audit.at.date()))
            audit.record("milestone", milestone.id, None, _plain(view))
        return view

    def complete_milestone(
        self, milestone_id: int, *, actor: str, on: dt.date | None = None
    ) -> MilestoneView:
        return self._change_milestone(
            milestone_id, actor, "complete", lambda m, at: setattr(m, "completed_on", on or at)
        )

    def reopen_milestone(self, milestone_id: int, *, actor: str) -> MilestoneView:
        """Undo 标记完成."""
        return self._change_milestone(
            milestone_id, actor, "reopen", lambda m, _: setattr(m, "completed_on", None)
        )

    def edit_milestone(
        self,
        milestone_id: int,
        *,
        actor: str,
        due: dt.date | None = None,
        description: str | None = None,
    ) -> MilestoneView:
        """The office's change of a milestone's day or wording; one from the text's deadline is
        the office's from then on (a re-ingest leaves it)."""
        text = None if description is None else _required(description, "里程碑说明")

        def change(m: Milestone, _: dt.date) -> None:
            m.due = due or m.due
            m.description = text or m.description
            m.manual = True

        return self._change_milestone(milestone_id, actor, "edit", change)

    def delete_milestone(self, milestone_id: int, *, actor: str) -> MilestoneView:
        """Kept in the database (and the audit log), shown nowhere."""
        with self._write(actor, "delete") as audit:
            milestone = _live_milestone(audit.session, milestone_id)
            before = _plain(_milestone_view(milestone, self.day(audit.at.date())))
            milestone.deleted_at, milestone.manual = audit.at, True
            audit.record("milestone", milestone.id, before, None)
        return _milestone_view(milestone, self.day(audit.at.date()))

    def _change_milestone(
        self,
        milestone_id: int,
        actor: str,
        action: str,
        change: Callable[[Milestone, dt.date], None],
    ) -> MilestoneView:
        with self._write(actor, action) as audit:
            milestone = _live_milestone(audit.session, milestone_id)
            day = self.day(audit.at.date())
            before = _plain(_milestone_view(milestone, day))
            change(milestone, day.today)
            view = _milestone_view(milestone, day)
            audit.record("milestone", milestone.id, before, _plain(view))
        return view

    def add_progress(
        self,
        task_id: int,
        *,
        department: str,
        status: str,
        note: str,
        reporter: str,
        on: dt.date | None = None,
        on_behalf: bool = False,
    ) -> ProgressView:
        """A department's report; ``on_behalf``: the office files it for the department."""
        if status not in STATUSES:
            raise RegistryError(f"状态只能是：{'、'.join(STATUSES)}")
        name = self.department_name(department)
        with self._write(reporter, "add") as audit:
            task = _get_task(audit.session, task_id)
            if name not in {
                k.department.name for k in task.departments if k.role in ("lead", "co")
            }:
                raise RegistryError(
                    f"{name}不是任务 {task.clause}{task.title} 的责任单位，不能填报其进展"
                )
            if task.closed_on:
                raise RegistryError(f"任务 {task.clause}{task.title} 已办结，不再填报进展")
            dept = audit.session.scalar(select(Department).where(Department.name == name))
            report = ProgressReport(
                task=task,
                department=dept,
                reported_on=on or audit.at.date(),
                status=status,
                note=note.strip(),
                reporter=reporter,
                created_at=audit.at,
                on_behalf=on_behalf,
            )
            audit.session.add(report)
            audit.session.flush()
            view = _progress_view(report)
            audit.record("progress", report.id, None, _plain(view))
        return view

    def review_progress(
        self, report_id: int, *, accept: bool, comment: str = "", actor: str
    ) -> tuple[ProgressView, TaskView]:
        """The office accepts a report or returns it with a comment (required)."""
        comment = comment.strip()
        if not accept and not comment:
            raise RegistryError("退回进展时请写明退回意见")
        with self._write(actor, "review") as audit:
            report = get_row(
                audit.session,
                ProgressReport,
                report_id,
                options=[selectinload(ProgressReport.department)],
            )
            if report is None:
                raise RegistryError(f"没有编号为 {report_id} 的进展")
            before = _plain(_progress_view(report))
            report.review = REVIEWS[1] if accept else REVIEWS[2]
            report.review_comment, report.reviewed_by, report.reviewed_at = comment, actor, audit.at
            view = _progress_view(report)
            audit.record("progress", report.id, before, _plain(view))
        return view, self.task(view.task_id)

    def close_task(self, task_id: int, *, note: str, actor: str) -> TaskView:
        """办结: the office closes the task with a final note; its reminders stop."""
        note = _required(note, "办结说明")
        with self._write(actor, "close") as audit:
            task = _get_task(audit.session, task_id)
            if task.closed_on:
                raise RegistryError(f"任务 {task.clause}{task.title} 已于 {task.closed_on} 办结")
            task.closed_on, task.closing_note, task.closed_by = audit.at.date(), note, actor
            audit.record(
                "task", task_id, None, {"closed_on": task.closed_on.isoformat(), "note": note}
            )
        return self.task(task_id)

    def reopen_task(self, task_id: int, *, actor: str) -> TaskView:
        with self._write(actor, "reopen") as audit:
            task = _get_task(audit.session, task_id)
            if not task.closed_on:
                raise RegistryError(f"任务 {task.clause}{task.title} 尚未办结")
            before = {"closed_on": task.closed_on.isoformat(), "note": task.closing_note}
            task.closed_on, task.closing_note, task.closed_by = None, "", ""
            audit.record("task", task_id, before, None)
        return self.task(task_id)

    def set_department_role(
        self, task_id: int, *, department: str, role: str, actor: str
    ) -> TaskView:
        """The office's correction of who is responsible; ``role`` is lead, co or excluded."""
        if role not in ROLES:
            raise RegistryError(f"角色只能是：{'、'.join(ROLES)}")
        name = self.department_name(department)
        with self._write(actor, "correct") as audit:
            task = _get_task(audit.session, task_id)
            link = next((k for k in task.departments if k.department.name == name), None)
            before = {"department": name, "role": link.role if link else None}
            if link is None:
                dept = audit.session.scalar(select(Department).where(Department.name == name))
                link = TaskDepartment(department=dept, role=role, position=len(task.departments))
                task.departments.append(link)
            link.role, link.manual = role, True
            audit.record(
                "task_department", f"{task_id}:{name}", before, {"department": name, "role": role}
            )
        return self.task(task_id)

    def correct_target(self, target_id: int, *, actor: str, **fields: Any) -> TargetView:
        unknown = set(fields) - set(_CORRECTABLE)
        if unknown:
            raise RegistryError(f"不能修改的字段：{'、'.join(sorted(unknown))}")
        with self._write(actor, "correct") as audit:
            target = get_row(audit.session, Target, target_id)
            if target is None:
                raise RegistryError(f"没有编号为 {target_id} 的目标")
            before = _plain(_target_view(target))
            for field, value in fields.items():
                setattr(target, field, value)
            target.corrected = sorted({*(target.corrected or []), *fields})
            view = _target_view(target)
            audit.record("target", target.id, before, _plain(view))
        return view

    def audit_log(self, *, limit: int = 100) -> list[dict[str, Any]]:
        with self._sessions() as session:
            rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit))
            return [
                {
                    "at": r.at.isoformat(),
                    "actor": r.actor,
                    "action": r.action,
                    "entity": r.entity,
                    "entity_id": r.entity_id,
                    "before": r.before,
                    "after": r.after,
                }
                for r in rows
            ]


class _Audit:
    """The open transaction of one write, and its audit trail."""

    def __init__(self, session: Session, actor: str, action: str, at: dt.datetime) -> None:
        self.session, self.actor, self.action, self.at = session, actor, action, at

    def record(self, entity: str, entity_id: object, before: Any, after: Any) -> None:
        self.session.add(
            AuditEntry(
                at=self.at,
                actor=self.actor,
                action=self.action,
                entity=entity,
                entity_id=str(entity_id),
                before=before,
                after=after,
            )
        )


@contextmanager
def audited_write(
    sessions: sessionmaker[Session], *, actor: str, action: str, at: dt.datetime
) -> Iterator[_Audit]:
    """One transaction with its audit trail, as the registry's own writes do; for the registry's
    sibling modules (chat bindings)."""
    with sessions.begin() as session:
        yield _Audit(session, actor, action, at)


def get_row(session: Session, model: type[_Row], row_id: int, **kwargs: Any) -> _Row | None:
    """The row of that id, or None (also for an id no INTEGER column holds)."""
    return session.get(model, row_id, **kwargs) if 0 < row_id <= _MAX_ID else None


def _get_task(session: Session, task_id: int) -> Task:
    task = get_row(session, Task, task_id, options=[selectinload(Task.departments)])
    if task is None:
        raise RegistryError(f"没有编号为 {task_id} 的任务")
    return task


def _live_milestone(session: Session, milestone_id: int) -> Milestone:
    milestone = get_row(session, Milestone, milestone_id)
    if milestone is None or milestone.deleted_at is not None:
        raise RegistryError(f"没有编号为 {milestone_id} 的里程碑")
    return milestone


def _required(text: str, what: str) -> str:
    text = text.strip()
    if not text:
        raise RegistryError(f"{what}不能为空")
    return text


def _as_written(name: str) -> None:
    """The resolver for another jurisdiction's document: every unit keeps its own name."""


def _sync_deadline_milestone(
    session: Session, task: Task, facts: ExtractedTask, at: dt.datetime
) -> None:
    """The task's dated deadline as a milestone from the text, so reminders run from the first
    ingest. It follows the text on re-ingest until it is completed; the office's own milestones
    are never touched."""
    if any(m.origin == "text" and m.manual for m in task.milestones):
        return  # the office edited or deleted the text's deadline: it is theirs now
    mine = [m for m in task.milestones if m.origin == "text" and m.completed_on is None]
    deadline = facts.deadline
    if deadline is None or deadline.date is None:
        for milestone in mine:
            session.delete(milestone)
        return
    description = f"按原文时限完成（{deadline.text}）"
    if any(
        m.origin == "text" and m.completed_on for m in task.milestones if m.due == deadline.date
    ):
        return  # done already
    if mine:
        mine[0].due, mine[0].description = deadline.date, description
        return
    session.add(
        Milestone(
            task=task,
            due=deadline.date,
            description=description,
            created_by="ingest",
            created_at=at,
            origin="text",
        )
    )


def _task_view(task: Task) -> TaskView:
    """The task as stored; its statuses are set by ``_judged``."""
    links = sorted(task.departments, key=lambda link: (link.position, link.department.name))
    return TaskView(
        id=task.id,
        document_id=task.document_id,
        document=task.document.title,
        clause=task.clause,
        heading=task.heading,
        title=task.title,
        text=task.text,
        note=task.note,
        lead_departments=tuple(k.department.name for k in links if k.role == "lead"),
        co_departments=tuple(k.department.name for k in links if k.role == "co"),
        open_ended=task.open_ended,
        retired=task.retired,
        deadline=DeadlineView(task.deadline_date, task.deadline_kind, task.deadline_text)
        if task.deadline_kind
        else None,
        conventions=tuple(task.conventions or ()),
        targets=tuple(_target_view(t) for t in task.targets),
        milestones=tuple(_milestone_view(m) for m in task.milestones if not m.deleted_at),
        progress=tuple(_progress_view(p) for p in task.progress),
        created_on=task.created_on,
        closure=ClosureView(task.closed_on, task.closing_note, task.closed_by)
        if task.closed_on
        else None,
    )


def _judged(view: TaskView, day: Day) -> TaskView:
    """The view with its milestones' and its own status on ``day``."""
    milestones = tuple(
        replace(m, status=milestone_status(m.due, m.completed_on, day)) for m in view.milestones
    )
    view = replace(view, milestones=milestones)
    return replace(view, status=task_status(view, day), flags=flags(view, day))


def _plain(view: Any) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in asdict(view).items()}


def _target_view(t: Target) -> TargetView:
    return TargetView(
        t.id,
        t.text,
        t.metric,
        t.value,
        t.unit,
        t.kind,
        t.year,
        t.start_year,
        tuple(t.corrected or ()),
    )


def _milestone_view(m: Milestone, day: Day | None = None) -> MilestoneView:
    """Its status on ``day``; without one, to be judged later (``_judged``)."""
    status = milestone_status(m.due, m.completed_on, day) if day else ""
    return MilestoneView(m.id, m.task_id, m.due, m.description, status, m.completed_on, m.origin)


def _progress_view(p: ProgressReport) -> ProgressView:
    return ProgressView(
        p.id,
        p.task_id,
        p.department.name,
        p.reported_on,
        p.status,
        p.note,
        p.reporter,
        review=p.review,
        review_comment=p.review_comment,
        reviewed_by=p.reviewed_by,
        on_behalf=p.on_behalf,
    )


def _taskforce_role(force: TaskForceView | None, name: str) -> str:
    if force is None:
        return ""
    roles = []
    if name in force.deputy_departments:
        roles.append("副召集人单位")
    elif name in force.members:
        roles.append("成员单位")
    if name == force.office:
        roles.append("专班办公室所在单位")
    return "／".join(roles)


def extraction_digest(title: str, level: str, extraction: Extraction) -> str:
    """What a document's extraction is, as read: an unchanged text is not synced again."""
    return hashlib.sha256(repr((title, level, extraction)).encode()).hexdigest()


@event.listens_for(Session, "before_flush")
def _bump_revisions(session: Session, _context: UOWTransaction, _instances: object) -> None:
    """A task's revision moves with every write to it or its rows, in whichever session."""
    touched: dict[int, Task] = {}
    for row in (*session.new, *session.dirty, *session.deleted):
        task = row if isinstance(row, Task) else getattr(row, "task", None)
        if isinstance(task, Task) and task not in session.new:
            touched[id(task)] = task
    for task in touched.values():
        task.revision = Task.revision + 1  # type: ignore[assignment]
