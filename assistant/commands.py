"""The chat commands and questions, whatever the chat (Telegram, 钉钉): parse, call the services,
say the result as lines (``assistant.replies``); the channel only renders and sends them.

A chat bound to a department or the office (``/bind``) is an official audience; any other chat
is the public. ``chat_id`` is the channel's own, made unique across channels by the channel
(钉钉's are ``dingtalk:…``); ``actor`` names who wrote, for the audit and progress reports.
Every function here blocks (database, model): call it from a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.models import Answer, Audience
from assistant.replies import (
    Line,
    bound_lines,
    due_lines,
    plain,
    progress_lines,
    taskforce_lines,
    tasks_lines,
)
from assistant.services import Services
from registry.chats import ChatView
from registry.models import STATUSES
from registry.service import RegistryError
from registry.supervision import TASK_STATUSES

COMMANDS = (
    ("start", "开始使用"),
    ("help", "使用说明"),
    ("tasks", "任务清单：/tasks [部门] [督办状态，如 逾期、未报送]"),
    ("due", "即将到期和逾期的里程碑"),
    ("taskforce", "县“双碳”工作专班"),
    ("bind", "绑定部门：/bind 绑定码"),
    ("report", "填报进展：/report 任务编号 状态 说明"),
    ("mute", "暂停到期提醒"),
    ("unmute", "恢复到期提醒"),
)
HELP = "\n".join(
    [
        "直接发送问题即可，例如：县林业局负责哪些任务？到2030年要新增多少公用充电桩？",
        "在群里请 @我 提问。",
        *(f"/{name} — {text}" for name, text in COMMANDS),
        f"进展状态可填：{'、'.join(STATUSES)}。",
    ]
)
UNKNOWN = f"没有这个命令。\n\n{HELP}"
FAILED = "抱歉，处理时出错了，请稍后再试。"
PUBLIC_DUE = "到期事项属于专班内部工作信息。部门工作群请先用专班办公室发放的绑定码发送 /bind 绑定。"
REPORT_USAGE = f"用法：/report 任务编号 状态 说明，例如：/report 3 进行中 已完成选址。状态：{'、'.join(STATUSES)}。"
BIND_USAGE = "用法：/bind 绑定码（由专班办公室发放）"
NOT_BOUND = "只有已绑定部门的群可以填报进展：请先发送 /bind 部门绑定码。"
_SLASHES = ("/", "／")  # a Chinese keyboard may type the full-width one


@dataclass(frozen=True)
class Invocation:
    """A command as a chat sent it: ``/report 3 进行中 已完成选址`` in chat ``chat_id``."""

    services: Services
    chat_id: str
    actor: str
    args: Sequence[str] = ()

    def binding(self) -> ChatView | None:
        return self.services.chats.chat(self.chat_id)


@dataclass(frozen=True)
class Report:
    task_id: int
    status: str
    note: str


def audience(chat: ChatView | None) -> Audience:
    return "official" if chat else "public"


def split_command(text: str) -> tuple[str, list[str]] | None:
    """``("report", ["3", "进行中", "已完成选址"])`` for a command, ``None`` for a question."""
    words = text.strip().split()
    if not words or not words[0].startswith(_SLASHES) or len(words[0]) < 2:
        return None
    return words[0][1:].lower(), words[1:]


def parse_report(args: Sequence[str]) -> Report | None:
    """``/report 任务编号 状态 说明``; ``None`` when it is not that."""
    if len(args) < 3 or not args[0].isdigit() or args[1] not in STATUSES:
        return None
    return Report(int(args[0]), args[1], " ".join(args[2:]))


def ask(services: Services, question: str, *, chat_id: str, conversation_id: str) -> Answer:
    """The answer for the chat's audience: officials if it is bound, the public otherwise."""
    chat = services.chats.chat(chat_id)
    return services.answers.ask(
        question,
        audience=audience(chat),
        conversation_id=conversation_id,
        department=chat.department if chat else None,  # "我们局": the department it is bound to
    )


def run(name: str, call: Invocation) -> list[Line]:
    """What command ``name`` answers; a request the registry refuses gets its (Chinese) reason."""
    command = _COMMANDS.get(name)
    if command is None:
        return plain(UNKNOWN)
    try:
        return command(call)
    except RegistryError as exc:
        return plain(str(exc))


# -- the commands ----------------------------------------------------------------------------------
def _start(call: Invocation) -> list[Line]:
    return plain(f"{call.services.texts.welcome}\n\n{HELP}")


def _help(call: Invocation) -> list[Line]:
    return plain(HELP)


def _tasks(call: Invocation) -> list[Line]:
    chat = call.binding()
    words = list(call.args)
    # a bound chat may ask by 督办 status: /tasks 逾期, /tasks 林业局 未报送
    status = next((w for w in words if w in TASK_STATUSES), None) if chat else None
    asked = " ".join(w for w in words if w != status).strip() or None
    department = asked or (chat.department if chat else None)
    registry = call.services.registry
    if department:
        department = registry.department_name(department)
    tasks = registry.tasks(department=department, status=status)
    return tasks_lines(tasks, department=department, detail=bool(chat), status=status)


def _due(call: Invocation) -> list[Line]:
    chat = call.binding()
    if chat is None:
        return plain(PUBLIC_DUE)
    items = call.services.registry.due(within_days=30)
    if not chat.is_office:
        items = [i for i in items if chat.department in (*i.lead_departments, *i.co_departments)]
    return due_lines(items, whose="全县" if chat.is_office else chat.label)


def _taskforce(call: Invocation) -> list[Line]:
    return taskforce_lines(call.services.registry.taskforce())


def _bind(call: Invocation) -> list[Line]:
    code = "".join(call.args)
    if not code:
        return plain(BIND_USAGE)
    chat = call.services.chats.bind(chat_id=call.chat_id, code=code, actor=call.actor)
    return bound_lines(chat)


def _report(call: Invocation) -> list[Line]:
    report = parse_report(call.args)
    if report is None:
        return plain(REPORT_USAGE)
    chat = call.binding()
    if chat is None or not chat.department:
        raise RegistryError(NOT_BOUND)
    view = call.services.registry.add_progress(
        report.task_id,
        department=chat.department,
        status=report.status,
        note=report.note,
        reporter=call.actor,
    )
    return progress_lines(view)


def _mute(call: Invocation) -> list[Line]:
    call.services.chats.set_muted(chat_id=call.chat_id, muted=True, actor=call.actor)
    return plain("已暂停本群的到期提醒；发送 /unmute 恢复。")


def _unmute(call: Invocation) -> list[Line]:
    call.services.chats.set_muted(chat_id=call.chat_id, muted=False, actor=call.actor)
    return plain("已恢复本群的到期提醒。")


_COMMANDS: dict[str, Callable[[Invocation], list[Line]]] = {
    "start": _start,
    "help": _help,
    "tasks": _tasks,
    "due": _due,
    "taskforce": _taskforce,
    "bind": _bind,
    "report": _report,
    "mute": _mute,
    "unmute": _unmute,
}
