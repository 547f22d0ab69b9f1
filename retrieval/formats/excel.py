"""Spreadsheets: xlsx, and Excel 97–2003 binaries (.xls, and .et as WPS saves it).

Every sheet's rows go through ``retrieval.tables``, so a task table's rows become measures; a
merged cell's text fills its whole range first, as the reader of the table sees it.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable

import openpyxl
import xlrd

from retrieval.formats.common import DocumentError
from retrieval.formats.sniff import password_protected
from retrieval.tables import table_blocks


def _cell_text(value: object) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _fill_merged(rows: list[list[str]], ranges: Iterable[tuple[int, int, int, int]]) -> None:
    """Copy each merged range's top-left text over the range (0-based, end-exclusive bounds)."""
    for first_row, end_row, first_col, end_col in ranges:
        if first_row >= len(rows) or first_col >= len(rows[first_row]):
            continue
        top = rows[first_row][first_col]
        for r in range(first_row, min(end_row, len(rows))):
            for c in range(first_col, min(end_col, len(rows[r]))):
                rows[r][c] = top


def read_xlsx(data: bytes, name: str) -> list[str]:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=False, data_only=True)
    # A damaged file surfaces as zipfile, lxml, KeyError and other errors; all mean the same.
    except Exception as exc:
        raise DocumentError(f"文件“{name}”已损坏或不是有效的 Excel（.xlsx）表格。") from exc
    blocks: list[str] = []
    for sheet in workbook.worksheets:
        rows = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        _fill_merged(
            rows,
            (
                (m.min_row - 1, m.max_row, m.min_col - 1, m.max_col)
                for m in sheet.merged_cells.ranges
            ),
        )
        blocks.extend(table_blocks(rows))
    return blocks


def _xls_cell(cell: xlrd.sheet.Cell, datemode: int) -> str:
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return _cell_text(xlrd.xldate_as_datetime(cell.value, datemode))
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return _cell_text(cell.value)
    if cell.ctype in (xlrd.XL_CELL_ERROR, xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return ""
    return _cell_text(cell.value)


def _open_xls(data: bytes) -> xlrd.book.Book:
    try:
        return xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    except NotImplementedError:  # formatting (merged cells) is not read from every BIFF version
        return xlrd.open_workbook(file_contents=data, on_demand=True)


def read_xls(data: bytes, name: str) -> list[str]:
    """An Excel 97–2003 workbook (BIFF5/BIFF8), as WPS also writes its .et files."""
    try:
        book = _open_xls(data)
        blocks: list[str] = []
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            rows = [
                [_xls_cell(cell, book.datemode) for cell in sheet.row(r)]
                for r in range(sheet.nrows)
            ]
            _fill_merged(rows, sheet.merged_cells)
            blocks.extend(table_blocks(rows))
            book.unload_sheet(index)
    except xlrd.XLRDError as exc:
        if "encrypted" in str(exc).lower():
            raise password_protected(name) from exc
        raise DocumentError(f"文件“{name}”已损坏或不是有效的 Excel 97–2003 表格。") from exc
    # xlrd reports other damage through struct, index and assertion errors; all mean the same.
    except Exception as exc:
        raise DocumentError(f"文件“{name}”已损坏或不是有效的 Excel 97–2003 表格。") from exc
    return blocks
