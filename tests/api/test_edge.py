"""The web edge in-process and over a real server: security headers on every answer, nothing
internal kept by a cache, request bodies cut off at their limit, the stream's refusal."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from assistant.services import Services
from tests.api.conftest import PASSWORD, bearer, make_user
from tests.fakes.servers import serve

SECURITY = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
MB = 2**20


def _assert_secured(response: httpx.Response) -> None:
    for name, value in SECURITY.items():
        assert response.headers.get(name) == value, (response.request.url, name)
    policy = {
        directive.split()[0]: directive.split()[1:]
        for directive in response.headers["content-security-policy"].split("; ")
    }
    assert policy["default-src"] == ["'self'"]  # so no inline script, nowhere else
    assert policy["script-src" if "script-src" in policy else "default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]


def test_every_answer_carries_the_security_headers(client: TestClient) -> None:
    answers = [
        client.get("/"),
        client.get("/login"),
        client.get("/docs"),
        client.get("/api/search", params={"q": "充电桩"}),
        client.get("/static/app.css"),
        client.get("/no-such-page"),  # 404
        client.get("/api/tasks"),  # 401
        client.get("/api/search"),  # 422
        client.post("/api/ask", content=b"x" * MB),  # 413
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 200, 404, 401, 422, 413]
    for answer in answers:
        _assert_secured(answer)


def test_internal_answers_are_never_cached(client: TestClient, plan_services: Services) -> None:
    office = make_user(plan_services, "office")
    token = bearer(client, office)
    login = client.post("/login", data={"username": office, "password": PASSWORD})
    assert login.status_code == 200 and login.url.path == "/official"
    internal = [
        client.get(path)
        for path in ("/official", "/dashboard", "/overview", "/channels", "/intake", "/accounts")
    ]
    internal += [
        client.get(path, headers=token)
        for path in ("/api/tasks", "/api/due", "/api/overview", "/api/channels", "/api/drafts")
    ]
    exports = [
        client.get("/api/export", params={"format": "xlsx"}, headers=token),
        client.get("/api/report", params={"month": "2026-08", "format": "docx"}, headers=token),
    ]
    assert [e.status_code for e in exports] == [200, 200], [e.text for e in exports]
    assert all(e.headers["content-disposition"].startswith("attachment") for e in exports)
    for answer in [*internal, *exports]:
        assert answer.status_code == 200, answer.request.url
        assert answer.headers["cache-control"] == "no-store", answer.request.url
    # static files may be cached: they are the same for everyone
    assert "no-store" not in client.get("/static/chat.js").headers.get("cache-control", "")


def test_a_large_body_is_refused_before_it_is_parsed(client: TestClient) -> None:
    question = json.dumps({"question": "充电桩" + " " * 10 * MB}).encode()
    refused = client.post(
        "/api/ask", content=question, headers={"content-type": "application/json"}
    )
    assert refused.status_code == 413
    assert refused.json() == {"error": "请求内容过大（最多 64 KB）。"}
    fits = client.post("/api/ask", json={"question": "充电桩" + " " * 60_000})
    assert fits.status_code == 422 and "问题过长" in fits.json()["error"]  # read, then judged


def test_a_chunked_body_is_cut_off_while_it_streams(plan_services: Services) -> None:
    """No Content-Length to trust: the limit is counted on the bytes as they arrive."""

    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(160):  # 160 chunks of 1 KB: 2.5 times the limit
            yield "充".encode() * 341 + b"x"
        yield b'"}'

    with serve(create_app(plan_services, session_secret="edge")) as url:
        refused = httpx.post(
            f"{url}/api/ask", content=chunks(), headers={"content-type": "application/json"}
        )
        assert "content-length" not in refused.request.headers
        assert refused.request.headers["transfer-encoding"] == "chunked"
        assert refused.status_code == 413
        assert refused.json() == {"error": "请求内容过大（最多 64 KB）。"}
        _assert_secured(refused)


def test_an_upload_keeps_its_own_larger_limit(client: TestClient) -> None:
    document = {"file": ("plan.txt", "一、任务\n".encode() * 40_000)}  # 480 KB
    upload = client.post("/api/drafts", files=document)
    assert upload.status_code == 401  # read in full, then refused for want of a login
    elsewhere = client.post("/api/ask", files=document)
    assert elsewhere.status_code == 413


def test_streamed_question_as_an_official_needs_a_login(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    body = {"question": "本月有哪些任务到期？", "audience": "official"}
    plain = client.post("/api/ask", json=body)
    with caplog.at_level(logging.INFO):
        streamed = client.post("/api/ask/stream", json=body)
    assert plain.status_code == streamed.status_code == 401
    assert streamed.headers["content-type"] == "application/json"
    assert streamed.json() == plain.json() == {"error": "以工作人员身份提问需要先登录。"}
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
