"""The 任务台账 export over the supervision ledger: the accepted report is the one shown, who
filed it, the 督办状态, every report on a second sheet, filters on both sheets."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from openpyxl import load_workbook

from registry.export import COLUMNS, write_csv, write_xlsx
from tests.supervision_ledger import RETURN_COMMENT, build_ledger


def test_the_export_shows_accepted_reports_and_the_history(
    tmp_path: Path, embedding_cache: Path
) -> None:
    ledger = build_ledger(tmp_path / "ledger", embedding_cache)
    registry, office = ledger.services.registry, "专班办公室"
    transport = registry.task(ledger.tasks["一、（一）2."])
    # 09-01 accepted, then a newer report not yet reviewed, filed by the office for the unit
    ledger.services.supervision.review(transport.progress[0].id, accept=True, actor=office)
    registry.add_progress(
        transport.id,
        department="县交通运输局",
        status="滞后",
        note="选址未定",
        reporter="办公室张三",
        on=dt.date(2026, 9, 14),
        on_behalf=True,
    )
    tasks, day = registry.tasks(), registry.day()
    book = load_workbook(write_xlsx(tasks, tmp_path / "台账.xlsx", day=day))
    assert book.sheetnames == ["任务台账", "进展记录"]
    header, *rows = book["任务台账"].iter_rows(values_only=True)
    assert header == COLUMNS
    by_clause = {row[2]: dict(zip(header, row, strict=True)) for row in rows}
    assert by_clause["一、（一）2."]["最新进展"] == "2026-09-01 县交通运输局：进行中 按计划推进"
    assert by_clause["一、（一）2."]["填报人"] == "县交通运输局"
    assert by_clause["一、（一）1."]["最新进展"].endswith("按计划推进（待审核）")
    assert by_clause["一、（一）1."]["填报人"] == "县发改局"
    assert not by_clause["一、（二）5."]["最新进展"]  # its only report was returned
    assert {clause: row["督办状态"] for clause, row in by_clause.items()} == {
        "一、（一）1.": "临期",
        "一、（一）2.": "正常",
        "一、（一）3.": "未设节点",
        "一、（二）4.": "逾期",
        "一、（二）5.": "未报送",
        "一、（二）6.": "已完成",
    }

    history, *reports = book["进展记录"].iter_rows(values_only=True)
    assert len(reports) == 6  # every report, the returned one too
    records = [dict(zip(history, row, strict=True)) for row in reports]
    returned = next(r for r in records if r["条款"] == "一、（二）5.")
    assert returned["审核状态"] == "已退回" and returned["审核意见"] == RETURN_COMMENT
    assert returned["审核人"] == office
    filed = next(r for r in records if r["进展说明"] == "选址未定")
    assert filed["填报人"] == "办公室张三" and filed["办公室代填"] == "是"
    assert filed["审核状态"] == "待审核" and filed["填报日期"] == "2026-09-14"
    assert book["任务台账"].auto_filter.ref == "A1:L7"
    assert book["进展记录"].auto_filter.ref == "A1:L7"

    with write_csv(tasks, tmp_path / "台账.csv", day=day).open(encoding="utf-8-sig") as handle:
        csv_header, *csv_rows = list(csv.reader(handle))
    assert tuple(csv_header) == COLUMNS
    assert [tuple(row) for row in csv_rows] == [tuple(c or "" for c in r) for r in rows]
