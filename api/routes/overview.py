"""督办总览: the task force's overview of the ledger, for the office and the county's leaders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import MaybeAccount, ServicesDep
from api.routes.pages import STATUS_CLASSES
from registry.supervision import DepartmentLoad, Overview, sections

router = APIRouter(include_in_schema=False)

# on the timeline's badges, next to the count (never the colour alone)
SHORT = {"逾期": "逾", "临期": "临", "正常": "正", "已完成": "完"}
# the per-department bars: open tasks by the most urgent state, then the closed ones
STACKS = (
    ("逾期", "overdue", ("逾期",)),
    ("临期", "soon", ("临期",)),
    ("其他在办", "open", ("未报送", "未设节点", "正常")),
    ("已完成", "done", ("已完成",)),
)
REFUSED = "督办总览只对专班办公室和县领导账号开放。本单位的任务请在任务台账中查看和填报。"


@router.get("/overview", response_class=HTMLResponse)
def overview_page(
    request: Request,
    account: MaybeAccount,
    services: ServicesDep,
    document: Annotated[str, Query(max_length=200)] = "",
    section: Annotated[str, Query(max_length=50)] = "",
) -> Response:
    if account is None:
        return RedirectResponse("/login?next=/overview", status_code=303)
    templates = request.app.state.templates
    context = {"account": account, "title": "督办总览"}
    if not account.sees_overview:
        return templates.TemplateResponse(
            request, "overview.html", {**context, "refused": REFUSED}, status_code=403
        )
    supervision = services.supervision
    documents = [d for d in services.registry.documents() if d.tasks]
    if document not in {d.id for d in documents}:
        document = ""
    named = sections(supervision.tasks(document=document or None))
    if section not in {prefix for prefix, _ in named}:
        section = ""
    found = supervision.overview(document=document or None, section=section)
    return templates.TemplateResponse(
        request,
        "overview.html",
        {
            **context,
            "ov": found,
            "documents": documents,
            "sections": named,
            "filters": {"document": document, "section": section},
            "keys": STATUS_CLASSES,
            "short": SHORT,
            "freshness": _by_freshness(found),
            "chart": _chart_data(found),
        },
    )


def _by_freshness(found: Overview) -> list[tuple[DepartmentLoad, int | None, bool]]:
    """Departments, the longest without a report first: (load, days since, has 未报送 tasks)."""
    rows = []
    for load in found.departments:
        days = (found.today - load.last_report).days if load.last_report else None
        rows.append((load, days, load.unreported > 0))
    return sorted(rows, key=lambda row: (row[1] is not None, -(row[1] or 0), row[0].name))


def _chart_data(found: Overview) -> dict[str, object]:
    return {
        "totals": [
            {"label": status, "key": STATUS_CLASSES[status], "count": count}
            for status, count in found.totals
        ],
        "departments": [d.name for d in found.departments],
        "stacks": [
            {
                "label": label,
                "key": key,
                "data": [sum(dict(d.statuses)[s] for s in members) for d in found.departments],
            }
            for label, key, members in STACKS
        ],
    }
