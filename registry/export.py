"""The 任务台账 as a county office prints it: one row per task, as xlsx or csv; the workbook has a
second sheet with every progress report and its review."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from registry.supervision import Day, report_line, shown_report
from registry.views import TaskView

COLUMNS = (
    "序号", "文件", "条款", "任务", "牵头单位", "责任单位", "完成时限", "目标指标", "里程碑",
    "督办状态", "最新进展", "填报人",
)  # fmt: skip
_WIDTHS = (6, 24, 12, 26, 20, 40, 16, 40, 36, 10, 40, 14)
HISTORY_COLUMNS = (
    "文件", "条款", "任务", "填报单位", "填报日期", "进展状态", "进展说明", "填报人", "办公室代填",
    "审核状态", "审核意见", "审核人",
)  # fmt: skip
_HISTORY_WIDTHS = (24, 12, 26, 18, 12, 10, 40, 14, 10, 10, 30, 14)
# What a spreadsheet would run as a formula rather than show ("=HYPERLINK(…)" in a note).
_FORMULA = ("=", "+", "-", "@")


def clean_cells(cells: Iterable[str]) -> tuple[str, ...]:
    # xlsx refuses control characters (a note pasted from Word can hold its line break \x0b)
    return tuple(ILLEGAL_CHARACTERS_RE.sub("", cell) for cell in cells)


def ledger_rows(tasks: Sequence[TaskView], day: Day) -> list[tuple[str, ...]]:
    """The 最新进展 is the latest accepted report, else the latest not returned (待审核)."""
    rows = []
    for n, task in enumerate(tasks, 1):
        co = "、".join(task.co_departments) + ("等" if task.open_ended else "")
        milestones = "\n".join(
            f"{m.due.isoformat()} {m.description}（{m.status}）" for m in task.milestones
        )
        shown = shown_report(task, day)
        pending = "（待审核）" if shown and shown.review == "待审核" else ""
        rows.append(
            clean_cells(
                (
                    str(n),
                    task.document,
                    task.clause,
                    task.title,
                    "、".join(task.lead_departments),
                    co,
                    task.deadline.text if task.deadline else "",
                    "\n".join(t.text for t in task.targets),
                    milestones,
                    task.status,
                    report_line(shown) + pending,
                    shown.reporter if shown else "",
                )
            )
        )
    return rows


def history_rows(tasks: Sequence[TaskView]) -> list[tuple[str, ...]]:
    """Every progress report, returned ones too, task by task and oldest first."""
    return [
        clean_cells(
            (
                task.document,
                task.clause,
                task.title,
                p.department,
                p.reported_on.isoformat(),
                p.status,
                p.note,
                p.reporter,
                "是" if p.on_behalf else "",
                p.review,
                p.review_comment,
                p.reviewed_by,
            )
        )
        for task in tasks
        for p in sorted(task.progress, key=lambda p: (p.reported_on, p.id))
    ]


def write_sheet(
    sheet: Worksheet, columns: Sequence[str], widths: Sequence[int], rows: list[tuple[str, ...]]
) -> None:
    sheet.append(columns)
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            cell.data_type = "s"  # text, even when it reads like a formula
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, width in enumerate(widths, 1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions


def write_xlsx(tasks: Sequence[TaskView], path: Path, *, day: Day) -> Path:
    book = Workbook()
    ledger = book.active
    ledger.title = "任务台账"
    write_sheet(ledger, COLUMNS, _WIDTHS, ledger_rows(tasks, day))
    write_sheet(
        book.create_sheet("进展记录"), HISTORY_COLUMNS, _HISTORY_WIDTHS, history_rows(tasks)
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def write_csv(tasks: Sequence[TaskView], path: Path, *, day: Day) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # utf-8-sig: Excel on Windows opens it as UTF-8
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        # a leading ' is how a spreadsheet is told that a cell is text, not a formula
        writer.writerows(
            tuple(f"'{cell}" if cell.startswith(_FORMULA) else cell for cell in row)
            for row in ledger_rows(tasks, day)
        )
    return path
