"""SQLAlchemy 2 models of the task registry (任务台账). Schema changes go through Alembic."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from registry.views import STATUSES as STATUSES  # defined without SQLAlchemy: the CLI's help

REVIEWS = ("待审核", "已采纳", "已退回")  # the office's review of a report
ROLES = ("lead", "co", "excluded")  # excluded: the office removed an extracted department


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {dict[str, Any]: JSON, list[str]: JSON}


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # the manifest's source id
    title: Mapped[str] = mapped_column(String(300))
    level: Mapped[str] = mapped_column(String(10))
    content_hash: Mapped[str] = mapped_column(String(64))
    synced_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # removed by the office: its tasks are retired (office data kept), it is listed no more
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    # conventions the document states once ("排在第一位的为牵头单位"), applied to its tasks
    conventions: Mapped[list[str]] = mapped_column(default=list)
    # the document's own targets (主要目标), as extracted: [{text, metric, value, unit, kind, year}]
    goals: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    level: Mapped[str] = mapped_column(String(10), default="县")
    aliases: Mapped[list[str]] = mapped_column(default=list)
    # False for a unit the text names but the alias table does not know yet
    listed: Mapped[bool] = mapped_column(Boolean, default=True)


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (UniqueConstraint("document_id", "clause"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"))
    clause: Mapped[str] = mapped_column(String(50))
    heading: Mapped[str] = mapped_column(String(500), default="")
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    # the responsibility note as written ("县林业局牵头，县财政局配合"), quoted with the text
    note: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    open_ended: Mapped[bool] = mapped_column(Boolean, default=False)
    # the time limit as the text states it: a date (end of the named period), or annual/ongoing
    deadline_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    deadline_kind: Mapped[str | None] = mapped_column(String(10), nullable=True)
    deadline_text: Mapped[str] = mapped_column(String(200), default="")
    conventions: Mapped[list[str]] = mapped_column(default=list)
    # the clause is gone from the latest text; kept because office data may hang on it
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    # its first day in the ledger: 未报送 counts from here until a first report
    created_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # 办结: closed by the office with a final note
    closed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    closing_note: Mapped[str] = mapped_column(Text, default="")
    closed_by: Mapped[str] = mapped_column(String(100), default="")
    # moves with every write to the task or its rows (``registry.service``): readers re-read
    # only the tasks whose revision moved
    revision: Mapped[int] = mapped_column(Integer, default=0)

    document: Mapped[Document] = relationship()
    departments: Mapped[list[TaskDepartment]] = relationship(
        back_populates="task", cascade="all, delete-orphan"
    )
    targets: Mapped[list[Target]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="Target.position"
    )
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="task", order_by="Milestone.due"
    )
    progress: Mapped[list[ProgressReport]] = relationship(
        back_populates="task", order_by="ProgressReport.id"
    )


class TaskDepartment(Base):
    __tablename__ = "task_departments"

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(10))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # set by the office; a re-ingest never overwrites it
    manual: Mapped[bool] = mapped_column(Boolean, default=False)

    task: Mapped[Task] = relationship(back_populates="departments")
    department: Mapped[Department] = relationship()


class Target(Base):
    __tablename__ = "targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(String(500))
    metric: Mapped[str] = mapped_column(String(200), default="")
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    unit: Mapped[str] = mapped_column(String(20), default="")
    kind: Mapped[str] = mapped_column(String(20))
    year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    start_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # field names the office corrected; a re-ingest keeps those values
    corrected: Mapped[list[str]] = mapped_column(default=list)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)

    task: Mapped[Task] = relationship(back_populates="targets")


class Milestone(Base):
    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    due: Mapped[dt.date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    completed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # "text": the task's deadline as the document states it, kept in step on re-ingest;
    # "office": added by the office, never touched by an ingest
    origin: Mapped[str] = mapped_column(String(10), default="office")
    # the office edited or deleted it: a re-ingest leaves it (and the text's deadline) alone
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    task: Mapped[Task] = relationship(back_populates="milestones")


class ProgressReport(Base):
    __tablename__ = "progress_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    reported_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text, default="")
    reporter: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    on_behalf: Mapped[bool] = mapped_column(Boolean, default=False)  # the office filed it
    review: Mapped[str] = mapped_column(String(10), default="待审核")
    review_comment: Mapped[str] = mapped_column(Text, default="")
    reviewed_by: Mapped[str] = mapped_column(String(100), default="")
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    task: Mapped[Task] = relationship(back_populates="progress")
    department: Mapped[Department] = relationship()


class TaskForceRecord(Base):
    """The plan's 工作专班 as extracted from its 推进机制 section."""

    __tablename__ = "taskforces"

    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    convener: Mapped[str] = mapped_column(String(200))
    deputy_conveners: Mapped[list[str]] = mapped_column(default=list)
    deputy_departments: Mapped[list[str]] = mapped_column(default=list)
    members: Mapped[list[str]] = mapped_column(default=list)
    members_open_ended: Mapped[bool] = mapped_column(Boolean, default=False)
    office: Mapped[str] = mapped_column(String(100))
    office_duties: Mapped[str] = mapped_column(String(300), default="")
    clause: Mapped[str] = mapped_column(String(50), default="")
    text: Mapped[str] = mapped_column(Text, default="")


class ChatSubscription(Base):
    __tablename__ = "chat_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64), unique=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), nullable=True)
    is_office: Mapped[bool] = mapped_column(Boolean, default=False)
    muted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    department: Mapped[Department | None] = relationship()


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str] = mapped_column(String(100))
    before: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)


class User(Base):
    """An account of the web pages and API: office, department or admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # office / department / leader / admin
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    # a password the office reset: it works once, to set a new one
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)

    department: Mapped[Department | None] = relationship()


class LoginSession(Base):
    """A login to the web pages; the cookie holds a random id, only its SHA-256 is stored."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # the absolute end, fixed at login; the idle end moves with last_seen_at
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # the token's first characters, to tell tokens apart in a list (never the whole token)
    prefix: Mapped[str] = mapped_column(String(12), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    user: Mapped[User] = relationship()


class BindCode(Base):
    """A one-time code the office issues to link a chat to a department."""

    __tablename__ = "bind_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), nullable=True)
    is_office: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    used_by_chat: Mapped[str | None] = mapped_column(String(64), nullable=True)

    department: Mapped[Department | None] = relationship()


class Channel(Base):
    """A department's (or the office's) work chat or mailbox outside Telegram: a 企业微信,
    钉钉 or 飞书 group robot, or an e-mail address list. Its URL, key and secret are kept
    encrypted (``registry.secrets``); ``label`` is what may be shown."""

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), nullable=True)
    is_office: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[str] = mapped_column(String(20))  # wecom / dingtalk / feishu / email
    secret: Mapped[str] = mapped_column(Text)  # the encrypted destination
    label: Mapped[str] = mapped_column(String(200))  # shown: host and the first characters
    muted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    department: Mapped[Department | None] = relationship()


class ChannelPost(Base):
    """One request to a channel's platform: its robots allow so many a minute."""

    __tablename__ = "channel_posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class OutboxMessage(Base):
    """A message to send, written before sending and marked sent only after Telegram confirms.

    ``dedupe_key`` (e.g. ``milestone:12:chat:-100:T-7``) makes a reminder impossible to queue
    twice, whichever process plans it.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    chat_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))  # reminder / overdue / digest
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("milestones.id"), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(
        String(10), default="pending"
    )  # pending/sending/sent/failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    telegram_message_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # a 企业微信 / 钉钉 / 飞书 / e-mail destination instead of a Telegram chat
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"), nullable=True)
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)  # of a message split to fit
    link: Mapped[str] = mapped_column(String(500), default="")  # the task on the dashboard


class Draft(Base):
    """A document the office uploaded, read and extracted but not yet in the ledger: its measures
    are reviewed (units, deadlines corrected, measures split, merged or marked as no task), then
    published in one transaction. Kept after publishing: the next version's review starts from
    the office's corrections."""

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(String(100))
    # the manifest entry to write on publishing: title, issuer, level, doc_number, date …
    source: Mapped[dict[str, Any]] = mapped_column(JSON)
    file_name: Mapped[str] = mapped_column(String(300))
    file_hash: Mapped[str] = mapped_column(String(64))
    stored_path: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(10), default="draft")  # draft/published/discarded
    # the extraction as read (digest, document targets, conventions, task force)
    extraction: Mapped[dict[str, Any]] = mapped_column(JSON)
    # the measures as read: [{key, clause, title, text, leads, co, deadline, targets, ocr …}]
    measures: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # the office's review, in order: [{op: edit/split/merge, key, …}], replayed over the measures
    review: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # the clause tree as read, for the parsed view: [{label, heading, title, text, ocr}]
    clauses: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
