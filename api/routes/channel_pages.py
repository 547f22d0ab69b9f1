"""提醒渠道: the office's page of push destinations by owner (企业微信, 钉钉, 飞书, e-mail; the
Telegram chats read only), with the form to bind one; the page calls ``/api/channels``."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import MaybeAccount, ServicesDep
from assistant.services import Services
from registry.channels import KINDS as PLATFORMS

router = APIRouter(include_in_schema=False)

OFFICE = "专班办公室"
REFUSED = "提醒渠道只能由专班办公室设置。本单位的任务请在任务台账中查看和填报。"


@dataclass(frozen=True)
class Row:
    platform: str
    label: str
    channel_id: int | None  # None: a Telegram chat, bound in the chat with a code


def _groups(services: Services) -> tuple[dict[str, list[Row]], list[str]]:
    """Destinations by owner (the office first, then the departments in the registry's order),
    and the departments with tasks that have none."""
    departments = services.registry.departments()
    groups: dict[str, list[Row]] = {OFFICE: []}
    groups.update((d.name, []) for d in departments)
    for view in services.channels.channels():
        groups.setdefault(view.owner, []).append(
            Row(PLATFORMS.get(view.kind, view.kind), view.label, view.id)
        )
    for chat in services.chats.subscriptions():
        groups.setdefault(chat.label, []).append(Row("Telegram", f"会话 {chat.chat_id}", None))
    bare = [d.name for d in departments if d.tasks and not groups[d.name]]
    return {owner: rows for owner, rows in groups.items() if rows}, bare


@router.get("/channels", response_class=HTMLResponse)
def channels_page(request: Request, account: MaybeAccount, services: ServicesDep) -> Response:
    if account is None:
        return RedirectResponse("/login?next=/channels", status_code=303)
    templates = request.app.state.templates
    context = {"account": account, "title": "提醒渠道"}
    if not account.is_office:
        return templates.TemplateResponse(
            request, "channels.html", {**context, "refused": REFUSED}, status_code=403
        )
    groups, bare = _groups(services)
    owners = [OFFICE, *(d.name for d in services.registry.departments() if d.tasks)]
    return templates.TemplateResponse(
        request,
        "channels.html",
        {**context, "groups": groups, "bare": bare, "owners": owners, "platforms": PLATFORMS},
    )
