"""The task registry over HTTP, for logged-in officials. The office edits milestones; a department
account reports progress only for itself, on tasks that name it."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from api.auth import AccountDep, OfficeDep, ServicesDep
from registry.export import write_csv, write_xlsx

router = APIRouter(prefix="/api")


class MilestoneRequest(BaseModel):
    due: dt.date
    description: str = Field(min_length=1, max_length=500)


class ProgressRequest(BaseModel):
    status: Literal["未开始", "进行中", "已完成", "滞后"]
    note: str = Field("", max_length=2000)
    department: str | None = Field(None, description="office accounts name the reporting unit")


@router.get("/tasks")
def tasks(
    services: ServicesDep,
    _: AccountDep,
    department: str | None = None,
    document: Annotated[str | None, Query(description="a document's source id")] = None,
    status: Annotated[
        str | None, Query(description="逾期 / 临期 / 未报送 / 未设节点 / 正常 / 已完成")
    ] = None,
) -> list[dict[str, Any]]:
    found = services.registry.tasks(department=department, document=document, status=status)
    return [asdict(t) for t in found]


@router.get("/documents")
def documents(services: ServicesDep, _: AccountDep) -> list[dict[str, Any]]:
    return [asdict(d) for d in services.registry.documents()]


@router.get("/tasks/{task_id}")
def task(task_id: int, services: ServicesDep, _: AccountDep) -> dict[str, Any]:
    return asdict(services.registry.task(task_id))


@router.get("/tasks/{task_id}/basis")
def task_basis(task_id: int, services: ServicesDep, _: AccountDep) -> dict[str, Any]:
    """上位依据: the clauses of the texts above the task's plan that govern the same work, best
    first, and the documents the task names that the corpus holds no text of."""
    return asdict(services.basis.basis(services.registry.task(task_id)))


@router.get("/departments")
def departments(services: ServicesDep, _: AccountDep) -> list[dict[str, Any]]:
    return [asdict(d) for d in services.registry.departments()]


@router.get("/taskforce")
def taskforce(services: ServicesDep, _: AccountDep) -> dict[str, Any]:
    force = services.registry.taskforce()
    if force is None:
        raise HTTPException(404, "台账中没有工作专班信息。")
    return asdict(force)


@router.post("/tasks/{task_id}/milestones", status_code=201)
def add_milestone(
    task_id: int, body: MilestoneRequest, services: ServicesDep, office: OfficeDep
) -> dict[str, Any]:
    view = services.registry.add_milestone(
        task_id, due=body.due, description=body.description, actor=office.username
    )
    return asdict(view)


@router.post("/milestones/{milestone_id}/complete")
def complete_milestone(
    milestone_id: int, services: ServicesDep, office: OfficeDep
) -> dict[str, Any]:
    return asdict(services.registry.complete_milestone(milestone_id, actor=office.username))


@router.post("/tasks/{task_id}/progress", status_code=201)
def add_progress(
    task_id: int, body: ProgressRequest, services: ServicesDep, account: AccountDep
) -> dict[str, Any]:
    if account.is_leader:
        raise HTTPException(403, "领导账号只能查看，不能填报进展。")
    if account.is_office:
        if not body.department:
            raise HTTPException(400, "请选择填报进展的责任单位。")
        department = body.department
    else:
        if body.department and services.registry.resolve(body.department) != account.department:
            raise HTTPException(403, f"部门账号只能填报{account.department}的进展。")
        department = account.department or ""
        task = services.registry.task(task_id)
        if not task.role_of(department):
            raise HTTPException(
                403, f"{department}不是任务 {task.clause}{task.title} 的责任单位，无权填报。"
            )
    view = services.registry.add_progress(
        task_id,
        department=department,
        status=body.status,
        note=body.note,
        reporter=account.username,
        on_behalf=account.is_office,
    )
    return asdict(view)


@router.get("/due")
def due(
    services: ServicesDep, _: AccountDep, within: Annotated[int, Query(ge=0, le=3650)] = 30
) -> list[dict[str, Any]]:
    return [asdict(item) for item in services.registry.due(within_days=within)]


@router.get("/export")
def export(
    services: ServicesDep, _: AccountDep, format: Literal["xlsx", "csv"] = "xlsx"
) -> FileResponse:
    folder = Path(tempfile.mkdtemp(prefix="ledger-"))
    name = f"任务台账-{services.registry.today():%Y%m%d}.{format}"
    write = write_xlsx if format == "xlsx" else write_csv
    path = write(services.registry.tasks(), folder / name, day=services.registry.day())
    return FileResponse(
        path, filename=name, background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True)
    )
