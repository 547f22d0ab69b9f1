"""The monthly 督办通报 written as Word and Excel and read back; the ``report`` command; the Word
file through LibreOffice, rendered to docs/screenshots/bulletin.png.

The ledger is ``tests/supervision_ledger.py``'s, judged on 2026-09-15: one task in each status.
What the files should say is read off that module's table, not off the program.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pypdfium2
import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.table import Table
from docx.text.paragraph import Paragraph
from openpyxl import load_workbook

from registry.bulletin import write_bulletin_docx, write_bulletin_xlsx
from registry.supervision import Bulletin, BulletinRow, Rules, UnreportedUnit
from tests.conftest import CORPUS
from tests.supervision_ledger import EXPECTED, PLAN_TITLE, SOURCE_ID, build_ledger

COUNTY = "湘阴县"  # the default setting the ledger runs on
TITLE = "湘阴县“双碳”重点任务2026年9月督办通报"
# the plan names no 工作专班, so the county's office issues it
ISSUER = "湘阴县“双碳”工作专班办公室"
SECTIONS = ["一、总体进展", "二、逾期和临期事项", "三、未报送单位", "四、下一步工作"]
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_soffice = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice is not installed (apt-get install libreoffice-writer-nogui)",
)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bulletin")
    ledger = build_ledger(folder, embedding_cache)
    supervision = ledger.services.supervision
    assert ledger.services.texts.county == COUNTY
    found = supervision.bulletin("2026-09")
    issuer = supervision.issuer(COUNTY)
    return {
        "docx": write_bulletin_docx(found, folder / "通报.docx", county=COUNTY, issuer=issuer),
        "xlsx": write_bulletin_xlsx(found, folder / "通报.xlsx", county=COUNTY, issuer=issuer),
    }


def _body(path: Path) -> list[Paragraph | Table]:
    return list(Document(str(path)).iter_inner_content())


def _texts(table: Table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def _after(body: list[Paragraph | Table], heading: str) -> list[Paragraph | Table]:
    """What stands between ``heading`` and the next section heading."""
    start = next(i for i, b in enumerate(body) if isinstance(b, Paragraph) and b.text == heading)
    rest = body[start + 1 :]
    end = next(
        (i for i, b in enumerate(rest) if isinstance(b, Paragraph) and b.text in SECTIONS),
        len(rest),
    )
    return rest[:end]


def _late_by_department(body: list[Paragraph | Table]) -> dict[str, list[list[str]]]:
    found: dict[str, list[list[str]]] = {}
    department = ""
    for block in _after(body, SECTIONS[1]):
        if isinstance(block, Paragraph) and (named := re.match(r"（.+?）(.+?)（", block.text)):
            assert all(run.bold for run in block.runs if run.text), block.text
            department = named.group(1)
        elif isinstance(block, Table):
            found[department] = _texts(block)
    return found


def test_the_notice_reads_title_issuer_and_sections_in_order(files: dict[str, Path]) -> None:
    body = _body(files["docx"])
    paragraphs = [b for b in body if isinstance(b, Paragraph)]
    texts = [p.text for p in paragraphs]
    assert TITLE in texts
    issued = " ".join(p.text for p in paragraphs[: texts.index(TITLE)])
    assert ISSUER in issued and "2026年9月15日" in issued
    headings = [p.text for p in paragraphs if p.style.name == "Heading 1"]
    assert headings == SECTIONS
    assert texts.index(TITLE) < texts.index(SECTIONS[0])


def test_the_overall_progress_counts_every_status(files: dict[str, Path]) -> None:
    (sentence,) = [b.text for b in _after(_body(files["docx"]), SECTIONS[0])]
    assert sentence.startswith("截至2026年9月15日")
    assert f"《{PLAN_TITLE}》1份文件的重点任务6项" in sentence
    # the module's table: one task in each of the six states, in the order 逾期 … 已完成
    assert list(EXPECTED.values()) == [1] * 6
    assert "其中逾期1项、临期1项、未报送1项、未设节点1项、正常1项、已完成1项。" in sentence
    assert "5个工作日内到期的为临期" in sentence and "连续30天未报送进展" in sentence


def test_late_items_by_department(files: dict[str, Path]) -> None:
    late = _late_by_department(_body(files["docx"]))
    header = ["条款", "任务", "牵头单位", "配合单位", "节点", "状态", "最新进展"]
    # 4. is overdue (its 2026-08-31 deadline passed); 1. has a milestone due 09-18, within 5
    # workdays of 09-15; the alias 县机关事务中心 is printed as 县机关事务服务中心
    assert set(late) == {"县机关事务服务中心", "县发改局"}
    overdue = late["县机关事务服务中心"]
    assert overdue[0] == header
    assert [(r[0], r[2], r[5]) for r in overdue[1:]] == [
        ("一、（二）4.", "县机关事务服务中心", "逾期")
    ]
    assert overdue[1][4].startswith("2026-08-31") and overdue[1][6] == "暂无报送"
    soon = late["县发改局"]
    assert [(r[0], r[2], r[3], r[5]) for r in soon[1:]] == [
        ("一、（一）1.", "县发改局", "县住建局", "临期")
    ]
    assert soon[1][4] == "2026-09-18 完成屋顶资源普查"
    assert soon[1][6].startswith("2026-09-10 县发改局：进行中")


def test_tables_repeat_their_header_row(files: dict[str, Path]) -> None:
    tables = [b for b in _body(files["docx"]) if isinstance(b, Table)]
    assert len(tables) == 4  # two departments late, the units not reporting, the next month
    for table in tables:
        header = table.rows[0]._tr.trPr
        assert header is not None and header.find(qn("w:tblHeader")) is not None
        assert all(run.bold for cell in table.rows[0].cells for run in cell.paragraphs[0].runs)


def test_units_not_reporting(files: dict[str, Path]) -> None:
    (table,) = [b for b in _after(_body(files["docx"]), SECTIONS[2]) if isinstance(b, Table)]
    rows = _texts(table)
    assert rows[0] == ["单位", "未报送任务数", "最近报送日期"]
    # 4. was never reported; 县住建局's only report (on 5.) was returned, which does not count
    assert sorted(rows[1:]) == [
        ["县住建局", "1", "从未报送"],
        ["县机关事务服务中心", "1", "从未报送"],
    ]


def test_next_steps_list_the_coming_milestones_and_a_report_day(files: dict[str, Path]) -> None:
    blocks = _after(_body(files["docx"]), SECTIONS[3])
    (table,) = [b for b in blocks if isinstance(b, Table)]
    # 1.'s office milestone (09-18) and its own deadline 2026年9月底 fall before the end of
    # October; 2.'s 2026-12-31 does not
    assert [(r[0][:10], r[1]) for r in _texts(table)[1:]] == [
        ("2026-09-18", "一、（一）1."),
        ("2026-09-30", "一、（一）1."),
    ]
    closing = blocks[-1].text
    # the 5th workday of October 2026: 1–7 are the National Day holiday, Saturday the 10th is
    # worked in lieu, so the 8th, 9th, 10th, 12th and 13th
    assert "于2026年10月13日前" in closing and "报送" in closing


def test_an_empty_section_says_so(tmp_path: Path) -> None:
    empty = Bulletin(
        month=dt.date(2026, 1, 1),
        as_of=dt.date(2026, 1, 31),
        documents=(),
        totals=(),
        tasks=0,
        late=(),
        unreported=(),
        upcoming=(),
        rules=Rules(),
    )
    path = write_bulletin_docx(empty, tmp_path / "空.docx", county=COUNTY, issuer=ISSUER)
    body = _body(path)
    assert not [b for b in body if isinstance(b, Table)]
    assert [b.text for b in _after(body, SECTIONS[1])] == ["本月无逾期和临期事项。"]
    assert [b.text for b in _after(body, SECTIONS[0])] == [
        "截至2026年1月31日，台账中还没有重点任务。"
    ]


def test_a_long_title_breaks_before_the_month(tmp_path: Path) -> None:
    found = Bulletin(dt.date(2026, 10, 1), dt.date(2026, 10, 31), (), (), 0, (), (), (), Rules())
    path = write_bulletin_docx(found, tmp_path / "长.docx", county="湘阴县", issuer=ISSUER)
    texts = [b.text for b in _body(path) if isinstance(b, Paragraph)]
    assert "湘阴县“双碳”重点任务\n2026年10月督办通报" in texts  # 2号 holds 20 characters a line


def test_styles_name_the_chinese_fonts_and_the_page_is_an_official_a4(
    files: dict[str, Path],
) -> None:
    document = Document(str(files["docx"]))
    styles = document.styles

    def fonts(name: str) -> dict[str, str]:
        element = styles[name].element.rPr.rFonts
        return {key.split("}")[1]: value for key, value in element.attrib.items()}

    assert fonts("Normal") == {"ascii": "仿宋", "hAnsi": "仿宋", "eastAsia": "仿宋"}
    assert fonts("Heading 1") == {"ascii": "黑体", "hAnsi": "黑体", "eastAsia": "黑体"}
    assert fonts("通报标题")["eastAsia"] in ("方正小标宋简体", "黑体")
    assert styles["Normal"].font.size == Pt(16)
    assert styles["通报表格"].font.size == Pt(10.5)
    section = document.sections[0]
    # lengths go through twips in the file: compare in millimetres
    page = (section.page_width, section.page_height)
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [round(length.mm) for length in page] == [210, 297]  # A4
    assert [round(length.mm) for length in margins] == [37, 35, 28, 26]


def test_the_workbook_has_a_sheet_per_section(files: dict[str, Path]) -> None:
    book = load_workbook(files["xlsx"])
    assert book.sheetnames == ["总体进展", "逾期和临期事项", "未报送单位", "下一步工作"]
    summary = {row[0]: row[1] for row in book["总体进展"].iter_rows(min_row=2, values_only=True)}
    assert summary["任务总数"] == 6
    assert {status: summary[status] for status in EXPECTED} == EXPECTED
    assert summary["通报"] == TITLE and summary["发文单位"] == ISSUER
    late = book["逾期和临期事项"]
    rows = list(late.iter_rows(values_only=True))
    assert rows[0][:3] == ("单位", "条款", "任务") and "状态" in rows[0]
    status = rows[0].index("状态")
    assert sorted((r[0], r[1], r[status]) for r in rows[1:]) == [
        ("县发改局", "一、（一）1.", "临期"),
        ("县机关事务服务中心", "一、（二）4.", "逾期"),
    ]
    unreported = list(book["未报送单位"].iter_rows(min_row=2, values_only=True))
    assert sorted(unreported) == [
        ("县住建局", 1, "从未报送"),
        ("县机关事务服务中心", 1, "从未报送"),
    ]
    for sheet in book.worksheets:
        assert sheet.auto_filter.ref == sheet.dimensions
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.bold for cell in sheet[1])


def test_a_cell_that_reads_like_a_formula_stays_text(tmp_path: Path) -> None:
    row = BulletinRow(
        task_id=1,
        clause="一、1.",
        title='=HYPERLINK("http://example.invalid","点击")',
        document="方案",
        leads=("县发改局",),
        co=(),
        milestone="2026-09-18 完成",
        status="临期",
        report="2026-09-10 县发改局：进行中 =1+1\x0b已开展",
    )
    found = Bulletin(
        month=dt.date(2026, 9, 1),
        as_of=dt.date(2026, 9, 15),
        documents=("方案",),
        totals=(("临期", 1),),
        tasks=1,
        late=(("县发改局", (row,)),),
        unreported=(UnreportedUnit("=2+2", 1, None),),
        upcoming=(row,),
        rules=Rules(),
    )
    path = write_bulletin_xlsx(found, tmp_path / "公式.xlsx", county=COUNTY, issuer=ISSUER)
    with zipfile.ZipFile(path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets and not any(b"<f>" in archive.read(n) for n in sheets)
    book = load_workbook(path)
    assert book["逾期和临期事项"]["C2"].value == row.title
    assert book["未报送单位"]["A2"].value == "=2+2"
    late = book["逾期和临期事项"]
    progress = [cell.value for cell in late[1]].index("最新进展") + 1
    assert late.cell(2, progress).value == "2026-09-10 县发改局：进行中 =1+1已开展"


# -- the command -------------------------------------------------------------------------------
@pytest.fixture
def cli(tmp_path: Path, embedding_cache: Path):  # type: ignore[no-untyped-def]
    """``policyqa`` over the supervision ledger's database, on the machine's own clock."""
    build_ledger(tmp_path, embedding_cache)
    env = {
        **os.environ,
        "POLICYQA_DATA_DIR": str(tmp_path / "data"),
        "POLICYQA_CORPUS_DIR": str(CORPUS),
        "POLICYQA_CACHE_DIR": str(embedding_cache),
    }

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "assistant", "report", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    return run


def test_report_command_writes_the_notice(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("--month", "2026-01")
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path == tmp_path / "data" / "exports" / "督办通报-2026年01月.docx"
    paragraphs = [b for b in _body(path) if isinstance(b, Paragraph)]
    assert "湘阴县“双碳”重点任务2026年1月督办通报" in [p.text for p in paragraphs]
    assert [p.text for p in paragraphs if p.style.name == "Heading 1"] == SECTIONS
    assert any(ISSUER in p.text for p in paragraphs)

    chosen = tmp_path / "out" / "通报.xlsx"
    result = cli(
        "--month", "2026-01", "--document", SOURCE_ID, "--format", "xlsx", "-o", str(chosen)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(chosen)
    summary = load_workbook(chosen)["总体进展"].iter_rows(min_row=2, values_only=True)
    assert dict(summary)["任务总数"] == 6  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--month", "2026-13"), "月份格式应为 YYYY-MM（如 2026-11）：2026-13"),
        (("--month", "2999-01"), "2999年1月还没有到，不能生成督办通报"),
        (("--month", "2026-01", "--document", "nope"), "台账中没有文档 nope"),
    ],
)
def test_report_command_refuses_in_chinese(cli, args: tuple[str, ...], message: str) -> None:  # type: ignore[no-untyped-def]
    result = cli(*args)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


# -- LibreOffice -------------------------------------------------------------------------------
@needs_soffice
def test_libreoffice_opens_the_notice(files: dict[str, Path], tmp_path: Path) -> None:
    """Word's format as another program reads it: LibreOffice prints it to PDF."""
    assert SOFFICE is not None
    profile = tmp_path / "profile"  # its own, so parallel runs do not share a lock
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(files["docx"]),
        ],
        # LibreOffice runs on the machine's clock (see the browser in tests/web/conftest.py)
        env={k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "FAKETIME")},
        capture_output=True,
        timeout=180,
        check=True,
    )
    pdf = pypdfium2.PdfDocument(str(tmp_path / f"{files['docx'].stem}.pdf"))
    try:
        assert len(pdf) >= 1
        page = pdf[0]
        # the quotes fall back to a Latin font, which PDFium reads out of line: compare without
        text = re.sub(r"[\s“”]", "", page.get_textpage().get_text_range())
        assert re.sub("[“”]", "", TITLE) in text and SECTIONS[0] in text
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.render(scale=1.5).to_pil().save(SHOTS / "bulletin.png")
    finally:
        pdf.close()
