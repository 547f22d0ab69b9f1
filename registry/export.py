"""The 任务台账 as a county office prints it: one row per task, as xlsx or csv."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font

from registry.views import TaskView

COLUMNS = (
    "序号", "文件", "条款", "任务", "牵头单位", "责任单位", "完成时限", "目标指标", "里程碑", "最新进展",
)  # fmt: skip
_WIDTHS = (6, 24, 12, 26, 20, 40, 16, 40, 36, 36)
# What a spreadsheet would run as a formula rather than show ("=HYPERLINK(…)" in a note).
_FORMULA = ("=", "+", "-", "@")


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def ledger_rows(tasks: Sequence[TaskView]) -> list[tuple[str, ...]]:
    rows = []
    for n, task in enumerate(tasks, 1):
        co = "、".join(task.co_departments) + ("等" if task.open_ended else "")
        targets = "\n".join(t.text for t in task.targets)
        milestones = "\n".join(
            f"{m.due.isoformat()} {m.description}（{m.status}）" for m in task.milestones
        )
        latest = task.progress[-1] if task.progress else None
        progress = (
            f"{latest.reported_on.isoformat()} {latest.department}：{latest.status} {latest.note}".strip()
            if latest
            else ""
        )
        cells = (
            str(n),
            task.document,
            task.clause,
            task.title,
            "、".join(task.lead_departments),
            co,
            task.deadline.text if task.deadline else "",
            targets,
            milestones,
            progress,
        )
        # xlsx refuses control characters (a note pasted from Word can hold its line break \x0b)
        rows.append(tuple(ILLEGAL_CHARACTERS_RE.sub("", cell) for cell in cells))
    return rows


def write_xlsx(tasks: Sequence[TaskView], path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "任务台账"
    sheet.append(COLUMNS)
    for row in ledger_rows(tasks):
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            cell.data_type = "s"  # text, even when it reads like a formula
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, width in enumerate(_WIDTHS, 1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def write_csv(tasks: Sequence[TaskView], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # utf-8-sig: Excel on Windows opens it as UTF-8
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        # a leading ' is how a spreadsheet is told that a cell is text, not a formula
        writer.writerows(
            tuple(f"'{cell}" if cell.startswith(_FORMULA) else cell for cell in row)
            for row in ledger_rows(tasks)
        )
    return path
