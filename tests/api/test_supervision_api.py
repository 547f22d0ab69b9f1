"""督办 over HTTP: statuses, the overview, review, 办结, milestone edits and 催办 — and who may
do which (office writes; a leader reads everything and writes nothing; a department reports)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.conftest import bearer, make_user
from tests.supervision_ledger import EXPECTED, RETURN_COMMENT, Ledger, build_ledger


@pytest.fixture
def ledger(tmp_path: Path, embedding_cache: Path) -> Ledger:
    return build_ledger(tmp_path, embedding_cache)


@pytest.fixture
def client(ledger: Ledger) -> Iterator[TestClient]:
    with TestClient(create_app(ledger.services, session_secret="test")) as test_client:
        yield test_client


def test_statuses_and_the_overview_for_office_and_leader(
    client: TestClient, ledger: Ledger
) -> None:
    leader = bearer(client, make_user(ledger.services, "leader"))
    overview = client.get("/api/overview", headers=leader)
    assert overview.status_code == 200
    assert dict(map(tuple, overview.json()["totals"])) == EXPECTED
    overdue = client.get("/api/tasks", params={"status": "逾期"}, headers=leader).json()
    assert [(t["clause"], t["status"], t["flags"]) for t in overdue] == [
        ("一、（二）4.", "逾期", ["逾期", "未报送"])
    ]
    bad = client.get("/api/tasks", params={"status": "超期"}, headers=leader)
    assert bad.status_code == 400 and "状态只能是" in bad.json()["error"]
    department = bearer(client, make_user(ledger.services, "department", "县住建局"))
    refused = client.get("/api/overview", headers=department)
    assert refused.status_code == 403 and "督办总览" in refused.json()["error"]


def test_a_leader_reads_but_cannot_write(client: TestClient, ledger: Ledger) -> None:
    leader = bearer(client, make_user(ledger.services, "leader"))
    task = ledger.services.registry.task(ledger.tasks["一、（一）2."])
    milestone = task.milestones[0].id
    attempts = [
        ("post", f"/api/tasks/{task.id}/progress", {"status": "进行中", "note": "x"}),
        ("post", f"/api/tasks/{task.id}/close", {"note": "x"}),
        ("post", f"/api/progress/{ledger.returned_report}/review", {"accept": True}),
        ("post", "/api/urge", {}),
        ("delete", f"/api/milestones/{milestone}", None),
        ("post", f"/api/milestones/{milestone}/complete", None),
    ]
    for method, path, body in attempts:
        response = client.request(method, path, json=body, headers=leader)
        assert response.status_code == 403, path
    assert ledger.services.registry.task(task.id) == task  # nothing changed


def test_review_close_and_milestones_over_http(client: TestClient, ledger: Ledger) -> None:
    office = bearer(client, make_user(ledger.services, "office"))
    housing = ledger.tasks["一、（二）5."]
    filed = client.post(
        f"/api/tasks/{housing}/progress",
        json={"status": "进行中", "note": "补报", "department": "住建局"},
        headers=office,
    )
    assert filed.status_code == 201 and filed.json()["on_behalf"] is True
    no_comment = client.post(
        f"/api/progress/{filed.json()['id']}/review", json={"accept": False}, headers=office
    )
    assert no_comment.status_code == 400 and "退回意见" in no_comment.json()["error"]
    accepted = client.post(
        f"/api/progress/{filed.json()['id']}/review", json={"accept": True}, headers=office
    )
    assert accepted.json()["review"] == "已采纳" and accepted.json()["notified"] == 0

    department = bearer(client, make_user(ledger.services, "department", "县住建局"))
    mine = client.get(f"/api/tasks/{housing}", headers=department).json()
    returned = next(p for p in mine["progress"] if p["review"] == "已退回")
    assert returned["review_comment"] == RETURN_COMMENT

    pv = ledger.tasks["一、（一）1."]
    first = client.get(f"/api/tasks/{pv}", headers=office).json()["milestones"][0]
    edited = client.patch(
        f"/api/milestones/{first['id']}", json={"description": "完成屋顶资源普查和评估"},
        headers=office,
    )  # fmt: skip
    assert edited.json()["description"] == "完成屋顶资源普查和评估"
    empty = client.patch(f"/api/milestones/{first['id']}", json={}, headers=office)
    assert empty.status_code == 400
    assert client.delete(f"/api/milestones/{first['id']}", headers=department).status_code == 403
    assert client.delete(f"/api/milestones/{first['id']}", headers=office).status_code == 200
    gone = client.get(f"/api/tasks/{pv}", headers=office).json()["milestones"]
    assert first["id"] not in [m["id"] for m in gone]

    closed = client.post(f"/api/tasks/{pv}/close", json={"note": "已建成"}, headers=office)
    assert closed.json()["status"] == "已完成" and closed.json()["closure"]["note"] == "已建成"
    twice = client.post(f"/api/tasks/{pv}/close", json={"note": "再次"}, headers=office)
    assert twice.status_code == 400 and "已于" in twice.json()["error"]
    assert client.post(f"/api/tasks/{pv}/reopen", headers=office).json()["status"] != "已完成"


def test_urging_reports_unbound_departments(client: TestClient, ledger: Ledger) -> None:
    office = bearer(client, make_user(ledger.services, "office"))
    result = client.post("/api/urge", json={}, headers=office).json()
    assert result["queued"] == 0
    assert sorted(result["unbound"]) == ["县住建局", "县机关事务服务中心"]
    one = client.post("/api/urge", json={"department": "交通运输局"}, headers=office)
    assert one.status_code == 400 and "无需催办" in one.json()["error"]
