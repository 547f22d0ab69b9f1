"""The web pages: the public chat, the officials' chat, the office dashboard, the office's
document intake (upload, review of a draft), login."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import LOGIN_LIMITED, RETRY, MaybeAccount, ServicesDep, log_in, log_out
from registry.accounts import Account
from registry.deadlines import KINDS as DEADLINE_KINDS
from registry.models import STATUSES
from registry.service import RegistryError
from registry.supervision import TASK_STATUSES, in_section, responsible, sections
from registry.views import ProgressView, TaskView
from retrieval.loaders import SUPPORTED_SUFFIXES
from retrieval.sources import LEVELS
from retrieval.text import split_sentences

router = APIRouter(include_in_schema=False)

SUGGESTED_PUBLIC = [
    "旧冰箱怎么处理？",
    "家里屋顶能装光伏吗？",
    "到2030年要新增多少公用充电桩？",
    "秸秆能不能烧？",
]
SUGGESTED_OFFICIAL = [
    "县林业局负责哪些任务？",
    "秸秆禁烧谁牵头？",
    "本月有哪些任务到期？",
    "专班办公室设在哪？",
]


def _render(request: Request, name: str, account, **context) -> HTMLResponse:  # type: ignore[no-untyped-def]
    templates = request.app.state.templates
    return templates.TemplateResponse(request, name, {"account": account, **context})


@router.get("/", response_class=HTMLResponse)
def public_page(request: Request, account: MaybeAccount) -> HTMLResponse:
    return _render(
        request,
        "chat.html",
        account,
        audience="public",
        suggested=SUGGESTED_PUBLIC,
        title="绿色生活与政策咨询",
    )


@router.get("/official", response_class=HTMLResponse)
def official_page(request: Request, account: MaybeAccount) -> Response:
    if account is None:
        return RedirectResponse("/login?next=/official", status_code=303)
    return _render(
        request,
        "chat.html",
        account,
        audience="official",
        suggested=SUGGESTED_OFFICIAL,
        title="工作人员问答",
    )


# the status lights' classes (the word is always shown beside the colour)
STATUS_CLASSES = dict(
    zip(TASK_STATUSES, ("overdue", "soon", "unreported", "unset", "ok", "done"), strict=True)
)
REVIEW_CLASSES = {"待审核": "pending", "已采纳": "accepted", "已退回": "returned"}


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(
    request: Request,
    account: MaybeAccount,
    services: ServicesDep,
    department: str | None = None,
    document: str = "",
    section: str = "",
    view: str = "department",
    status: str = "",
    overdue_only: bool = False,
    task: int | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    if account is None:
        return RedirectResponse("/login?next=/dashboard", status_code=303)
    registry = services.registry
    if department is None:  # a department lands on its own tasks; 全部 widens it
        department = "" if task else account.department or ""
    if status not in TASK_STATUSES:
        status = "逾期" if overdue_only else ""
    documents = registry.documents()
    if document not in {d.id for d in documents}:
        document = ""
    error = ""
    try:
        department = registry.department_name(department) if department else ""
    except RegistryError as exc:
        error, department = str(exc), ""
    every = registry.tasks(document=document or None)
    tasks = [
        t
        for t in registry.tasks(
            department=department or None, document=document or None, status=status or None
        )
        if in_section(t, section) and task in (None, t.id)
    ]
    # a page of cards at a time: a ledger of a thousand tasks would be one very long page
    total, first = len(tasks), (page - 1) * PAGE_SIZE
    tasks = tasks[first : first + PAGE_SIZE]
    # each task once: under the filtered department, else under the unit answering for it
    groups: dict[str, list[TaskView]] = defaultdict(list)
    for task in tasks:
        if view == "section":
            key = task.heading.split(" > ")[1] if " > " in task.heading else task.clause
        else:
            key = department or next(iter(responsible(task)), "未指定责任单位")
        groups[key].append(task)
    milestones = sorted(
        ((m, t) for t in tasks for m in t.milestones),
        key=lambda pair: (pair[0].due, pair[1].clause),
    )
    return _render(
        request,
        "dashboard.html",
        account,
        error=error,
        groups=dict(groups),
        milestones=milestones,
        tasks=tasks,
        returned=_returned(registry.tasks(department=account.department), account.department)
        if account.department
        else [],
        statuses=STATUSES,
        task_statuses=TASK_STATUSES,
        status_classes=STATUS_CLASSES,
        review_classes=REVIEW_CLASSES,
        may_report=lambda t: _may_report(account, t),
        departments=[d.name for d in registry.departments() if d.tasks],
        documents=[d for d in documents if d.tasks],
        sections=sections(every),
        filters={
            "department": department,
            "document": document,
            "section": section,
            "view": view,
            "status": status,
        },
        title="任务台账",
        today=registry.today(),
        pager=_pager(request, page, first, len(tasks), total),
    )


PAGE_SIZE = 60


def _pager(request: Request, page: int, first: int, shown: int, total: int) -> dict[str, object]:
    """Where this page's cards are in the whole, and the links to the pages around it."""

    def link(number: int) -> str:
        return str(request.url.include_query_params(page=number))

    return {
        "first": first + 1 if shown else 0,
        "last": first + shown,
        "total": total,
        "previous": link(page - 1) if page > 1 else "",
        "next": link(page + 1) if first + shown < total else "",
    }


def _may_report(account: Account, task: TaskView) -> bool:
    """The office for any unit, a department on the tasks naming it; never on a closed task."""
    if account.is_leader or task.closure is not None:
        return False
    return account.is_office or bool(account.department and task.role_of(account.department))


def _returned(tasks: list[TaskView], department: str) -> list[tuple[TaskView, ProgressView]]:
    """A department's returned reports that it has not reported again since."""
    found = []
    for task in tasks:
        mine = [p for p in task.progress if p.department == department]
        if task.closure is None and mine and mine[-1].review == "已退回":
            found.append((task, mine[-1]))
    return found


def _office_only(request: Request, account: Account | None, target: str) -> Response | None:
    """The intake pages are the office's: a login first, a refusal page for other accounts."""
    if account is None:
        return RedirectResponse(f"/login?next={target}", status_code=303)
    if not account.is_office:
        return _message(request, account, 403, "只有专班办公室可以上传和审核文件。")
    return None


def _message(request: Request, account: Account, status: int, message: str) -> HTMLResponse:
    response = _render(request, "intake.html", account, message=message, title="文件入库")
    response.status_code = status
    return response


@router.get("/intake", response_class=HTMLResponse)
def intake_page(request: Request, account: MaybeAccount, services: ServicesDep) -> Response:
    refused = _office_only(request, account, "/intake")
    if refused is not None:
        return refused
    sources = [s for s in services.ingest.sources().values() if s.kind == "policy"]
    return _render(
        request,
        "intake.html",
        account,
        message="",
        levels=LEVELS,
        # the manifest's entries by level, in the manifest's order within a level
        sources=[(level, [s for s in sources if s.level == level]) for level in LEVELS],
        accept=",".join(sorted(SUPPORTED_SUFFIXES)),
        drafts=services.intake.drafts.list(status="draft"),
        title="文件入库",
    )


DEADLINE_LABELS = {"date": "具体日期", "annual": "每年", "ongoing": "长期"}
DRAFT_STATUSES = {"draft": "待审核", "published": "已发布", "discarded": "已放弃"}


@router.get("/intake/{draft_id}", response_class=HTMLResponse)
def draft_page(
    request: Request, draft_id: int, account: MaybeAccount, services: ServicesDep
) -> Response:
    refused = _office_only(request, account, f"/intake/{draft_id}")
    if refused is not None:
        return refused
    try:
        draft = services.intake.drafts.get(draft_id)
    except RegistryError as exc:
        return _message(request, account, 404, str(exc))
    titles = {m["clause"]: m["title"] for m in draft.measures}
    return _render(
        request,
        "draft.html",
        account,
        draft=draft,
        # numbered sentences: where a measure may be split
        sentences={m["key"]: split_sentences(m["text"]) for m in draft.measures},
        titles=titles,
        deadline_kinds=[(k, DEADLINE_LABELS.get(k, k)) for k in DEADLINE_KINDS],
        status=DRAFT_STATUSES.get(draft.status, draft.status),
        readonly=draft.status != "draft",
        title="审核草稿",
    )


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, account: MaybeAccount, next: str = "") -> HTMLResponse:
    return _login_form(request, account, next=next)


def _login_form(
    request: Request,
    account: Account | None,
    *,
    next: str,
    username: str = "",
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    response = _render(
        request,
        "login.html",
        account,
        next=_safe(next) if next else "",
        username=username,
        error=error,
        title="登录",
    )
    response.status_code = status
    return response


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    services: ServicesDep,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form()] = "",
) -> Response:
    if not request.app.state.limits.login_allowed(request, username):
        response = _login_form(
            request, None, next=next, username=username, error=LOGIN_LIMITED, status=429
        )
        response.headers.update(RETRY)
        return response
    account = services.accounts.authenticate(username, password)
    if account is None:
        return _login_form(
            request, None, next=next, username=username, error="用户名或密码不正确。", status=401
        )
    log_in(request, services, account)
    if account.must_change_password:  # a one-time password: first, a password of one's own
        return RedirectResponse("/password", status_code=303)
    # a leader's page is the overview, a department's its own tasks
    landing = {"leader": "/overview", "department": "/dashboard"}.get(account.role, "/official")
    return RedirectResponse(_safe(next) if next else landing, status_code=303)


@router.post("/logout")
def logout(request: Request, services: ServicesDep) -> RedirectResponse:
    log_out(request, services)
    return RedirectResponse("/", status_code=303)


def _safe(target: str) -> str:
    """Only local paths: a login link cannot send people elsewhere."""
    return target if target.startswith("/") and not target.startswith("//") else "/official"
