"""The account administration page (``/accounts``): admins open, reset, disable, re-role and
remove accounts, each change audited and ending the account's logins at once; the office may
look; nobody else gets in."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from assistant.services import Services
from tests.api.conftest import PASSWORD, make_user
from tests.hardening.conftest import make_app, services_over_the_plan, sqlite_url

NEW = "staple gun 2030 river"


@pytest.fixture(scope="module")
def services(plan_services: Services, tmp_path_factory: pytest.TempPathFactory) -> Services:
    return services_over_the_plan(plan_services, sqlite_url(tmp_path_factory.mktemp("accounts")))


def logged_in(services: Services, username: str, password: str = PASSWORD) -> TestClient:
    client = TestClient(make_app(services))
    response = client.post(
        "/login", data={"username": username, "password": password}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return client


def test_only_admins_change_accounts_and_the_office_may_look(services: Services) -> None:
    anonymous = TestClient(make_app(services)).get("/accounts", follow_redirects=False)
    assert anonymous.headers["location"] == "/login?next=/accounts"
    department = logged_in(services, make_user(services, "department", "县林业局"))
    refused = department.get("/accounts")
    assert refused.status_code == 403 and "只对管理员和专班办公室开放" in refused.text
    assert department.post("/accounts/disable", data={"username": "x"}).status_code == 403

    target = make_user(services, "office")
    office = logged_in(services, make_user(services, "office"))
    listed = office.get("/accounts")
    assert listed.status_code == 200 and target in listed.text
    assert 'action="/accounts/' not in listed.text  # no forms for the office
    tried = office.post("/accounts/disable", data={"username": target})
    assert tried.status_code == 403 and "只有管理员可以更改账号" in tried.text
    assert services.accounts.account(target) is not None


def test_an_admin_runs_an_accounts_life_on_the_page(services: Services) -> None:
    admin_name = make_user(services, "admin")
    admin = logged_in(services, admin_name)
    page = admin.get("/accounts")
    assert page.status_code == 200 and 'action="/accounts/add"' in page.text

    added = admin.post(
        "/accounts/add",
        data={"username": "林业局张三", "role": "department", "department": "林业局"},
    )
    assert added.status_code == 200 and added.headers["cache-control"] == "no-store"
    one_time = re.search(r'id="issued-password">([^<]+)<', added.text).group(1)  # type: ignore[union-attr]
    again = admin.post("/accounts/add", data={"username": "林业局张三", "role": "office"})
    assert again.status_code == 400 and "已存在" in again.text

    # the new account logs in once with it, to set its own
    newcomer = TestClient(make_app(services))
    first = newcomer.post(
        "/login", data={"username": "林业局张三", "password": one_time}, follow_redirects=False
    )
    assert first.headers["location"] == "/password"
    newcomer.post("/password", data={"old": one_time, "new": NEW, "again": NEW})
    assert newcomer.get("/api/tasks").status_code == 200
    user = next(u for u in services.accounts.users() if u.username == "林业局张三")
    assert (user.department, user.sessions, user.last_login_at is not None) == ("县林业局", 1, True)

    for action, effect in (("disable", "已停用账号"), ("enable", "已启用账号")):
        done = admin.post(f"/accounts/{action}", data={"username": "林业局张三"})
        assert done.status_code == 200 and effect in done.text
    assert newcomer.get("/api/tasks").status_code == 401  # the disable ended the login

    role = admin.post("/accounts/role", data={"username": "林业局张三", "role": "leader"})
    assert "角色已改为县领导" in role.text
    wrong = admin.post("/accounts/role", data={"username": "林业局张三", "role": "department"})
    assert wrong.status_code == 400 and "必须指定部门" in wrong.text
    reset = admin.post("/accounts/reset", data={"username": "林业局张三"})
    assert reset.headers["cache-control"] == "no-store" and "临时密码" in reset.text
    assert services.accounts.authenticate("林业局张三", NEW) is None

    own = admin.post("/accounts/disable", data={"username": admin_name})
    assert own.status_code == 400 and "不能停用、删除自己的账号" in own.text
    removed = admin.post("/accounts/remove", data={"username": "林业局张三"})
    assert "已删除账号 林业局张三" in removed.text
    assert services.accounts.account("林业局张三") is None

    changes = [
        e["action"]
        for e in services.registry.audit_log(limit=500)
        if e["entity"] == "user" and e["entity_id"] == "林业局张三" and e["actor"] == admin_name
    ]
    assert changes == ["remove", "reset", "role", "enable", "disable", "add"]


def test_an_admin_revokes_tokens_on_the_page(services: Services) -> None:
    admin = logged_in(services, make_user(services, "admin"))
    name = make_user(services, "office")
    client = TestClient(make_app(services))
    tokens = [
        client.post("/api/token", json={"username": name, "password": PASSWORD}).json()["token"]
        for _ in range(3)
    ]
    page = admin.get("/accounts")
    assert all(t[:8] in page.text and t not in page.text for t in tokens)
    (first, *_) = services.accounts.tokens(name)
    admin.post("/accounts/tokens/revoke", data={"token_id": str(first.id)})
    alive = [client.get("/api/tasks", headers={"Authorization": f"Bearer {t}"}) for t in tokens]
    assert [r.status_code for r in alive] == [401, 200, 200]
    done = admin.post("/accounts/revoke-tokens", data={"username": name})
    assert "已注销" in done.text and "2 个令牌" in done.text
    assert services.accounts.tokens(name) == []
