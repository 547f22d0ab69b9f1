"""督办总览: the task force's overview of the ledger, for the office and the county's leaders."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import MaybeAccount, ServicesDep
from registry.supervision import TASK_STATUSES, DepartmentLoad, Overview, in_section, responsible

router = APIRouter(include_in_schema=False)

# CSS names of the statuses (overview.css gives each its colour)
STATUS_KEYS = dict(
    zip(TASK_STATUSES, ("overdue", "soon", "unreported", "unset", "ok", "done"), strict=True)
)
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
    every = supervision.tasks(document=document or None)
    sections = sorted(
        {
            (t.clause[: t.clause.index("）") + 1], t.heading.split(" > ")[1])
            for t in every
            if "）" in t.clause and " > " in t.heading
        }
    )
    if section not in {prefix for prefix, _ in sections}:
        section = ""
    found = supervision.overview(document=document or None, section=section)
    tasks = [t for t in every if in_section(t, section)]
    return templates.TemplateResponse(
        request,
        "overview.html",
        {
            **context,
            "ov": found,
            "documents": documents,
            "sections": sections,
            "filters": {"document": document, "section": section},
            "keys": STATUS_KEYS,
            "short": SHORT,
            "freshness": _by_freshness(found),
            "chart": _chart_data(
                found, Counter((name, t.status) for t in tasks for name in responsible(t))
            ),
        },
    )


def _by_freshness(found: Overview) -> list[tuple[DepartmentLoad, int | None, bool]]:
    """Departments, the longest without a report first: (load, days since, overdue to report)."""
    rows = []
    for load in found.departments:
        days = (found.today - load.last_report).days if load.last_report else None
        late = load.open > 0 and (days is None or days >= found.rules.report_stale_days)
        rows.append((load, days, late))
    return sorted(rows, key=lambda row: (row[1] is not None, -(row[1] or 0), row[0].name))


def _chart_data(found: Overview, statuses: Counter[tuple[str, str]]) -> dict[str, object]:
    names = [d.name for d in found.departments]
    return {
        "totals": [
            {"label": status, "key": STATUS_KEYS[status], "count": count}
            for status, count in found.totals
        ],
        "departments": names,
        "stacks": [
            {
                "label": label,
                "key": key,
                "data": [sum(statuses[name, s] for s in members) for name in names],
            }
            for label, key, members in STACKS
        ],
    }
