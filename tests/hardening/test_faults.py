"""The database going away: at start, between requests and in the middle of one. The API answers
503 with a Chinese message, text answers keep working, nothing is half-written, and service comes
back by itself with the database. The PostgreSQL server itself keeps running: a proxy in front
of it is stopped and started (a URL to a closed port when no server is needed)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url

from assistant.services import Services
from tests.api.conftest import PASSWORD, make_user
from tests.conftest import CORPUS, fixed_services, make_settings
from tests.fakes.servers import free_port
from tests.fakes.tcp_proxy import TcpProxy
from tests.hardening.conftest import make_app
from tests.registry.conftest import sync_plan

DOWN = {"error": "数据库暂时无法连接，请稍后再试。"}
DB_PASSWORD = "db-secret-b7c1"


def _services(plan_services: Services, database_url: str) -> Services:
    plan = plan_services.settings
    settings = make_settings(plan.data_dir, plan.embedding_cache.parent, database_url=database_url)
    return fixed_services(settings)


def _down(response: httpx.Response) -> bool:
    return (
        response.status_code == 503
        and response.json() == DOWN
        and response.headers["Retry-After"] == "30"
    )


def test_unreachable_at_start(plan_services: Services, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"postgresql://policyqa:{DB_PASSWORD}@127.0.0.1:{free_port()}/policyqa"
    services = _services(plan_services, url)  # starts all the same
    with TestClient(make_app(services)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["database"].startswith("unavailable")
        assert _down(client.post("/api/token", json={"username": "a", "password": "b"}))
        assert _down(client.get("/api/tasks", headers={"Authorization": "Bearer abc"}))
        assert _down(client.post("/login", data={"username": "a", "password": "b"}))
        # answers from the texts do not need the registry
        answer = client.post("/api/ask", json={"question": "旧冰箱怎么处理？"}).json()
        assert answer["kind"] == "green_living" and answer["citations"]
        assert answer["warnings"] == ["registry_unavailable"]
        assert client.get("/api/search", params={"q": "秸秆禁烧谁牵头"}).json()
        # registry answers do
        assert _down(client.post("/api/ask", json={"question": "专班办公室设在哪？"}))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "database unreachable" in logged and DB_PASSWORD not in logged


def test_the_command_line_says_the_database_is_down(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "POLICYQA_DATA_DIR": str(tmp_path),
        "POLICYQA_CORPUS_DIR": str(CORPUS),
        "POLICYQA_DATABASE_URL": f"postgresql://policyqa:{DB_PASSWORD}@127.0.0.1:{free_port()}/x",
    }
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "tasks"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1 and "数据库暂时无法连接，请稍后再试。" in result.stderr
    assert "Traceback" not in result.stderr and DB_PASSWORD not in result.stderr


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[TcpProxy]:
    url = make_url(postgres_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    yield proxy
    proxy.stop()


def test_service_comes_back_with_the_database(
    plan_services: Services, postgres_url: str, proxy: TcpProxy
) -> None:
    # a fresh database, down at start: not even its tables exist yet
    url = make_url(postgres_url).set(port=proxy.port).render_as_string(hide_password=False)
    services = _services(plan_services, url)
    with TestClient(make_app(services)) as client:
        assert client.get("/readyz").status_code == 503
        proxy.start()
        assert client.get("/readyz").status_code == 200  # migrated on the first connection
        sync_plan(services.registry)
        login = {"username": make_user(services, "office"), "password": PASSWORD}
        office = {
            "Authorization": f"Bearer {client.post('/api/token', json=login).json()['token']}"
        }
        tasks = client.get("/api/tasks", headers=office).json()
        assert len(tasks) == 10

        # down between two requests
        proxy.stop()
        assert _down(client.get("/api/tasks", headers=office))
        answer = client.post("/api/ask", json={"question": "旧冰箱怎么处理？"}).json()
        assert answer["warnings"] == ["registry_unavailable"]
        proxy.start()
        assert client.get("/api/tasks", headers=office).status_code == 200

        # down in the middle of a request that writes: nothing is half-written
        body = {
            "status": "进行中",
            "note": "断线时的填报",
            "department": tasks[0]["co_departments"][0],
        }
        with _cut_on(proxy, "INSERT INTO progress_reports"):
            assert _down(
                client.post(f"/api/tasks/{tasks[0]['id']}/progress", json=body, headers=office)
            )
        proxy.start()
        task = client.get(f"/api/tasks/{tasks[0]['id']}", headers=office).json()
        assert task["progress"] == []
        # ... and of one that reads (after the login check; the registry's version is the first
        # thing a read asks for, its views being kept per version)
        with _cut_on(proxy, "FROM audit_log"):
            assert _down(client.get("/api/tasks", headers=office))
        proxy.start()
        retried = client.post(f"/api/tasks/{tasks[0]['id']}/progress", json=body, headers=office)
        assert retried.status_code == 201


class _cut_on:
    """Stop the proxy just before the first statement containing ``sql`` reaches the database."""

    def __init__(self, proxy: TcpProxy, sql: str) -> None:
        self.proxy, self.sql, self.cut = proxy, sql, False

    def _before(self, _conn, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        if not self.cut and self.sql in statement:
            self.cut = True
            self.proxy.stop()

    def __enter__(self) -> None:
        event.listen(Engine, "before_cursor_execute", self._before)

    def __exit__(self, *_exc: object) -> None:
        event.remove(Engine, "before_cursor_execute", self._before)
        assert self.cut, f"no statement with {self.sql!r} ran"
