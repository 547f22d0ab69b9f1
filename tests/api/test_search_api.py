"""Open endpoints in-process over the real index of the plan: health, search, questions."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from api.app import create_app
from assistant.services import Services
from assistant.settings import Settings
from tests.api.conftest import bearer, make_user
from tests.conftest import fixed_services


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"


def test_search_returns_cited_hits(client: TestClient) -> None:
    response = client.get("/api/search", params={"q": "秸秆禁烧谁牵头", "k": 3})
    assert response.status_code == 200
    hits = response.json()
    assert hits[0]["clause"] == "二、（二）1."
    assert hits[0]["document"] == "落实好重“双碳”促转型的任务实施方案"
    assert hits[0]["responsibility"].startswith("市生态环境局湘阴分局牵头")
    guides = client.get("/api/search", params={"q": "秸秆禁烧", "include_guides": "true"}).json()
    assert any(h["document"] == "湘阴县绿色生活指南" for h in guides)


def test_bad_query_gets_a_chinese_error(client: TestClient) -> None:
    missing = client.get("/api/search")
    too_many = client.get("/api/search", params={"q": "充电桩", "k": 1000})
    assert missing.status_code == 422 and "请求参数不正确" in missing.json()["error"]
    assert too_many.status_code == 422 and "条数" in too_many.json()["error"]
    empty = client.post("/api/ask", json={"question": ""})
    assert empty.status_code == 422 and "问题" in empty.json()["error"]


def test_before_ingest_search_is_503_and_not_ready(settings: Settings) -> None:
    with TestClient(create_app(fixed_services(settings), session_secret="s")) as client:
        response = client.get("/api/search", params={"q": "充电桩"})
        assert response.status_code == 503
        assert response.json() == {"error": "索引尚未建立，请稍后再试。"}
        assert client.get("/readyz").status_code == 503


def test_public_ask(client: TestClient) -> None:
    response = client.post("/api/ask", json={"question": "旧冰箱怎么处理？", "audience": "public"})
    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "green_living"
    assert any(c["clause"] == "二、（一）4." for c in body["citations"])


def test_official_questions_need_a_login(client: TestClient, plan_services: Services) -> None:
    question = {"question": "本月有哪些任务到期？", "audience": "official"}
    refused = client.post("/api/ask", json=question)
    assert refused.status_code == 401 and "登录" in refused.json()["error"]
    headers = bearer(client, make_user(plan_services, "office"))
    assert client.post("/api/ask", json=question, headers=headers).json()["kind"] == "due"


def test_conversations_continue_per_client(client: TestClient) -> None:
    first = {
        "question": "到2030年要新增多少公用充电桩？",
        "audience": "public",
        "conversation_id": "c-1",
    }
    client.post("/api/ask", json=first)
    follow = client.post(
        "/api/ask",
        json={"question": "牵头的是谁？", "audience": "public", "conversation_id": "c-1"},
    ).json()
    assert follow["kind"] == "responsibility" and follow["citations"][0]["clause"] == "二、（一）2."
    assert follow["conversation_id"] == "c-1"


def test_streamed_answer(client: TestClient) -> None:
    with client.stream(
        "POST", "/api/ask/stream", json={"question": "秸秆禁烧谁牵头？", "audience": "public"}
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join(response.iter_text())
    events = [block for block in text.split("\n\n") if block.strip()]
    kinds = [
        line.split(": ", 1)[1]
        for block in events
        for line in block.splitlines()
        if line.startswith("event: ")
    ]
    assert kinds[0] == "delta" and kinds[-2:] == ["citations", "done"]
    data = [
        json.loads(line.split(": ", 1)[1])
        for block in events
        for line in block.splitlines()
        if line.startswith("data: ")
    ]
    assert "市生态环境局湘阴分局牵头" in "".join(d for d in data if isinstance(d, str))


def test_public_endpoints_are_rate_limited(plan_services: Services) -> None:
    app = create_app(plan_services, session_secret="s", public_rate_limit="3/minute")
    with TestClient(app) as client:
        codes = [client.get("/api/search", params={"q": "充电桩"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_login_is_rate_limited(client: TestClient, plan_services: Services) -> None:
    name = make_user(plan_services, "office")
    codes = [
        client.post("/api/token", json={"username": name, "password": "wrong password"}).status_code
        for _ in range(6)
    ]
    assert codes == [401] * 5 + [429]
