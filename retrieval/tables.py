"""Tables as text blocks; a task-decomposition table (重点任务分解表) as numbered measures.

A table whose header names who is responsible (牵头单位 / 责任单位 / 配合单位 …) is a task table:
each of its rows becomes one numbered block in the form a plan's text takes,
"3. 推进能源绿色低碳转型：加强城乡配电网升级改造……（牵头单位：A；配合单位：B、C；完成时限：2027年12月底前）",
so that one reader of clauses and notes serves plans written as text and as tables. A row that only
names a group (one text across the row) stays a heading; rows of any other table are their non-empty
cells joined by " | ".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_ROLES = (
    ("牵头单位", re.compile(r"牵头(?:单位|部门)|主办单位")),
    ("责任单位", re.compile(r"责任(?:单位|部门|主体)|负责单位|实施单位")),
    ("配合单位", re.compile(r"配合(?:单位|部门)|协办单位|参与单位")),
    ("完成时限", re.compile(r"完成时[限间]|时间节点|时限|完成期限|进度安排|时间")),
)
_NUMBER_HEADER = re.compile(r"^(?:序号|编号|序列|No\.?)$", re.IGNORECASE)
_SKIP_HEADER = re.compile(r"备注|责任领导|分管领导|联系人|电话")
_NUMBER = re.compile(
    r"^(?:\d{1,3}|[一二三四五六七八九十]+|[（(][一二三四五六七八九十\d]+[)）])[.、．]?$"
)
_UNIT_BREAK = re.compile(r"\s*\n\s*")


def join_cells(texts: Iterable[str]) -> str:
    """One row of an ordinary table as one block: its non-empty cell texts joined by " | "."""
    return " | ".join(text for text in (text.strip() for text in texts) if text)


def table_blocks(rows: Sequence[Sequence[str]]) -> list[str]:
    """Blocks for a table's rows (cells as written, empty cells kept in place)."""
    header_at = next((i for i, row in enumerate(rows) if _columns(row)), None)
    if header_at is None:
        return [_plain(row) for row in rows]
    columns = _columns(rows[header_at])
    blocks = [_plain(row) for row in rows[:header_at]]
    numbers = [i for i, role in columns.items() if role == "序号"]
    for ordinal, row in enumerate(rows[header_at + 1 :], start=1):
        texts = {cell.strip() for i, cell in enumerate(row) if cell.strip() and i not in numbers}
        if len(texts) <= 1:
            # a group's name, or a 备注 merged across the row: text, not a measure
            blocks.append(_plain(row))
            continue
        blocks.append(_measure(row, columns, ordinal))
    return blocks


def _columns(header: Sequence[str]) -> dict[int, str] | None:
    """Column index → "序号" / a role / "任务" for a task table's header; None for another row."""
    columns: dict[int, str] = {}
    for index, cell in enumerate(header):
        name = _flat(cell).replace(" ", "")
        if not name or _SKIP_HEADER.search(name):
            continue
        if _NUMBER_HEADER.match(name):
            columns[index] = "序号"
            continue
        role = next((role for role, pattern in _ROLES if pattern.search(name)), "任务")
        columns[index] = role
    roles = set(columns.values())
    if not roles & {"牵头单位", "责任单位"} or "任务" not in roles:
        return None
    return columns


def _measure(row: Sequence[str], columns: dict[int, str], ordinal: int) -> str:
    number = ""
    tasks: list[str] = []
    fields: dict[str, list[str]] = {}
    for index, role in columns.items():
        cell = row[index].strip() if index < len(row) else ""
        if not cell:
            continue
        if role == "序号":
            number = cell
        elif role == "任务":
            tasks.append(_flat(cell))
        elif role == "完成时限":
            fields.setdefault(role, []).append(_flat(cell))
        else:
            fields.setdefault(role, []).append(_UNIT_BREAK.sub("、", cell))
    if not _NUMBER.match(number):
        number = str(ordinal)
    marker = number if number[-1] in ".、．)）" else f"{number}."
    text = ""
    for task in dict.fromkeys(tasks):  # a merged 重点任务 cell repeats in each row
        text += f"{task}" if not text else (task if text[-1] in "。；：:" else f"：{task}")
    note = "；".join(f"{role}：{'、'.join(values)}" for role, values in fields.items())
    return f"{marker}{text}（{note}）" if note else f"{marker}{text}"


def _plain(row: Sequence[str]) -> str:
    """A row of an ordinary table; a merged cell's repeated text once."""
    cells = [_flat(cell) for cell in row]
    return join_cells(cell for i, cell in enumerate(cells) if i == 0 or cell != cells[i - 1])


def _flat(cell: str) -> str:
    return " ".join(part.strip() for part in cell.splitlines() if part.strip())
