"""Registry commands through the real CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.conftest import CORPUS


@pytest.fixture
def cli(tmp_path: Path, database_url: str | None, embedding_cache: Path):  # type: ignore[no-untyped-def]
    env = {
        **os.environ,
        "POLICYQA_DATA_DIR": str(tmp_path / "data"),
        "POLICYQA_CORPUS_DIR": str(CORPUS),
        "POLICYQA_CACHE_DIR": str(embedding_cache),
    }
    if database_url:
        env["POLICYQA_DATABASE_URL"] = database_url

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-m", "assistant", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if ok:
            assert result.returncode == 0, result.stderr
        return result

    # the county plan alone: the ledger commands need no other text indexed
    ingest = run("ingest", str(CORPUS / "xiangyin-shuangtan-plan.txt"))
    assert "台账更新：任务 10 项" in ingest.stdout
    return run


def test_tasks_of_the_forestry_bureau(cli) -> None:  # type: ignore[no-untyped-def]
    tasks = json.loads(cli("tasks", "--department", "林业局", "--json").stdout)
    assert [t["clause"] for t in tasks] == ["二、（一）4.", "二、（二）5.", "二、（三）"]
    assert all("县林业局" in t["co_departments"] and t["lead_departments"] == [] for t in tasks)
    assert set(tasks[0]) == {
        "id",
        "document",
        "source_id",
        "clause",
        "title",
        "text",
        "lead_departments",
        "co_departments",
        "open_ended",
        "status",
        "flags",
        "deadline",
        "conventions",
        "targets",
        "milestones",
        "progress",
    }
    assert tasks[0]["open_ended"] is True


def test_targets_in_json(cli) -> None:  # type: ignore[no-untyped-def]
    tasks = {t["clause"]: t for t in json.loads(cli("tasks", "--json").stdout)}
    assert len(tasks) == 10
    assert {
        "text": "至2030年新增公用充电桩1107个",
        "value": 1107,
        "unit": "个",
        "year": 2030,
    } in tasks["二、（一）2."]["targets"]


def test_taskforce_and_departments(cli) -> None:  # type: ignore[no-untyped-def]
    force = json.loads(cli("taskforce", "--json").stdout)
    assert force["convener"] == "县政府办分管副主任"
    assert force["office"] == "县发改局"
    assert len(force["members"]) == 19
    departments = {d["name"]: d for d in json.loads(cli("departments", "--json").stdout)}
    assert "发改委" in departments["县发改局"]["aliases"]
    assert {t["role"] for t in departments["市生态环境局湘阴分局"]["tasks"]} == {"牵头", "配合"}


def test_milestone_progress_due_and_export(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    task_id = str(json.loads(cli("tasks", "--department", "林业局", "--json").stdout)[0]["id"])
    assert (
        "已添加里程碑" in cli("milestone", "add", task_id, "--due", "2020-01-31", "完成摸底").stdout
    )
    added = cli(
        "progress", "add", task_id, "--department", "林业局", "--status", "进行中", "摸底过半"
    )
    assert "县林业局 进行中 摸底过半" in added.stdout
    due = json.loads(cli("due", "--within", "30d", "--json").stdout)
    assert due[0]["description"] == "完成摸底" and due[0]["status"] == "逾期"
    xlsx = cli("export", "--format", "xlsx", "-o", str(tmp_path / "台账.xlsx")).stdout.strip()
    sheet = load_workbook(xlsx).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("序号", "文件", "条款", "任务") and len(rows) == 11
    forestry = dict(zip(rows[0], next(r for r in rows if r[2] == "二、（一）4."), strict=True))
    assert "完成摸底" in forestry["里程碑"] and "摸底过半" in forestry["最新进展"]

    path = cli("export", "--format", "csv", "-o", str(tmp_path / "台账.csv")).stdout.strip()
    with open(path, encoding="utf-8-sig") as handle:
        assert len(list(csv.reader(handle))) == 11

    # the 督办 status: a milestone of 2020 is overdue on any day the suite runs
    overdue = {t["id"]: t for t in json.loads(cli("tasks", "--status", "逾期", "--json").stdout)}
    assert overdue[int(task_id)]["status"] == "逾期"
    listed = cli("tasks", "--department", "林业局", "--status", "逾期").stdout
    assert f"[{task_id}] 【逾期" in listed and "完成摸底（逾期）" in listed
    [report] = overdue[int(task_id)]["progress"]
    returned = cli(
        "progress", "review", str(report["id"]), "--return", "--comment", "请补充乡镇名单"
    )
    assert f"进展 #{report['id']}（县林业局）已退回" in returned.stdout
    no_comment = cli("progress", "review", str(report["id"]), "--return", ok=False)
    assert no_comment.returncode == 1 and "请写明退回意见" in no_comment.stderr
    urged = cli("urge", "--department", "林业局").stdout
    assert "县林业局：" in urged and "未绑定群聊，未发送" in urged
    closed = cli("task", "close", task_id, "--note", "摸底报告已印发").stdout
    assert "【已完成】" in closed and "办结：" in closed and "摸底报告已印发" in closed
    assert int(task_id) not in {
        t["id"] for t in json.loads(cli("tasks", "--status", "逾期", "--json").stdout)
    }
    bad_status = cli("tasks", "--status", "超期", ok=False)
    assert bad_status.returncode == 1 and "状态只能是" in bad_status.stderr


def test_bad_input_gets_a_chinese_message(cli) -> None:  # type: ignore[no-untyped-def]
    unknown = cli("tasks", "--department", "县林业", ok=False)
    assert unknown.returncode == 1 and "您是否要找：县林业局" in unknown.stderr
    bad_date = cli("milestone", "add", "1", "--due", "2026/01/01", "x", ok=False)
    assert bad_date.returncode == 2 and "YYYY-MM-DD" in bad_date.stderr
    no_task = cli("milestone", "add", "999", "--due", "2026-01-01", "x", ok=False)
    assert no_task.returncode == 1 and "没有编号为 999 的任务" in no_task.stderr
    assert "Traceback" not in unknown.stderr + bad_date.stderr + no_task.stderr
