"""The monthly 督办通报 as a county office sends it: a Word document in the form of a notice, and a
workbook with one sheet per section. Both read a ``Bulletin`` (``registry.supervision``); the
county and the issuing office are plain strings from the caller.

The words of the notice (title, counts, closing) are built here once and used by both writers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.styles.style import BaseStyle
from docx.table import Table
from openpyxl import Workbook

# the ledger export's sheet; private there, shared here until it is made public
from registry.export import clean_cells, write_sheet
from registry.supervision import Bulletin, BulletinRow, UnreportedUnit
from registry.workdays import WorkdayCalendar

SECTIONS = ("一、总体进展", "二、逾期和临期事项", "三、未报送单位", "四、下一步工作")
LATE_COLUMNS = ("条款", "任务", "牵头单位", "配合单位", "节点", "状态", "最新进展")
UNREPORTED_COLUMNS = ("单位", "未报送任务数", "最近报送日期")
UPCOMING_COLUMNS = ("节点", "条款", "任务", "牵头单位", "配合单位", "状态")
REPORT_WORKDAYS = 5  # departments report by the 5th workday of the next month

BODY_FONT, HEADING_FONT, TITLE_FONT = "仿宋", "黑体", "方正小标宋简体"


# -- the words ---------------------------------------------------------------------------------
def title_lines(bulletin: Bulletin, county: str) -> tuple[str, str]:
    """The title, in the two parts it is broken into when it does not fit on a line."""
    month = bulletin.month
    return f"{county}“双碳”重点任务", f"{month.year}年{month.month}月督办通报"


def bulletin_title(bulletin: Bulletin, county: str) -> str:
    return "".join(title_lines(bulletin, county))


def chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def report_by(bulletin: Bulletin, calendar: WorkdayCalendar | None = None) -> dt.date:
    """The day departments report by: the 5th China workday of the month after the bulletin's."""
    first = (bulletin.month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return (calendar or WorkdayCalendar()).after(first - dt.timedelta(days=1), REPORT_WORKDAYS)


def overall(bulletin: Bulletin) -> str:
    """The 总体进展 paragraph: every status counted, what it covers, and the rules."""
    when = f"截至{chinese_date(bulletin.as_of)}"
    if not bulletin.tasks:
        return f"{when}，台账中还没有重点任务。"
    titles = [f"《{t}》" for t in bulletin.documents]
    covered = "".join(titles) if len(titles) <= 3 else f"{''.join(titles[:3])}等"
    counts = "、".join(f"{status}{count}项" for status, count in bulletin.totals)
    rules = bulletin.rules
    return (
        f"{when}，本期通报覆盖{covered}{len(titles)}份文件的重点任务{bulletin.tasks}项，"
        f"其中{counts}。节点在{rules.due_soon_workdays}个工作日内到期的为临期，"
        f"连续{rules.report_stale_days}天未报送进展（被退回的报送不计）的为未报送。"
    )


def closing(bulletin: Bulletin) -> str:
    return (
        f"请各责任单位对照上述事项抓紧推进，于{chinese_date(report_by(bulletin))}前通过任务台账"
        "报送本单位重点任务进展；逾期事项请一并说明原因和整改措施。"
    )


def _units(names: Iterable[str]) -> str:
    return "、".join(names)


def _last_report(unit: UnreportedUnit) -> str:
    return unit.last_report.isoformat() if unit.last_report else "从未报送"


def late_cells(row: BulletinRow, *, document: bool = False) -> tuple[str, ...]:
    title = f"{row.title}（《{row.document}》）" if document else row.title
    units = (_units(row.leads), _units(row.co))
    return (row.clause, title, *units, row.milestone, row.status, row.report or "暂无报送")


def upcoming_cells(row: BulletinRow, *, document: bool = False) -> tuple[str, ...]:
    title = f"{row.title}（《{row.document}》）" if document else row.title
    return (row.milestone, row.clause, title, _units(row.leads), _units(row.co), row.status)


# -- Word --------------------------------------------------------------------------------------
_LATE_WIDTHS = (2.6, 2.6, 2.0, 2.0, 2.6, 1.2, 2.6)  # cm, 15.6 in all: the text width of A4
_UNREPORTED_WIDTHS = (6.6, 3.8, 5.2)
_UPCOMING_WIDTHS = (3.2, 2.6, 3.2, 2.2, 2.2, 2.2)
_TEXT_WIDTH = Cm(21.0 - 2.8 - 2.6)


def write_bulletin_docx(bulletin: Bulletin, path: Path, *, county: str, issuer: str) -> Path:
    document = Document()
    _page(document)
    _styles(document)
    document.core_properties.title = bulletin_title(bulletin, county)
    document.core_properties.author = issuer

    document.add_paragraph("督 办 通 报", style="通报版头")
    _issued(document, issuer, chinese_date(bulletin.as_of))
    _title(document, *title_lines(bulletin, county))

    document.add_heading(SECTIONS[0], level=1)
    document.add_paragraph(overall(bulletin))

    document.add_heading(SECTIONS[1], level=1)
    many = len(bulletin.documents) > 1
    if not bulletin.late:
        document.add_paragraph("本月无逾期和临期事项。")
    for n, (department, rows) in enumerate(bulletin.late, 1):
        found = ((s, sum(r.status == s for r in rows)) for s in ("逾期", "临期"))
        counts = "、".join(f"{status}{count}项" for status, count in found if count)
        head = document.add_paragraph()
        head.paragraph_format.keep_with_next = True
        head.add_run(f"（{_chinese_number(n)}）{department}（{counts}）").bold = True
        _table(document, LATE_COLUMNS, [late_cells(r, document=many) for r in rows], _LATE_WIDTHS)

    document.add_heading(SECTIONS[2], level=1)
    if bulletin.unreported:
        document.add_paragraph(
            f"以下单位有任务连续{bulletin.rules.report_stale_days}天以上未报送进展："
        ).paragraph_format.keep_with_next = True
        rows = [(u.name, str(u.tasks), _last_report(u)) for u in bulletin.unreported]
        _table(document, UNREPORTED_COLUMNS, rows, _UNREPORTED_WIDTHS)
    else:
        document.add_paragraph("本月各单位均按时报送了进展。")

    document.add_heading(SECTIONS[3], level=1)
    if bulletin.upcoming:
        document.add_paragraph(
            "以下节点将于下月底前到期，请提前谋划、按期完成："
        ).paragraph_format.keep_with_next = True
        rows = [upcoming_cells(r, document=many) for r in bulletin.upcoming]
        _table(document, UPCOMING_COLUMNS, rows, _UPCOMING_WIDTHS)
    else:
        document.add_paragraph("下月底前没有到期的节点。")
    document.add_paragraph(closing(bulletin))

    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def _chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 40 → 四十 (up to 99)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


_LINE_EMS = 27  # characters of 三号 (16pt) on a line of the A4 text width
_TITLE_EMS = 20  # of 二号 (22pt)


def _ems(text: str) -> float:
    """The width of ``text`` in characters of its size: a Chinese character is one."""
    return sum(1 if ord(c) > 0x2000 else 0.55 for c in text)


def _title(document: WordDocument, first: str, second: str) -> None:
    """The title on one line, or broken before the month when it does not fit."""
    paragraph = document.add_paragraph(style="通报标题")
    if _ems(first + second) <= _TITLE_EMS:
        paragraph.add_run(first + second)
        return
    paragraph.add_run(first).add_break()
    paragraph.add_run(second)


def _issued(document: WordDocument, issuer: str, date: str) -> None:
    """The issuer on the left and the date on the right, above the rule; on two lines when a
    long issuer leaves no room for the date."""
    if _ems(issuer + date) + 2 <= _LINE_EMS:
        line = document.add_paragraph(style="通报发文")
        line.paragraph_format.tab_stops.add_tab_stop(_TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
        line.add_run(f"{issuer}\t{date}")
        return
    document.add_paragraph(issuer, style="通报发文").paragraph_format.space_after = Pt(0)
    line = document.add_paragraph(date, style="通报发文")
    line.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _page(document: WordDocument) -> None:
    """A4 with the margins of an official document, and the page number centred below."""
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("— ")
    field = footer.add_run()
    for kind, instruction in (("begin", ""), ("", " PAGE "), ("end", "")):
        if instruction:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = instruction
        else:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        field.element.append(element)
    footer.add_run(" —")


def _fonts(style: BaseStyle, name: str, size: float, *, bold: bool = False) -> None:
    """The style's Latin and Chinese font; the template's theme fonts, which would win, go."""
    style.font.name = name
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    fonts = style.element.rPr.rFonts
    for key in list(fonts.attrib):
        if key.endswith("Theme") or key.endswith("theme"):
            del fonts.attrib[key]
    fonts.set(qn("w:eastAsia"), name)


def _styles(document: WordDocument) -> None:
    styles = document.styles
    defaults = styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    defaults.remove(defaults.find(qn("w:rFonts")))  # theme fonts: Calibri, 宋体

    body = styles["Normal"]
    _fonts(body, BODY_FONT, 16)
    body.paragraph_format.first_line_indent = Pt(32)  # two characters
    body.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    body.paragraph_format.line_spacing = Pt(28)
    body.paragraph_format.space_after = Pt(0)
    body.paragraph_format.widow_control = True

    heading = styles["Heading 1"]  # kept for its outline level: Word's navigation pane
    _fonts(heading, HEADING_FONT, 16)
    heading.paragraph_format.space_before = Pt(0)
    heading.paragraph_format.space_after = Pt(0)

    for name, font, size, space in (
        ("通报版头", TITLE_FONT, 36, 0),
        ("通报发文", BODY_FONT, 16, 12),
        ("通报标题", TITLE_FONT, 22, 12),
        ("通报表格", BODY_FONT, 10.5, 0),
    ):
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = body
        _fonts(style, font, size)
        layout = style.paragraph_format
        layout.first_line_indent = Pt(0)
        layout.space_after = Pt(space)
        layout.line_spacing_rule = WD_LINE_SPACING.SINGLE
        layout.alignment = WD_ALIGN_PARAGRAPH.CENTER
    styles["通报发文"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
    styles["通报表格"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
    styles["通报表格"].paragraph_format.space_before = Pt(2)
    styles["通报表格"].paragraph_format.space_after = Pt(2)
    styles["通报标题"].paragraph_format.space_before = Pt(24)
    styles["通报标题"].paragraph_format.space_after = Pt(24)
    _rule_below(styles["通报发文"])


def _rule_below(style: BaseStyle) -> None:
    """The line under the issuer and date that separates the header from the text."""
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", "12"), ("space", "4"), ("color", "000000")):
        bottom.set(qn(f"w:{key}"), value)
    borders.append(bottom)
    style.element.get_or_add_pPr().append(borders)


_CENTRED = ("状态", "未报送任务数")


def _table(
    document: WordDocument,
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
) -> Table:
    table = document.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    header = table.rows[0]
    header_properties = header._tr.get_or_add_trPr()
    header_properties.append(OxmlElement("w:tblHeader"))  # repeated on every page
    # the style's id written straight into each cell's paragraph: python-docx's ``style``
    # setter looks the default style up every time, 3 ms a cell (22 s for 450 rows)
    style_id = document.styles["通报表格"].style_id
    for cell, text in zip(header.cells, columns, strict=True):
        paragraph = cell.paragraphs[0]
        paragraph._p.style = style_id
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.add_run(text).bold = True
    for values in rows:
        cells = table.add_row().cells
        for cell, text, column in zip(cells, values, columns, strict=True):
            paragraph = cell.paragraphs[0]
            paragraph._p.style = style_id
            paragraph.add_run(text)
            if column in _CENTRED:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)
        for cell in column.cells:
            cell.width = Cm(width)
    document.add_paragraph(style="通报表格")  # a little space after the table
    return table


# -- Excel -------------------------------------------------------------------------------------
def write_bulletin_xlsx(bulletin: Bulletin, path: Path, *, county: str, issuer: str) -> Path:
    book = Workbook()
    book.remove(book.active)
    rules = bulletin.rules
    summary: list[tuple[str, str | int]] = [
        ("通报", bulletin_title(bulletin, county)),
        ("发文单位", issuer),
        ("统计截至", bulletin.as_of.isoformat()),
        ("覆盖文件", "\n".join(f"《{t}》" for t in bulletin.documents)),
        ("任务总数", bulletin.tasks),
        *bulletin.totals,  # tasks in each status
        ("临期的含义", f"节点在{rules.due_soon_workdays}个工作日内到期"),
        ("未报送的含义", f"连续{rules.report_stale_days}天未报送进展（被退回的报送不计）"),
        ("报送截止", report_by(bulletin).isoformat()),
    ]
    _add_sheet(book, "总体进展", ("项目", "内容"), summary, (14, 60))
    late = [
        (department, *late_cells(row), row.document)
        for department, rows in bulletin.late
        for row in rows
    ]
    late_columns = ("单位", *LATE_COLUMNS, "文件")
    _add_sheet(book, "逾期和临期事项", late_columns, late, (20, 12, 26, 20, 24, 30, 8, 40, 24))
    unreported = [(u.name, u.tasks, _last_report(u)) for u in bulletin.unreported]
    _add_sheet(book, "未报送单位", UNREPORTED_COLUMNS, unreported, (24, 14, 16))
    upcoming = [(*upcoming_cells(row), row.document) for row in bulletin.upcoming]
    upcoming_columns = (*UPCOMING_COLUMNS, "文件")
    _add_sheet(book, "下一步工作", upcoming_columns, upcoming, (30, 12, 26, 20, 24, 8, 24))
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _add_sheet(
    book: Workbook,
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[str | int]],
    widths: Sequence[int],
) -> None:
    """The ledger export's sheet (bold header, frozen, filtered, text kept as text, so a cell
    reading "=…" is no formula), with the counts put back as numbers."""
    sheet = book.create_sheet(title)
    write_sheet(sheet, columns, widths, [clean_cells(str(value) for value in row) for row in rows])
    for line, row in zip(sheet.iter_rows(min_row=2), rows, strict=True):
        for cell, value in zip(line, row, strict=True):
            if isinstance(value, int):
                cell.value = value
