"""Any plan into the ledger through the real CLI: the JSON contract scripts rely on, and plans that
are bad or odd (no notes, a note without a unit, a scan) — a clear message, nothing lost. Each plan
is listed in the uploads' manifest first: a file no manifest lists stays out of the ledger
(tests/assistant/test_unlisted_documents.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from tests.conftest import CORPUS, list_file

PLANS = Path(__file__).resolve().parents[1] / "data" / "plans"
CONTRACT = {
    "document", "source_id", "clause", "title", "text", "lead_departments", "co_departments",
    "open_ended", "deadline", "targets",
}  # fmt: skip


@pytest.fixture
def cli(tmp_path: Path, embedding_cache: Path):  # type: ignore[no-untyped-def]
    """The CLI on an empty data directory (SQLite)."""
    env = {
        **os.environ,
        "POLICYQA_DATA_DIR": str(tmp_path / "data"),
        "POLICYQA_CORPUS_DIR": str(CORPUS),
        "POLICYQA_CACHE_DIR": str(embedding_cache),
    }

    def run(*args: str | Path, code: int = 0) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-m", "assistant", *map(str, args)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == code, result.stderr
        assert "Traceback" not in result.stderr
        return result

    return run


def _tasks(cli, *args: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return json.loads(cli("tasks", "--json", *args).stdout)


def test_a_plan_in_its_own_words_lists_every_measure(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    list_file(tmp_path / "data", PLANS / "lines-plan.txt", title="临澧县碳达峰行动实施方案")
    ingested = cli("ingest", PLANS / "lines-plan.txt")
    assert "台账更新：任务 17 项" in ingested.stdout
    tasks = _tasks(cli)
    labels = tomllib.loads((PLANS / "lines-plan.toml").read_text("utf-8"))["note"]
    assert len(tasks) == len(labels) == 17
    assert all(set(t) >= CONTRACT for t in tasks)
    assert {t["source_id"] for t in tasks} == {"lines-plan"}
    assert {t["document"] for t in tasks} == {"临澧县碳达峰行动实施方案"}
    for task, label in zip(tasks, labels, strict=True):
        assert label["quote"] in task["text"].replace(" ", "")
        assert set(task["lead_departments"]) == set(label["lead"])
        assert set(task["lead_departments"] + task["co_departments"]) == set(label["units"])
        expected = label.get("deadline")
        got = task["deadline"]
        assert (got and (got["date"] or "", got["kind"])) == (
            expected and (expected["date"], expected["kind"])
        ), task["clause"]
    coal = next(t for t in tasks if t["clause"] == "二、（一）2.")
    assert coal["deadline"] == {"date": "2027-12-31", "kind": "date", "text": "2027年12月底前"}
    assert "牵头单位" not in coal["text"] and "完成时限" not in coal["text"]


def test_task_tables_from_word_and_excel(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    list_file(tmp_path / "data", PLANS / "table-plan.docx")
    cli("ingest", PLANS / "table-plan.docx")
    sheet = tmp_path / "分解表.xlsx"  # a file's name (without suffix) is its document's id
    sheet.write_bytes((PLANS / "table-plan.xlsx").read_bytes())
    list_file(tmp_path / "data", sheet)
    cli("ingest", sheet)
    word = _tasks(cli, "--document", "table-plan")
    assert len(word) == 16 and word[0]["clause"] == "1."
    assert word[0]["lead_departments"] == ["县发改局"]
    assert word[0]["co_departments"] == ["县自然资源局", "县林业局", "国网临澧县供电公司"]
    assert word[0]["deadline"]["date"] == "2027-12-31"
    excel = _tasks(cli, "--document", "分解表")
    assert len(excel) == 16 and excel[-1]["deadline"]["text"] == "到2027年底"
    assert len(_tasks(cli)) == 32  # both documents; neither replaced the other
    assert cli("tasks", "--document", "nope", code=1).stderr.count("台账中没有文档 nope") == 1


def test_a_plan_without_notes_is_indexed_and_said_so(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    list_file(tmp_path / "data", PLANS / "lines-plan.txt")
    cli("ingest", PLANS / "lines-plan.txt")
    plain = tmp_path / "notice.txt"
    plain.write_text(
        "关于做好秸秆禁烧工作的通知\n一、提高认识。各乡镇要高度重视秸秆禁烧工作。\n", "utf-8"
    )
    list_file(tmp_path / "data", plain)
    result = cli("ingest", plain)
    assert "没有找到责任分工" in result.stderr
    assert len(_tasks(cli)) == 17  # the ledger keeps what it had
    assert "秸秆禁烧" in cli("search", "秸秆禁烧", "--json").stdout


def test_a_note_without_a_unit_is_kept_and_reported(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plan = tmp_path / "gap.txt"
    plan.write_text(
        "某县节能工作方案\n1.推进节能改造。（责任单位：）\n2.推广新能源汽车。（县发改局负责）\n",
        "utf-8",
    )
    list_file(tmp_path / "data", plan)
    result = cli("ingest", plan)
    assert "1. 的责任说明没有可识别的单位" in result.stderr
    first, second = _tasks(cli)
    assert first["lead_departments"] == first["co_departments"] == []
    assert second["lead_departments"] == ["县发改局"]


def test_a_scanned_plan_is_refused_and_the_ledger_kept(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    list_file(tmp_path / "data", PLANS / "lines-plan.txt")
    cli("ingest", PLANS / "lines-plan.txt")
    scan = tmp_path / "scan.pdf"
    page = canvas.Canvas(str(scan), pagesize=A4)
    page.rect(100, 500, 300, 200, fill=1)  # a picture of a page: no text layer
    page.save()
    result = cli("ingest", scan, code=1)
    assert "没有文字层" in result.stderr
    assert len(_tasks(cli)) == 17


def test_removing_a_document_leaves_the_others(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    list_file(tmp_path / "data", PLANS / "lines-plan.txt", title="临澧县碳达峰行动实施方案")
    list_file(tmp_path / "data", PLANS / "table-plan.docx")
    cli("ingest", PLANS / "lines-plan.txt")
    cli("ingest", PLANS / "table-plan.docx")
    task = _tasks(cli, "--document", "lines-plan")[0]
    cli(
        "progress", "add", str(task["id"]), "--department", "县发改局", "--status", "进行中", "开工"
    )
    removed = cli("remove", "lines-plan", "--yes")
    assert "任务 17 项已停用" in removed.stdout
    assert {t["source_id"] for t in _tasks(cli)} == {"table-plan"}
    assert len(_tasks(cli)) == 16
    assert "lines-plan" not in cli("documents").stdout
    assert (
        "临澧县碳达峰行动实施方案" not in cli("search", "集中式光伏 太浮山风电场", "--json").stdout
    )
    assert (
        cli("remove", "lines-plan", "--yes", code=1).stderr.strip() == "台账中没有文档 lines-plan"
    )
    # ingested again, it is back with what the office had written
    cli("ingest", PLANS / "lines-plan.txt")
    back = next(t for t in _tasks(cli, "--document", "lines-plan") if t["id"] == task["id"])
    assert back["progress"][0]["note"] == "开工"


def test_a_plan_for_review_reaches_the_ledger_only_when_published(cli) -> None:  # type: ignore[no-untyped-def]
    drafted = cli("ingest", PLANS / "lines-plan.txt", "--draft").stdout
    assert "已生成草稿 1（临澧县碳达峰行动实施方案）：任务 17 项" in drafted
    assert _tasks(cli) == []
    assert "lines-plan\t临澧县碳达峰行动实施方案" in cli("drafts").stdout
    assert "台账任务 17 项" in cli("publish", "1").stdout
    assert len(_tasks(cli)) == 17
    assert "已发布，不能再修改" in cli("publish", "1", code=1).stderr
    assert cli("drafts").stdout.strip() == "没有待审核的草稿。"
