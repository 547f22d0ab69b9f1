"""The HTTP API in-process, over the real index of the plan."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from assistant.services import Services
from assistant.settings import Settings
from policyqa.composition import build_services


def test_healthz(plan_services: Services) -> None:
    with TestClient(create_app(plan_services)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}


def test_search_returns_cited_hits(plan_services: Services) -> None:
    with TestClient(create_app(plan_services)) as client:
        response = client.get("/api/search", params={"q": "秸秆禁烧谁牵头", "k": 3})
    assert response.status_code == 200
    hits = response.json()
    assert hits[0]["clause"] == "二、（二）1."
    assert hits[0]["document"] == "落实好重“双碳”促转型的任务实施方案"
    assert hits[0]["responsibility"].startswith("市生态环境局湘阴分局牵头")


def test_bad_query_gets_a_chinese_error(plan_services: Services) -> None:
    with TestClient(create_app(plan_services)) as client:
        missing = client.get("/api/search")
        too_many = client.get("/api/search", params={"q": "充电桩", "k": 1000})
    assert missing.status_code == 422 and "请求参数不正确" in missing.json()["error"]
    assert too_many.status_code == 422 and "k" in too_many.json()["error"]


def test_search_before_ingest_is_503(settings: Settings) -> None:
    with TestClient(create_app(build_services(settings))) as client:
        response = client.get("/api/search", params={"q": "充电桩"})
    assert response.status_code == 503
    assert response.json() == {"error": "索引尚未建立，请稍后再试。"}
