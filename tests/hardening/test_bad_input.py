"""Bad input on the API, the pages and the CLI: an answer or a clear Chinese message, never a
stack trace or a 500; markup is shown as text."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from api.app import HERE as API_DIR
from assistant.models import Kind
from assistant.services import Services
from assistant.settings import Settings
from policyqa import cli
from policyqa.storage import build_registry
from registry.export import write_csv, write_xlsx
from retrieval.ingest import parse_source
from retrieval.sources import Source
from tests.api.conftest import PASSWORD, bearer, make_user
from tests.conftest import CORPUS

KINDS = set(Kind.__args__)  # type: ignore[attr-defined]
HUGE = "充电桩" * 33_334  # 100,002 characters
QUESTIONS = [
    "",
    " ",
    "\t\n\u3000 ",
    "\x00",
    "充电桩\x00\x01\x1b[31m\x7f",
    "\u202e反转文字\u200b\ufeff",
    "🚗⚡️充电桩🔌怎么装？",
    "🙂" * 500,
    "充電樁 charging pile 充电桩 зарядка 충전기",
    "ｃｈａｒｇｉｎｇ　到２０３０年新增多少公用充电桩？",
    "'; DROP TABLE tasks;--",
    "林业局' OR '1'='1",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">秸秆禁烧谁牵头',
    "**加粗** [点我](javascript:alert(1)) `code` # 标题 | 表格 |",
    "{{7*7}} ${7*7} %s%n%x",
    "../../../etc/passwd",
    "秸秆禁烧谁牵头？" * 300,  # 2,400 characters: over the API's limit
    "a" * 100_000,
    HUGE,
]
MARKUP = '<script>alert("x")</script><img src=x onerror=alert(2)>'
HAN = re.compile(r"[\u4e00-\u9fff]")


def chinese_error(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) == {"error"} and HAN.search(body["error"]), body
    return body["error"]


@pytest.fixture
def office(client: TestClient, services: Services) -> dict[str, str]:
    return bearer(client, make_user(services, "office"))


def test_odd_questions_get_an_answer_or_a_chinese_error(
    client: TestClient, office: dict[str, str]
) -> None:
    for question in QUESTIONS:
        for audience, headers in (("public", {}), ("official", office)):
            body = {"question": question, "audience": audience}
            response = client.post("/api/ask", json=body, headers=headers)
            if not question:
                assert response.status_code == 422 and "问题" in chinese_error(response)
            elif len(question.encode()) > 64 * 1024:  # over the body limit: refused unread
                assert response.status_code == 413
                assert "请求内容过大（最多 64 KB）" in chinese_error(response)
            elif len(question) > 2000:
                assert response.status_code == 422
                assert "问题过长（最多 2000 字）" in chinese_error(response)
            else:
                assert response.status_code == 200, (question[:20], response.text)
                answer = response.json()
                assert answer["answer"].strip() and answer["kind"] in KINDS
        if len(question) < 10_000:  # a longer URL never leaves the client
            found = client.get("/api/search", params={"q": question})
            assert found.status_code == (200 if 0 < len(question) <= 2000 else 422), question[:20]


def test_odd_questions_stream_too(client: TestClient) -> None:
    for question in ("\x00", MARKUP, "🙂" * 500):
        with client.stream("POST", "/api/ask/stream", json={"question": question}) as response:
            text = "".join(response.iter_text())
        assert response.status_code == 200 and text.rstrip().endswith("}")
        assert "event: done" in text


MALFORMED = [
    b"",
    b"not json",
    b"\xff\xfe\x00",
    b"[]",
    b'"just a string"',
    b"[" * 100_000,
    b'{"question": 123}',
    b'{"question": null}',
    b'{"question": ["a"]}',
    b'{"question": 1e999}',
    b"{}",
    b'{"question": "\\ud800\\u5145\\u7535"}',  # a lone surrogate
    b'{"question": "x", "audience": "admin"}',
    b'{"question": "x", "conversation_id": "' + b"c" * 65 + b'"}',
]


def test_malformed_bodies_get_a_chinese_error(client: TestClient) -> None:
    for content in MALFORMED:
        for content_type in ("application/json", "text/plain"):
            response = client.post(
                "/api/ask", content=content, headers={"content-type": content_type}
            )
            assert response.status_code in (400, 413, 422), (content[:30], response.text)
            chinese_error(response)


def test_unknown_routes_and_methods_answer_in_chinese(client: TestClient) -> None:
    assert chinese_error(client.get("/api/nothing")) == "找不到请求的地址。"
    assert chinese_error(client.delete("/api/tasks")) == "不支持该请求方法。"
    assert chinese_error(client.get("/static/missing.js")) == "找不到请求的地址。"


BAD_IDS = ["0", "-1", "2147483648", "99999999999999999999", "abc", "1e3", "１", "1;DROP", "%00"]


def test_bad_ids_on_every_ledger_route(client: TestClient, office: dict[str, str]) -> None:
    for bad in BAD_IDS:
        for method, path, body in (
            ("GET", f"/api/tasks/{bad}", None),
            ("POST", f"/api/tasks/{bad}/milestones", {"due": "2027-01-01", "description": "x"}),
            ("POST", f"/api/milestones/{bad}/complete", None),
            ("POST", f"/api/tasks/{bad}/progress", {"status": "进行中", "department": "林业局"}),
        ):
            response = client.request(method, path, json=body, headers=office)
            assert response.status_code in (400, 404, 422), (method, path, response.text)
            chinese_error(response)


BAD_DATES = ["2026-13-01", "2026-02-30", "0000-01-01", "10000-01-01", "2026/01/01", "", "明天"]


def test_bad_dates_and_fields(client: TestClient, office: dict[str, str]) -> None:
    task = client.get("/api/tasks", headers=office).json()[0]["id"]
    for due in [*BAD_DATES, 20260101, None, ["2026-01-01"]]:
        response = client.post(
            f"/api/tasks/{task}/milestones", json={"due": due, "description": "x"}, headers=office
        )
        assert response.status_code == 422 and "日期" in chinese_error(response), due
    for description in ("", "   ", "说" * 501):
        response = client.post(
            f"/api/tasks/{task}/milestones",
            json={"due": "2027-01-01", "description": description},
            headers=office,
        )
        assert response.status_code in (400, 422) and "说明" in chinese_error(response)
    for within in ("-1", "3651", "abc", "99999999999999999999"):
        response = client.get("/api/due", params={"within": within}, headers=office)
        assert response.status_code == 422 and "天数" in chinese_error(response)
    for department in ("'; DROP TABLE tasks;--", "\x00", "林" * 3000, "<b>x</b>"):
        response = client.get("/api/tasks", params={"department": department}, headers=office)
        assert response.status_code == 400 and "责任单位" in chinese_error(response)
    assert client.get("/api/export", params={"format": "pdf"}, headers=office).status_code == 422
    # the far ends of the calendar are dates like any other
    for due in ("0001-01-01", "9999-12-31"):
        response = client.post(
            f"/api/tasks/{task}/milestones", json={"due": due, "description": "x"}, headers=office
        )
        assert response.status_code == 201
    assert client.get("/api/due", params={"within": 3650}, headers=office).status_code == 200


def _login(client: TestClient, username: str) -> None:
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303


def test_markup_is_shown_as_text_on_the_pages(client: TestClient, services: Services) -> None:
    name = f"<b>office</b>-{uuid.uuid4().hex[:8]}"
    services.accounts.add_user(name, PASSWORD, role="office", department=None)
    headers = bearer(client, name)
    task = client.get("/api/tasks", headers=headers).json()[0]
    client.post(
        f"/api/tasks/{task['id']}/milestones",
        json={"due": "2027-03-01", "description": MARKUP},
        headers=headers,
    )
    client.post(
        f"/api/tasks/{task['id']}/progress",
        json={"status": "进行中", "note": MARKUP, "department": task["co_departments"][0]},
        headers=headers,
    )
    _login(client, name)
    pages = [
        client.get("/dashboard").text,
        client.get("/dashboard", params={"section": MARKUP}).text,
        client.get("/official").text,
        client.get("/login", params={"next": f'/"><script>alert(1)</script>{MARKUP}'}).text,
    ]
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>office" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in pages[0]
    assert "&lt;b&gt;office&lt;/b&gt;" in pages[2]


def test_pages_never_render_markup_from_data() -> None:
    """Autoescape stays on in every template, and the scripts write text, never HTML."""
    for template in (API_DIR / "templates").glob("*.html"):
        source = template.read_text("utf-8")
        assert "|safe" not in source.replace(" ", "") and "autoescape false" not in source
    for script in (API_DIR / "static").glob("*.js"):
        source = script.read_text("utf-8")
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", source)
    chat = (API_DIR / "static" / "chat.js").read_text("utf-8")
    assert "li.textContent = text" in chat and "createTextNode(c.text)" in chat
    assert "li.textContent = data.answer" in chat and "li.textContent += data" in chat


# -- the CLI ------------------------------------------------------------------------------------


def _cli(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", *args],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_bad_input_on_the_command_line(plan_services: Services, tmp_path: Path) -> None:
    settings = plan_services.settings
    env = {
        **os.environ,
        "POLICYQA_DATA_DIR": str(settings.data_dir),
        "POLICYQA_CORPUS_DIR": str(CORPUS),
        "POLICYQA_CACHE_DIR": str(settings.embedding_cache.parent),
        # a registry of its own: these commands write
        "POLICYQA_DATABASE_URL": f"sqlite:///{tmp_path / 'registry.sqlite3'}",
    }
    # one line of stdin per kind of odd question (NUL cannot be passed to a process)
    lines = ["", " \t\u3000 ", "充电桩\x01\x1b[31m\x7f", *QUESTIONS[6:15:2], HUGE]
    stdin = "\n".join(lines) + "\n"
    # started together: most of each run is importing
    runs = {
        "ask": (_cli(env, "ask", "-", "--json"), stdin),
        "search": (_cli(env, "search", "-", "-k", "2"), stdin),
        "tasks": (_cli(env, "tasks", "--department", "'; DROP TABLE tasks;--"), None),
        "milestone": (
            _cli(env, "milestone", "add", "99999999999999999999", "--due", "2027-01-01", MARKUP),
            None,
        ),
        # mistyped commands: click's English usage errors, said in Chinese
        "misspelt option": (_cli(env, "tasks", "--departmen", "林业局"), None),
        "missing argument": (_cli(env, "milestone", "add"), None),
        "not a number": (_cli(env, "search", "-k", "十", "充电桩"), None),
        "no such command": (_cli(env, "taks"), None),
    }
    results = {
        name: (proc, *proc.communicate(text, timeout=300)) for name, (proc, text) in runs.items()
    }
    for name, (_, out, err) in results.items():
        assert "Traceback" not in out + err, (name, err)
    proc, out, err = results["ask"]
    assert proc.returncode == 0 and len(out.splitlines()) == len(lines), err
    assert "请输入您想了解的问题" in out.splitlines()[0]
    proc, out, err = results["search"]
    assert proc.returncode == 0 and len(out.splitlines()) == len(lines), err
    proc, out, err = results["tasks"]
    assert proc.returncode == 1 and "没有名为“'; DROP TABLE tasks;--”的责任单位" in err
    proc, out, err = results["milestone"]
    assert proc.returncode == 1 and "没有编号为 99999999999999999999 的任务" in err
    for name, expected in (
        ("misspelt option", "没有这个选项：--departmen（是不是 --department？）"),
        ("missing argument", "缺少参数：task_id"),
        ("not a number", "参数 -k 的值无效"),
        ("no such command", "没有这个命令"),
    ):
        proc, out, err = results[name]
        assert proc.returncode == 2 and err.startswith(f"错误：{expected}"), (name, err)
        assert "用法见：" in err and "Usage" not in err
    # a parameter error happens before any work: in-process is the same
    due = CliRunner().invoke(cli.app, ["due", "--within", "99999999999999"], env=env)
    assert due.exit_code == 2 and "期限格式应为天数" in due.output


# -- the ledger export ----------------------------------------------------------------------------


def test_the_export_survives_pasted_text(client: TestClient, office: dict[str, str]) -> None:
    """Word's manual line break (\\x0b) pasted into a note once made the xlsx export a 500."""
    task = client.get("/api/tasks", headers=office).json()[1]
    note = "第一行\x0b第二行\x07\x00 =1+1"
    client.post(
        f"/api/tasks/{task['id']}/progress",
        json={"status": "进行中", "note": note, "department": task["co_departments"][0]},
        headers=office,
    )
    exports = {
        fmt: client.get("/api/export", params={"format": fmt}, headers=office)
        for fmt in ("xlsx", "csv")
    }
    assert [r.status_code for r in exports.values()] == [200, 200]
    header, *rows = load_workbook(io.BytesIO(exports["xlsx"].content)).active.iter_rows(
        values_only=True
    )
    progress = header.index("最新进展")
    assert any("第一行第二行 =1+1" in (row[progress] or "") for row in rows)


def test_the_export_never_holds_a_formula(tmp_path: Path) -> None:
    """A document's text that reads like a formula stays text in the office's spreadsheet."""
    registry = build_registry(Settings(_env_file=None, data_dir=tmp_path, corpus_dir=CORPUS))
    formula = '=HYPERLINK("http://example.com","点我")'
    blocks = ["某县方案", "一、任务", f"1.{formula}。到2027年新增光伏30兆瓦。（县发改局负责）"]
    source = Source(id="formula", title="某县方案")
    document = parse_source(blocks, source)
    registry.sync_document(source_id="formula", title="某县方案", level="县", document=document)
    tasks, day = registry.tasks(), registry.day()
    sheet = load_workbook(write_xlsx(tasks, tmp_path / "台账.xlsx", day=day)).active
    title = sheet.cell(2, 4)
    assert title.value == formula and title.data_type == "s"
    with write_csv(tasks, tmp_path / "台账.csv", day=day).open(encoding="utf-8-sig") as handle:
        assert list(csv.reader(handle))[1][3] == f"'{formula}"
