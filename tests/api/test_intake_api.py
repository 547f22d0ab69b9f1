"""Uploading and reviewing over HTTP: office accounts only, Chinese errors, nothing half done."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from assistant.services import Services
from bench.scans import DPI, FONT, plan_paragraphs, render_page, scanned
from tests.api.conftest import bearer, make_user
from tests.conftest import fixed_services, make_settings

PLAN = Path(__file__).resolve().parents[1] / "data" / "plans" / "table-plan.docx"


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Services:
    return fixed_services(make_settings(tmp_path_factory.mktemp("intake-api"), embedding_cache))


@pytest.fixture(scope="module")
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services, session_secret="test-secret")) as test_client:
        yield test_client


def _upload(client: TestClient, headers: dict[str, str], name: str, data: bytes, **form: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/drafts", headers=headers, files={"file": (name, data)}, data=form or None
    )


def _publish_a_plan(services: Services) -> None:
    """A small plan in the ledger and the index (each test may run on a worker of its own)."""
    note = "一、任务\n1.推广屋顶光伏。（县发改局牵头）\n".encode()
    setup = services.intake.upload("甲县方案.txt", note, {"title": "甲县方案"}, actor="专班办")
    services.intake.publish(setup.id, actor="专班办")


def test_only_the_office_uploads_and_reviews(client: TestClient, services: Services) -> None:
    assert _upload(client, {}, "a.docx", PLAN.read_bytes()).status_code == 401
    _publish_a_plan(services)  # a department account needs its unit in the ledger
    department = bearer(client, make_user(services, "department", "县发改局"))
    refused = _upload(client, department, "a.docx", PLAN.read_bytes())
    assert refused.status_code == 403 and "专班办公室" in refused.json()["error"]
    assert client.get("/api/drafts", headers=department).status_code == 403
    assert client.get("/api/sources", headers=department).status_code == 403


def test_upload_edit_and_publish(client: TestClient, services: Services) -> None:
    office = bearer(client, make_user(services, "office"))
    created = _upload(
        client, office, "任务分解表.docx", PLAN.read_bytes(), title="某县任务分解表", level="县"
    )
    assert created.status_code == 201, created.text
    draft = created.json()
    assert draft["status"] == "draft" and draft["measures"]
    first = draft["measures"][0]
    url = f"/api/drafts/{draft['id']}/measures/{quote(first['key'])}"
    edited = client.patch(url, headers=office, json={"fields": {"leads": ["县发改局"]}})
    assert edited.status_code == 200, edited.text
    assert edited.json()["measures"][0]["leads"] == ["县发改局"]
    wrong = client.patch(url, headers=office, json={"fields": {"text": "改写原文"}})
    assert wrong.status_code == 400 and "只能修改" in wrong.json()["error"]
    listed = client.get("/api/drafts", headers=office).json()
    assert draft["id"] in [d["id"] for d in listed]

    published = client.post(f"/api/drafts/{draft['id']}/publish", headers=office)
    assert published.status_code == 200, published.text
    body = published.json()
    assert body["indexed"] and body["ledger"]["tasks"] == len(draft["measures"])
    tasks = services.registry.tasks(document=draft["source_id"])
    assert tasks[0].lead_departments == ("县发改局",)
    again = client.post(f"/api/drafts/{draft['id']}/publish", headers=office)
    assert again.status_code == 400 and "已发布" in again.json()["error"]
    assert draft["id"] not in [d["id"] for d in client.get("/api/drafts", headers=office).json()]


def test_a_bad_file_gets_a_chinese_message(client: TestClient, services: Services) -> None:
    office = bearer(client, make_user(services, "office"))
    before = services.registry.documents()
    response = _upload(client, office, "损坏的方案.pdf", b"%PDF-1.7\n1 0 obj <<" + bytes(300))
    assert response.status_code == 400
    assert "损坏的方案.pdf" in response.json()["error"]
    assert "Traceback" not in response.text
    assert services.registry.documents() == before
    missing = client.get("/api/drafts/999999", headers=office)
    assert missing.status_code == 400 and "没有编号为 999999 的草稿" in missing.json()["error"]


def test_questions_are_answered_while_a_scan_is_read(
    client: TestClient, services: Services, tmp_path: Path
) -> None:
    """OCR runs in a worker thread: a question asked meanwhile is answered before it ends."""
    if not FONT.exists():
        pytest.skip("需要 fonts-wqy-microhei（apt-get install fonts-wqy-microhei）")
    _publish_a_plan(services)  # questions need an index
    office = bearer(client, make_user(services, "office"))
    first, second = (scanned(render_page(plan_paragraphs(n), title=n == 0)) for n in range(2))
    scan = io.BytesIO()
    first.save(scan, "PDF", resolution=DPI, save_all=True, append_images=[second])
    uploaded: list[int] = []
    reading = threading.Thread(
        target=lambda: uploaded.append(
            _upload(client, office, "扫描件.pdf", scan.getvalue(), title="扫描件").status_code
        )
    )
    reading.start()
    answer = client.post("/api/ask", json={"question": "屋顶光伏谁牵头？"}, headers=office)
    still_reading = reading.is_alive()
    reading.join()
    assert answer.status_code == 200 and still_reading
    assert uploaded == [201]
    draft = services.intake.drafts.list()[0]
    assert services.intake.drafts.get(draft.id).ocr
