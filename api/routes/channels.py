"""Push channels over HTTP, for the office: bind a department (or the office) to a 企业微信, 钉钉
or 飞书 robot or to e-mail addresses, list them (masked), test, remove."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.auth import OfficeDep, ServicesDep

router = APIRouter(prefix="/api")


class ChannelRequest(BaseModel):
    kind: Literal["wecom", "dingtalk", "feishu", "email"]
    department: str | None = Field(None, max_length=100, description="unset with office")
    office: bool = False
    url: str = Field("", max_length=1000, description="the robot's webhook address")
    secret: str = Field("", max_length=200, description="钉钉/飞书 signing secret")
    addresses: list[str] = Field(default_factory=list, max_length=50)
    mentions: list[str] = Field(default_factory=list, max_length=50)


def _json(view: Any) -> dict[str, Any]:
    return {**asdict(view), "owner": view.owner}


@router.get("/channels")
def channels(services: ServicesDep, _: OfficeDep) -> list[dict[str, Any]]:
    return [_json(v) for v in services.channels.channels()]


@router.post("/channels", status_code=201)
def add_channel(body: ChannelRequest, services: ServicesDep, office: OfficeDep) -> dict[str, Any]:
    department = services.registry.department_name(body.department) if body.department else None
    view = services.channels.add(
        kind=body.kind,
        department=department,
        office=body.office,
        url=body.url,
        secret=body.secret,
        addresses=body.addresses,
        mentions=body.mentions,
        actor=office.username,
    )
    return _json(view)


@router.post("/channels/{channel_id}/test")
async def test_channel(channel_id: int, services: ServicesDep, _: OfficeDep) -> dict[str, Any]:
    """A test message now; the platform's answer (or its refusal, in Chinese)."""
    return asdict(await services.test_channel(channel_id))


@router.delete("/channels/{channel_id}")
def remove_channel(channel_id: int, services: ServicesDep, office: OfficeDep) -> dict[str, Any]:
    return _json(services.channels.remove(channel_id, actor=office.username))
