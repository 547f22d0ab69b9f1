"""Registry commands of the ``policyqa`` CLI: tasks, departments, task force, milestones,
progress, due items, corrections and the 台账 export."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from assistant.settings import Settings
from policyqa.storage import build_engine, build_registry, build_supervision
from policyqa.usage import guarded
from policyqa.user_cli import token_app, user_app
from registry.supervision import TASK_STATUSES
from registry.views import STATUSES, DeadlineView, DueItem, TargetView, TaskView

if TYPE_CHECKING:
    from assistant.supervision import SupervisionService
    from registry.service import Registry

milestone_app = typer.Typer(help="里程碑", no_args_is_help=True)
progress_app = typer.Typer(help="进展", no_args_is_help=True)
correct_app = typer.Typer(help="办公室更正（重新入库时保留）", no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="输出 JSON")]


def _registry() -> Registry:
    return build_registry(Settings())


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, default=str))


def _value(value: float | None) -> float | int | None:
    return int(value) if value is not None and float(value).is_integer() else value


def target_json(target: TargetView) -> dict[str, Any]:
    return {
        "text": target.text,
        "value": _value(target.value),
        "unit": target.unit,
        "year": target.year,
    }


def deadline_json(deadline: DeadlineView | None) -> dict[str, Any] | None:
    if deadline is None:
        return None
    return {
        "date": deadline.date.isoformat() if deadline.date else None,
        "kind": deadline.kind,
        "text": deadline.text,
    }


def task_json(task: TaskView) -> dict[str, Any]:
    return {
        "id": task.id,
        "document": task.document,
        "source_id": task.document_id,
        "clause": task.clause,
        "title": task.title,
        "text": task.text,
        "lead_departments": list(task.lead_departments),
        "co_departments": list(task.co_departments),
        "open_ended": task.open_ended,
        "status": task.status,
        "flags": list(task.flags),
        "deadline": deadline_json(task.deadline),
        "conventions": list(task.conventions),
        "targets": [target_json(t) for t in task.targets],
        "milestones": [
            {
                "id": m.id,
                "due": m.due.isoformat(),
                "description": m.description,
                "status": m.status,
            }
            for m in task.milestones
        ],
        "progress": [
            {
                "id": p.id,
                "department": p.department,
                "status": p.status,
                "note": p.note,
                "reporter": p.reporter,
                "reported_on": p.reported_on.isoformat(),
                "review": p.review,
                "review_comment": p.review_comment,
                "on_behalf": p.on_behalf,
            }
            for p in task.progress
        ],
    }


def _task_text(task: TaskView) -> str:
    states = "、".join(task.flags) if len(task.flags) > 1 else task.status
    lines = [f"[{task.id}] 【{states}】{task.clause} {task.title}（《{task.document}》）"]
    if task.lead_departments:
        lines.append(f"    牵头：{'、'.join(task.lead_departments)}")
    co = "、".join(task.co_departments) + ("等" if task.open_ended else "")
    if co:
        lines.append(f"    配合：{co}")
    if task.deadline:
        lines.append(f"    时限：{task.deadline.text}")
    if task.conventions:
        lines.append(f"    按文件约定：{'；'.join(task.conventions)}")
    lines += [f"    目标：{t.text}" for t in task.targets]
    lines += [f"    里程碑 #{m.id}：{m.due} {m.description}（{m.status}）" for m in task.milestones]
    if task.closure:
        lines.append(f"    办结：{task.closure.closed_on} {task.closure.note}")
    return "\n".join(lines)


def tasks(
    department: Annotated[str | None, typer.Option("--department", help="部门（可用简称）")] = None,
    document: Annotated[
        str | None, typer.Option("--document", help="只列出这份文档（来源编号）的任务")
    ] = None,
    status: Annotated[str | None, typer.Option("--status", help="、".join(TASK_STATUSES))] = None,
    as_json: Json = False,
) -> None:
    """列出任务（可按部门、文档、督办状态筛选）。"""
    found = guarded(
        lambda: _registry().tasks(department=department, document=document, status=status)
    )
    if as_json:
        _echo_json([task_json(t) for t in found])
    else:
        typer.echo("\n".join(_task_text(t) for t in found) or "没有任务。")


def documents(as_json: Json = False) -> None:
    """列出台账中的文档：任务数、文件约定、主要目标。"""
    views = _registry().documents()
    if as_json:
        _echo_json([asdict(v) for v in views])
        return
    for v in views:
        typer.echo(f"{v.id}  《{v.title}》  任务 {v.tasks} 项")
        for convention in v.conventions:
            typer.echo(f"    约定：{convention}")
        for goal in v.goals:
            typer.echo(f"    目标：{goal['text']}")
    if not views:
        typer.echo("台账中还没有文档，请先运行 policyqa ingest。")


def departments(as_json: Json = False) -> None:
    """列出责任单位、别名及其承担的任务。"""
    views = _registry().departments()
    if as_json:
        _echo_json([asdict(v) for v in views])
        return
    for v in views:
        roles = "；".join(f"{t.clause}{t.title}（{t.role}）" for t in v.tasks) or "无具体任务"
        extra = f"［{v.taskforce_role}］" if v.taskforce_role else ""
        typer.echo(f"{v.name}{extra}：{roles}")


def taskforce(as_json: Json = False) -> None:
    """工作专班：召集人、副召集人、成员单位、办公室。"""
    force = _registry().taskforce()
    if force is None:
        typer.echo("台账中没有工作专班信息，请先运行 policyqa ingest。", err=True)
        raise typer.Exit(code=1)
    if as_json:
        _echo_json(
            {
                "convener": force.convener,
                "deputy_conveners": list(force.deputy_conveners),
                "members": list(force.members),
                "office": force.office,
            }
        )
        return
    members = "、".join(force.members) + ("等" if force.members_open_ended else "")
    typer.echo(
        f"{force.name}（《{force.document}》{force.clause}）\n召集人：{force.convener}\n"
        f"副召集人：{'、'.join(force.deputy_conveners)}\n成员单位：{members}\n"
        f"专班办公室：设在{force.office}，{force.office_duties}"
    )


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"日期格式应为 YYYY-MM-DD：{text}") from None


@milestone_app.command("add")
def milestone_add(
    task_id: int,
    description: str,
    due: Annotated[str, typer.Option("--due", help="到期日 YYYY-MM-DD")],
    actor: Annotated[str, typer.Option("--by", help="操作人")] = "专班办公室",
) -> None:
    """为任务添加里程碑。"""
    view = guarded(
        lambda: _registry().add_milestone(
            task_id, due=_date(due), description=description, actor=actor
        )
    )
    typer.echo(f"已添加里程碑 #{view.id}：任务 {task_id}，{view.due} {view.description}")


@milestone_app.command("done")
def milestone_done(
    milestone_id: int,
    actor: Annotated[str, typer.Option("--by", help="操作人")] = "专班办公室",
) -> None:
    """标记里程碑已完成。"""
    view = guarded(lambda: _registry().complete_milestone(milestone_id, actor=actor))
    typer.echo(f"里程碑 #{view.id} 已完成（{view.completed_on}）")


@milestone_app.command("edit")
def milestone_edit(
    milestone_id: int,
    due: Annotated[str | None, typer.Option("--due", help="新的到期日 YYYY-MM-DD")] = None,
    description: Annotated[str | None, typer.Option("--description", help="新的说明")] = None,
    actor: Annotated[str, typer.Option("--by", help="操作人")] = "专班办公室",
) -> None:
    """修改里程碑的到期日或说明。"""
    if due is None and description is None:
        raise typer.BadParameter("请至少给出 --due 或 --description")
    view = guarded(
        lambda: _registry().edit_milestone(
            milestone_id, actor=actor, due=_date(due) if due else None, description=description
        )
    )
    typer.echo(f"里程碑 #{view.id}：{view.due} {view.description}（{view.status}）")


@milestone_app.command("delete")
def milestone_delete(
    milestone_id: int,
    actor: Annotated[str, typer.Option("--by", help="操作人")] = "专班办公室",
) -> None:
    """删除里程碑（保留在审计日志中）。"""
    view = guarded(lambda: _registry().delete_milestone(milestone_id, actor=actor))
    typer.echo(f"已删除里程碑 #{view.id}：{view.due} {view.description}")


@milestone_app.command("reopen")
def milestone_reopen(
    milestone_id: int,
    actor: Annotated[str, typer.Option("--by", help="操作人")] = "专班办公室",
) -> None:
    """撤销“已完成”标记。"""
    view = guarded(lambda: _registry().reopen_milestone(milestone_id, actor=actor))
    typer.echo(f"里程碑 #{view.id} 已恢复为未完成（{view.status}）")


@progress_app.command("add")
def progress_add(
    task_id: int,
    note: str,
    department: Annotated[str, typer.Option("--department", help="填报部门")],
    status: Annotated[str, typer.Option("--status", help="、".join(STATUSES))],
    reporter: Annotated[str | None, typer.Option("--reporter", help="填报人")] = None,
) -> None:
    """填报任务进展。"""
    view = guarded(
        lambda: _registry().add_progress(
            task_id,
            department=department,
            status=status,
            note=note,
            reporter=reporter or department,
        )
    )
    typer.echo(f"已记录进展 #{view.id}：{view.department} {view.status} {view.note}")


def _supervision() -> SupervisionService:
    settings = Settings()
    engine = build_engine(settings)
    return build_supervision(settings, build_registry(settings, engine=engine), engine)


@progress_app.command("review")
def progress_review(
    report_id: int,
    accept: Annotated[
        bool, typer.Option("--accept/--return", help="采纳，或退回（须写 --comment）")
    ],
    comment: Annotated[str, typer.Option("--comment", help="退回意见")] = "",
    actor: Annotated[str, typer.Option("--by", help="操作人")] = "专班办公室",
) -> None:
    """审核进展：采纳或退回；退回时通知该部门绑定的群聊。"""
    view, notified = guarded(
        lambda: _supervision().review(report_id, accept=accept, comment=comment, actor=actor)
    )
    told = f"，已通知 {notified} 个群聊" if notified else ""
    typer.echo(f"进展 #{view.id}（{view.department}）{view.review}{told}")


task_app = typer.Typer(help="任务办结", no_args_is_help=True)


@task_app.command("close")
def task_close(
    task_id: int,
    note: Annotated[str, typer.Option("--note", help="办结说明")],
    actor: Annotated[str, typer.Option("--by", help="操作人")] = "专班办公室",
) -> None:
    """办结任务（附办结说明）；不再提醒。"""
    view = guarded(lambda: _registry().close_task(task_id, note=note, actor=actor))
    typer.echo(_task_text(view))


@task_app.command("reopen")
def task_reopen(
    task_id: int,
    actor: Annotated[str, typer.Option("--by", help="操作人")] = "专班办公室",
) -> None:
    """撤销办结。"""
    typer.echo(_task_text(guarded(lambda: _registry().reopen_task(task_id, actor=actor))))


def urge(
    department: Annotated[
        str | None,
        typer.Option("--department", help="只催这个部门（默认：所有逾期、未报送的部门）"),
    ] = None,
    actor: Annotated[str, typer.Option("--by", help="操作人")] = "专班办公室",
) -> None:
    """催办：立即向逾期、未报送任务的责任部门绑定的群聊发送提醒。"""
    results = guarded(lambda: _supervision().urge(department=department, actor=actor))
    for r in results:
        where = f"已排入 {r.chats} 条消息" if r.chats else "未绑定群聊，未发送"
        typer.echo(f"{r.department}：{r.tasks} 项任务，{where}")
    if not results:
        typer.echo("没有逾期或未报送的任务。")


@correct_app.command("department")
def correct_department(
    task_id: int,
    department: str,
    role: Annotated[str, typer.Option("--role", help="lead 牵头 / co 配合 / excluded 移除")],
    actor: Annotated[str, typer.Option("--by", help="操作人")] = "专班办公室",
) -> None:
    """更正任务的责任单位。"""
    task = guarded(
        lambda: _registry().set_department_role(
            task_id, department=department, role=role, actor=actor
        )
    )
    typer.echo(_task_text(task))


@correct_app.command("target")
def correct_target(
    target_id: int,
    value: Annotated[float | None, typer.Option("--value")] = None,
    unit: Annotated[str | None, typer.Option("--unit")] = None,
    year: Annotated[int | None, typer.Option("--year")] = None,
    actor: Annotated[str, typer.Option("--by", help="操作人")] = "专班办公室",
) -> None:
    """更正目标指标的数值、单位或年份。"""
    fields = {
        k: v for k, v in {"value": value, "unit": unit, "year": year}.items() if v is not None
    }
    if not fields:
        raise typer.BadParameter("请至少给出 --value、--unit 或 --year 之一")
    view = guarded(lambda: _registry().correct_target(target_id, actor=actor, **fields))
    typer.echo(
        f"已更正目标 #{view.id}：{view.text} → {_value(view.value)}{view.unit} {view.year or ''}"
    )


def _within(text: str) -> int:
    found = re.fullmatch(r"(\d{1,4})\s*d?", text.strip())  # up to 9999 days
    if not found:
        raise typer.BadParameter(f"期限格式应为天数，如 30d：{text}")
    return int(found.group(1))


def due_json(item: DueItem) -> dict[str, Any]:
    return {
        "task_id": item.task_id,
        "clause": item.clause,
        "title": item.title,
        "due": item.milestone.due.isoformat(),
        "description": item.milestone.description,
        "status": item.milestone.status,
        "days_left": item.days_left,
        "lead_departments": list(item.lead_departments),
        "co_departments": list(item.co_departments),
    }


def due(
    within: Annotated[str, typer.Option("--within", help="多少天内到期，如 30d")] = "30d",
    as_json: Json = False,
) -> None:
    """列出即将到期和已逾期的里程碑。"""
    items = _registry().due(within_days=_within(within))
    if as_json:
        _echo_json([due_json(i) for i in items])
        return
    for i in items:
        when = f"已逾期 {-i.days_left} 天" if i.days_left < 0 else f"还剩 {i.days_left} 天"
        units = "、".join(i.lead_departments + i.co_departments)
        typer.echo(
            f"{i.milestone.due}（{when}）任务 {i.task_id} {i.clause}{i.title}：{i.milestone.description}［{units}］"
        )
    if not items:
        typer.echo("没有即将到期的里程碑。")


def export(
    fmt: Annotated[str, typer.Option("--format", help="xlsx 或 csv")] = "xlsx",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="输出文件")] = None,
) -> None:
    """导出任务台账。"""
    from registry.export import write_csv, write_xlsx  # openpyxl: only for this command

    if fmt not in ("xlsx", "csv"):
        raise typer.BadParameter("格式只能是 xlsx 或 csv")
    settings = Settings()
    registry = build_registry(settings)
    path = output or settings.data_dir / "exports" / f"任务台账-{registry.today():%Y%m%d}.{fmt}"
    writer = write_xlsx if fmt == "xlsx" else write_csv
    typer.echo(str(writer(registry.tasks(), path, day=registry.day())))


def report(
    month: Annotated[str, typer.Option("--month", help="月份 YYYY-MM，如 2026-11")],
    document: Annotated[
        str | None, typer.Option("--document", help="只通报这份文档（来源编号）的任务")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="docx 或 xlsx")] = "docx",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="输出文件")] = None,
) -> None:
    """生成月度督办通报（Word 或 Excel）。"""
    from registry.bulletin import write_bulletin_docx, write_bulletin_xlsx  # python-docx, openpyxl

    if fmt not in ("docx", "xlsx"):
        raise typer.BadParameter("格式只能是 docx 或 xlsx")
    settings = Settings()
    service = _supervision()
    found = guarded(lambda: service.bulletin(month, document=document))
    name = f"督办通报-{found.month:%Y年%m月}.{fmt}"  # as the web download names it
    writer = write_bulletin_docx if fmt == "docx" else write_bulletin_xlsx
    path = writer(
        found,
        output or settings.data_dir / "exports" / name,
        county=settings.county,
        issuer=service.issuer(settings.county),
    )
    typer.echo(str(path))


def register(app: typer.Typer) -> None:
    for command in (tasks, documents, departments, taskforce, due, export, urge):
        app.command()(command)
    app.command()(report)
    app.add_typer(task_app, name="task")
    app.add_typer(milestone_app, name="milestone")
    app.add_typer(progress_app, name="progress")
    app.add_typer(correct_app, name="correct")
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
