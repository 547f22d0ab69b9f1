"""督办 over HTTP: the overview and the 督办通报 for the office and leaders; the office's review
of reports, 办结 and 催办; milestones edited, deleted and reopened."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from api.auth import AccountDep, OfficeDep, ServicesDep
from registry.accounts import Account
from registry.bulletin import write_bulletin_docx, write_bulletin_xlsx

router = APIRouter(prefix="/api")


def require_overview(account: AccountDep) -> Account:
    if not account.sees_overview:
        raise HTTPException(403, "督办总览只对专班办公室和领导账号开放。")
    return account


OverviewDep = Annotated[Account, Depends(require_overview)]


class ReviewRequest(BaseModel):
    accept: bool
    comment: str = Field("", max_length=1000)


class CloseRequest(BaseModel):
    note: str = Field(min_length=1, max_length=2000)


class MilestoneEdit(BaseModel):
    due: dt.date | None = None
    description: str | None = Field(None, min_length=1, max_length=500)


class UrgeRequest(BaseModel):
    department: str | None = Field(
        None, description="one department; all 逾期/未报送 ones if unset"
    )


@router.get("/overview")
def overview(
    services: ServicesDep,
    _: OverviewDep,
    document: Annotated[str | None, Query(description="a document's source id")] = None,
    section: Annotated[str, Query(max_length=50, description="a clause prefix: 二、（一）")] = "",
) -> dict[str, Any]:
    return asdict(services.supervision.overview(document=document, section=section))


@router.get("/report")
def report(
    services: ServicesDep,
    _: OverviewDep,
    month: Annotated[str, Query(max_length=7, description="YYYY-MM")],
    document: str | None = None,
    format: Literal["docx", "xlsx"] = "docx",
) -> FileResponse:
    """The monthly 督办通报 as a Word document or a workbook."""
    found = services.supervision.bulletin(month, document=document)
    folder = Path(tempfile.mkdtemp(prefix="bulletin-"))
    name = f"督办通报-{found.month:%Y年%m月}.{format}"
    write = write_bulletin_docx if format == "docx" else write_bulletin_xlsx
    county = services.texts.county
    path = write(found, folder / name, county=county, issuer=services.supervision.issuer(county))
    return FileResponse(
        path, filename=name, background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True)
    )


@router.post("/progress/{report_id}/review")
def review(
    report_id: int, body: ReviewRequest, services: ServicesDep, office: OfficeDep
) -> dict[str, Any]:
    view, notified = services.supervision.review(
        report_id, accept=body.accept, comment=body.comment, actor=office.username
    )
    return {**asdict(view), "notified": notified}


@router.post("/tasks/{task_id}/close")
def close(
    task_id: int, body: CloseRequest, services: ServicesDep, office: OfficeDep
) -> dict[str, Any]:
    return asdict(services.registry.close_task(task_id, note=body.note, actor=office.username))


@router.post("/tasks/{task_id}/reopen")
def reopen(task_id: int, services: ServicesDep, office: OfficeDep) -> dict[str, Any]:
    return asdict(services.registry.reopen_task(task_id, actor=office.username))


@router.patch("/milestones/{milestone_id}")
def edit_milestone(
    milestone_id: int, body: MilestoneEdit, services: ServicesDep, office: OfficeDep
) -> dict[str, Any]:
    if body.due is None and body.description is None:
        raise HTTPException(400, "请填写新的到期日或里程碑说明。")
    view = services.registry.edit_milestone(
        milestone_id, actor=office.username, due=body.due, description=body.description
    )
    return asdict(view)


@router.delete("/milestones/{milestone_id}")
def delete_milestone(milestone_id: int, services: ServicesDep, office: OfficeDep) -> dict[str, Any]:
    return asdict(services.registry.delete_milestone(milestone_id, actor=office.username))


@router.post("/milestones/{milestone_id}/reopen")
def reopen_milestone(milestone_id: int, services: ServicesDep, office: OfficeDep) -> dict[str, Any]:
    """Undo 标记完成."""
    return asdict(services.registry.reopen_milestone(milestone_id, actor=office.username))


@router.post("/urge")
def urge(body: UrgeRequest, services: ServicesDep, office: OfficeDep) -> dict[str, Any]:
    """催办 now, through the outbox, to every chat the department(s) are bound to."""
    results = services.supervision.urge(department=body.department, actor=office.username)
    return {
        "departments": [asdict(r) for r in results],
        "queued": sum(r.chats for r in results),
        "unbound": [r.department for r in results if not r.chats],
    }
