"""The registry over HTTP: who may read and write what."""

from __future__ import annotations

from io import BytesIO

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from assistant.services import Services
from tests.api.conftest import bearer, make_user


def _task(client: TestClient, headers: dict[str, str], clause: str) -> dict:
    return next(
        t for t in client.get("/api/tasks", headers=headers).json() if t["clause"] == clause
    )


def test_registry_needs_a_login(client: TestClient) -> None:
    for path in ("/api/tasks", "/api/departments", "/api/taskforce", "/api/due", "/api/export"):
        response = client.get(path)
        assert response.status_code == 401 and response.json() == {"error": "请先登录。"}, path
    bad = client.get("/api/tasks", headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401 and "重新登录" in bad.json()["error"]


def test_office_edits_milestones(client: TestClient, plan_services: Services) -> None:
    office = bearer(client, make_user(plan_services, "office"))
    task = _task(client, office, "二、（一）2.")
    created = client.post(
        f"/api/tasks/{task['id']}/milestones",
        json={"due": "2027-06-30", "description": "完成充电桩选址"},
        headers=office,
    )
    assert created.status_code == 201 and created.json()["status"] == "正常"
    assert "完成充电桩选址" in [
        m["description"] for m in _task(client, office, "二、（一）2.")["milestones"]
    ]
    done = client.post(f"/api/milestones/{created.json()['id']}/complete", headers=office)
    assert done.json()["status"] == "已完成"
    assert client.get("/api/taskforce", headers=office).json()["office"] == "县发改局"


def test_department_reports_only_its_own_tasks(client: TestClient, plan_services: Services) -> None:
    forestry = bearer(client, make_user(plan_services, "department", "县林业局"))
    own = _task(client, forestry, "二、（一）4.")
    other = _task(client, forestry, "二、（一）2.")
    ok = client.post(
        f"/api/tasks/{own['id']}/progress",
        json={"status": "进行中", "note": "碳汇摸底过半"},
        headers=forestry,
    )
    assert ok.status_code == 201 and ok.json()["department"] == "县林业局"
    refused = client.post(
        f"/api/tasks/{other['id']}/progress",
        json={"status": "进行中", "note": "x"},
        headers=forestry,
    )
    assert refused.status_code == 403 and "县林业局不是任务" in refused.json()["error"]
    impersonating = client.post(
        f"/api/tasks/{own['id']}/progress",
        json={"status": "进行中", "note": "x", "department": "发改委"},
        headers=forestry,
    )
    assert impersonating.status_code == 403
    milestone = client.post(
        f"/api/tasks/{own['id']}/milestones",
        json={"due": "2027-01-01", "description": "x"},
        headers=forestry,
    )
    assert milestone.status_code == 403 and "专班办公室" in milestone.json()["error"]
    notes = [p["note"] for p in _task(client, forestry, "二、（一）2.")["progress"]]
    assert "x" not in notes


def test_office_reports_for_a_named_unit(client: TestClient, plan_services: Services) -> None:
    office = bearer(client, make_user(plan_services, "office"))
    task = _task(client, office, "二、（二）3.")
    missing = client.post(
        f"/api/tasks/{task['id']}/progress", json={"status": "滞后"}, headers=office
    )
    assert missing.status_code == 400 and "责任单位" in missing.json()["error"]
    wrong = client.post(
        f"/api/tasks/{task['id']}/progress",
        json={"status": "滞后", "department": "县林业局"},
        headers=office,
    )
    assert wrong.status_code == 400 and "不是任务" in wrong.json()["error"]
    bad_status = client.post(
        f"/api/tasks/{task['id']}/progress",
        json={"status": "还行", "department": "环保局"},
        headers=office,
    )
    assert bad_status.status_code == 422


def test_export_xlsx(client: TestClient, plan_services: Services) -> None:
    office = bearer(client, make_user(plan_services, "office"))
    response = client.get("/api/export", params={"format": "xlsx"}, headers=office)
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 11 and rows[0][2] == "条款"
