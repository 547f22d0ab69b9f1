"""Logins kept on the server, tokens, CSRF and rate limits over HTTP: a cookie replayed after
logout or after a password change elsewhere is worth nothing; a one-time password opens only the
password page; tokens live as long as asked (never longer than the office allows) and are revoked
by their holder; a page of another origin cannot use an official's cookie; an office behind one
address and the public on it do not exhaust each other's rate limits."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from assistant.services import Services
from tests.api.conftest import PASSWORD, bearer, make_user
from tests.hardening.conftest import make_app, services_over_the_plan, sqlite_url

NEW = "staple gun 2030 river"
REFUSED = "不是从本站页面发出"


@pytest.fixture(scope="module")
def services(plan_services: Services, tmp_path_factory: pytest.TempPathFactory) -> Services:
    """A registry of this module's own: its tests complete milestones."""
    return services_over_the_plan(plan_services, sqlite_url(tmp_path_factory.mktemp("sessions")))


def logged_in(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    response = client.post(
        "/login", data={"username": username, "password": password}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return client


def milestone(services: Services) -> tuple[int, int]:
    """A new open milestone: (task id, milestone id)."""
    task = services.registry.tasks(department="林业局")[0]
    added = services.registry.add_milestone(
        task.id, due=dt.date(2026, 12, 31), description="完成造林验收", actor="测试"
    )
    return task.id, added.id


def completed(services: Services, task_id: int, milestone_id: int) -> bool:
    found = [m for m in services.registry.task(task_id).milestones if m.id == milestone_id]
    return found[0].completed_on is not None


def test_a_cookie_replayed_after_logout_is_worth_nothing(services: Services) -> None:
    app = make_app(services)
    client = logged_in(TestClient(app), make_user(services, "office"))
    stolen = dict(client.cookies)
    assert client.get("/api/tasks").status_code == 200
    client.post("/logout")

    task_id, milestone_id = milestone(services)
    replay = TestClient(app, cookies=stolen)
    assert replay.get("/api/tasks").status_code == 401
    assert replay.post(f"/api/milestones/{milestone_id}/complete").status_code == 401
    report = {"department": "县林业局", "status": "进行中", "note": "重放的报告"}
    assert replay.post(f"/api/tasks/{task_id}/progress", json=report).status_code == 401
    page = replay.get("/dashboard", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert not completed(services, task_id, milestone_id)
    assert "重放的报告" not in str(services.registry.task(task_id).progress)


def test_a_password_change_ends_the_logins_and_tokens_elsewhere(services: Services) -> None:
    app = make_app(services)
    name = make_user(services, "office")
    laptop, phone = logged_in(TestClient(app), name), logged_in(TestClient(app), name)
    token = bearer(TestClient(app), name)

    mismatch = phone.post("/password", data={"old": PASSWORD, "new": NEW, "again": NEW + "x"})
    assert mismatch.status_code == 400 and "两次输入的新密码不一致" in mismatch.text
    weak = phone.post(
        "/password", data={"old": PASSWORD, "new": "1234567890", "again": "1234567890"}
    )
    assert weak.status_code == 400 and "太容易被猜到" in weak.text
    assert laptop.get("/api/tasks").status_code == 200

    changed = phone.post("/password", data={"old": PASSWORD, "new": NEW, "again": NEW})
    assert changed.status_code == 200 and "密码已修改" in changed.text
    assert laptop.get("/api/tasks").status_code == 401
    assert TestClient(app).get("/api/tasks", headers=token).status_code == 401
    assert phone.get("/api/tasks").status_code == 200  # the login that changed it goes on
    logged_in(TestClient(app), name, NEW)


def test_a_one_time_password_opens_only_the_password_page(services: Services) -> None:
    app = make_app(services)
    name = make_user(services, "office")
    one_time = services.accounts.reset_password(name, actor="测试")
    client = TestClient(app)
    login = client.post(
        "/login", data={"username": name, "password": one_time}, follow_redirects=False
    )
    assert login.headers["location"] == "/password"
    assert "临时密码" in client.get("/password").text
    assert client.get("/api/tasks").status_code == 401
    dashboard = client.get("/dashboard", follow_redirects=False)
    assert dashboard.headers["location"].startswith("/login")
    token = client.post("/api/token", json={"username": name, "password": one_time})
    assert token.status_code == 400 and "临时密码" in token.json()["error"]

    client.post("/password", data={"old": one_time, "new": NEW, "again": NEW})
    assert client.get("/api/tasks").status_code == 200


def test_tokens_live_as_asked_are_listed_without_the_secret_and_revoked(
    services: Services,
) -> None:
    client = TestClient(make_app(services))
    name = make_user(services, "office")
    ask = {"username": name, "password": PASSWORD}
    too_long = client.post("/api/token", json={**ask, "days": 31})
    assert too_long.status_code == 400 and "1 到 30 天" in too_long.json()["error"]
    week = client.post("/api/token", json={**ask, "days": 7}).json()["token"]
    month = client.post("/api/token", json=ask).json()["token"]

    def auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    listed = client.get("/api/tokens", headers=auth(week))
    assert week not in listed.text and month not in listed.text
    rows = listed.json()
    assert [r["prefix"] for r in rows] == [week[:8], month[:8]]
    lives = [
        dt.datetime.fromisoformat(r["expires_at"]) - dt.datetime.fromisoformat(r["created_at"])
        for r in rows
    ]
    assert lives == [dt.timedelta(days=7), dt.timedelta(days=30)]

    assert client.delete("/api/token", headers=auth(week)).status_code == 204
    assert client.get("/api/tasks", headers=auth(week)).status_code == 401
    assert client.get("/api/tasks", headers=auth(month)).status_code == 200
    # someone else's token is not the caller's to revoke
    other = bearer(client, make_user(services, "office"))
    mine = rows[1]["id"]
    assert client.delete(f"/api/tokens/{mine}", headers=other).status_code == 400
    assert client.delete(f"/api/tokens/{mine}", headers=auth(month)).status_code == 204
    assert client.get("/api/tasks", headers=auth(month)).status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://testserver:8081"},  # another port of the same host
        {"Origin": "null"},
        {"Referer": "http://127.0.0.1:8081/attack.html"},
        {"Origin": "http://testserver", "Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
def test_a_cookie_request_from_another_origin_is_refused(
    services: Services, headers: dict[str, str]
) -> None:
    client = logged_in(TestClient(make_app(services)), make_user(services, "office"))
    task_id, milestone_id = milestone(services)
    refused = client.post(f"/api/milestones/{milestone_id}/complete", headers=headers)
    assert refused.status_code == 403 and REFUSED in refused.json()["error"]
    assert not completed(services, task_id, milestone_id)
    # the site's own page (and a client that is no browser: no Origin, no Referer) may
    own = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    assert client.post(f"/api/milestones/{milestone_id}/complete", headers=own).is_success
    assert completed(services, task_id, milestone_id)


def test_login_from_another_origin_is_refused_and_tokens_are_exempt(services: Services) -> None:
    app = make_app(services)
    name = make_user(services, "office")
    victim = TestClient(app)
    forged = victim.post(
        "/login",
        data={"username": name, "password": PASSWORD},
        headers={"Origin": "http://testserver:8081"},
        follow_redirects=False,
    )
    assert forged.status_code == 403 and "policyqa_session" not in victim.cookies
    # a bearer token is no ambient credential: whatever the Origin, it is the holder asking
    task_id, milestone_id = milestone(services)
    token = bearer(TestClient(app), name)
    done = TestClient(app).post(
        f"/api/milestones/{milestone_id}/complete",
        headers={**token, "Origin": "http://testserver:8081"},
    )
    assert done.is_success and completed(services, task_id, milestone_id)


def test_the_public_url_is_the_sites_origin_behind_a_proxy(services: Services) -> None:
    behind = dataclasses.replace(
        services,
        settings=services.settings.model_copy(update={"public_url": "https://dt.example.gov.cn/"}),
    )
    client = logged_in(TestClient(make_app(behind)), make_user(services, "office"))
    task_id, milestone_id = milestone(services)
    other = client.post(
        f"/api/milestones/{milestone_id}/complete", headers={"Origin": "https://evil.example.cn"}
    )
    assert other.status_code == 403 and not completed(services, task_id, milestone_id)
    own = client.post(
        f"/api/milestones/{milestone_id}/complete",
        headers={"Origin": "https://dt.example.gov.cn"},
    )
    assert own.is_success


def test_an_office_behind_one_address_and_the_public_do_not_block_each_other(
    services: Services,
) -> None:
    """The NAT case: every client here comes from the same address."""
    app = create_app(
        services,
        session_secret="nat",
        public_rate_limit="5/minute",
        login_rate_limit="100/minute",
        account_rate_limit="12/minute",
    )
    office = logged_in(TestClient(app), make_user(services, "office"))
    department = TestClient(app)
    by_token = bearer(department, make_user(services, "department", "县林业局"))
    public = TestClient(app)

    def search(client: TestClient, headers: dict[str, str] | None = None) -> int:
        return client.get("/api/search", params={"q": "光伏"}, headers=headers).status_code

    # officials ask more than the public's limit, each on their own account's
    assert [search(office) for _ in range(8)] == [200] * 8
    assert [search(department, by_token) for _ in range(8)] == [200] * 8
    # the public on the same address still has all of its allowance, then no more
    assert [search(public) for _ in range(5)] == [200] * 5
    assert search(public) == 429
    # the public's exhaustion does not stop an official, until their own limit
    assert [search(office) for _ in range(4)] == [200] * 4
    assert search(office) == 429
    assert search(department, by_token) == 200


def test_a_rate_limited_login_shows_the_form_again_in_chinese(services: Services) -> None:
    client = TestClient(make_app(services, login_rate_limit="2/minute"))
    form = {"username": "王科长", "password": "wrong password"}
    wrong = [client.post("/login", data=form) for _ in range(2)]
    assert [r.status_code for r in wrong] == [401, 401]
    assert "用户名或密码不正确" in wrong[0].text and 'value="王科长"' in wrong[0].text
    limited = client.post("/login", data=form)
    assert limited.status_code == 429 and limited.headers["content-type"].startswith("text/html")
    assert limited.headers["Retry-After"] == "60"
    assert "登录尝试过于频繁，请一分钟后再试" in limited.text and 'value="王科长"' in limited.text
    assert "wrong password" not in limited.text
