"""Tests for retrieval.loaders, on real files written to tmp_path at test time."""

from __future__ import annotations

import codecs
import random
import re
from pathlib import Path

import docx
import pytest
from pypdf import PdfWriter
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from retrieval.loaders import SUPPORTED_SUFFIXES, DocumentError, read_blocks

PLAN = Path(__file__).resolve().parents[2] / "corpus" / "xiangyin-shuangtan-plan.txt"
CHINESE = re.compile(r"[\u4e00-\u9fff]")
TITLE = "落实好重“双碳”促转型的任务实施方案"
PREAMBLE = "为树立和践行绿水青山就是金山银山理念，制定本方案。"


def write_pdf(path: Path, pages: list[list[str]]) -> Path:
    """Write a PDF with one line of Chinese text per entry, using reportlab's built-in CID font."""
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    pdf = canvas.Canvas(str(path))
    for lines in pages:
        pdf.setFont("STSong-Light", 12)
        for row, line in enumerate(lines):
            pdf.drawString(50, 780 - 20 * row, line)
        pdf.showPage()
    pdf.save()
    return path


# --- plain text and markdown -------------------------------------------------------------------

TXT = f"""\
　{TITLE}

{PREAMBLE}
[bookmark: heading_0]一、主要目标
（一）碳达峰控制指标：全县PM2.5平均浓度达到省、市下达目标。
"""
TXT_BLOCKS = [
    TITLE,
    PREAMBLE,
    "一、主要目标",
    "（一）碳达峰控制指标：全县PM2.5平均浓度达到省、市下达目标。",
]


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-8"),
        lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
        lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
        lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
        lambda text: text.encode("gbk"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le", "utf-16-be", "gbk"],
)
def test_txt_gives_the_same_blocks_in_every_encoding(tmp_path, encode):
    path = tmp_path / "plan.txt"
    path.write_bytes(encode(TXT.replace("\n", "\r\n")))

    assert read_blocks(path) == TXT_BLOCKS


def test_conversion_debris_is_removed(tmp_path):
    path = tmp_path / "plan.txt"
    path.write_text(
        "[bookmark: heading_0]一、主要\u200b目标\ufeff\n\u00a0\u200c\n碳达峰\u00a0控制指标\u200d\n",
        encoding="utf-8",
    )

    assert read_blocks(path) == ["一、主要目标", "碳达峰 控制指标"]


def test_txt_in_no_known_encoding_is_a_document_error(tmp_path):
    path = tmp_path / "乱码.txt"
    path.write_bytes(b"\x80\xff" * 50)

    with pytest.raises(DocumentError, match=re.escape("乱码.txt")):
        read_blocks(path)


def test_the_real_plan_starts_its_numbered_blocks_with_the_main_targets():
    blocks = read_blocks(PLAN)

    numbered = [block for block in blocks if re.match(r"[一二三四五六七八九十]+、", block)]
    assert blocks[0] == TITLE
    assert numbered[0] == "一、主要目标"
    assert not any("[bookmark" in block or "\u200b" in block for block in blocks)


def test_markdown_syntax_is_dropped_and_the_text_kept(tmp_path):
    path = tmp_path / "plan.md"
    path.write_text(
        f"# {TITLE}\n\n> {PREAMBLE}\n\n---\n\n## 一、主要目标\n\n"
        "- **碳达峰**控制指标\n* 生态环境__约束性__指标\n+ 1.5万吨标准煤\n1. 健全制度体系\n",
        encoding="utf-8",
    )

    assert read_blocks(path) == [
        TITLE,
        PREAMBLE,
        "一、主要目标",
        "碳达峰控制指标",
        "生态环境约束性指标",
        "1.5万吨标准煤",
        "1. 健全制度体系",
    ]


# --- Word --------------------------------------------------------------------------------------


def test_docx_keeps_tables_where_they_stand_one_block_per_row(tmp_path):
    document = docx.Document()
    document.add_heading(TITLE, level=0)
    document.add_paragraph(PREAMBLE)
    document.add_paragraph("")
    document.add_heading("[bookmark: heading_0]一、主要目标", level=1)
    document.add_paragraph("表格前的段落。")
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).text = "指标"
    table.cell(0, 1).merge(table.cell(0, 2)).text = "目标值"
    for column, text in enumerate(["PM2.5", "达到省下达目标", ""]):
        table.cell(1, column).text = text
    document.add_paragraph("表格后的段落。")
    path = tmp_path / "plan.docx"
    document.save(str(path))

    assert read_blocks(path) == [
        TITLE,
        PREAMBLE,
        "一、主要目标",
        "表格前的段落。",
        "指标 | 目标值",
        "PM2.5 | 达到省下达目标",
        "表格后的段落。",
    ]


# --- PDF ---------------------------------------------------------------------------------------


def test_pdf_joins_visual_lines_into_paragraphs(tmp_path):
    path = write_pdf(
        tmp_path / "plan.pdf",
        [
            [
                "一、主要目标",
                "（一）碳达峰控制指标：全县二氧化碳排放总量、单位GDP",
                "二氧化碳排放下降率严格按照省、市衔接下达目标全面完成。",
                "1.健全碳排放双控制度体系。聚焦碳达峰目标，完成",
                "1.5万吨标准煤的节能任务。",
                "2.推动能源结构调整，到2030年非化石能源",
                "— 1 —",
            ],
            ["消费比重达到省下达目标。", "第三条 本方案自印发之日起施行。"],
        ],
    )

    assert read_blocks(path) == [
        "一、主要目标",
        "（一）碳达峰控制指标：全县二氧化碳排放总量、单位GDP二氧化碳排放下降率严格按照省、"
        "市衔接下达目标全面完成。",
        "1.健全碳排放双控制度体系。聚焦碳达峰目标，完成1.5万吨标准煤的节能任务。",
        "2.推动能源结构调整，到2030年非化石能源消费比重达到省下达目标。",
        "第三条 本方案自印发之日起施行。",
    ]


def test_pdf_with_an_owner_password_only_is_read(tmp_path):
    source = write_pdf(tmp_path / "source.pdf", [["一、主要目标"]])
    writer = PdfWriter(clone_from=source)
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "restricted.pdf"
    writer.write(path)

    assert read_blocks(path) == ["一、主要目标"]


def test_pdf_without_a_text_layer_asks_for_ocr(tmp_path):
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    path = tmp_path / "扫描件.pdf"
    writer.write(path)

    with pytest.raises(DocumentError, match=re.escape("扫描件.pdf")) as error:
        read_blocks(path)
    assert "文字层" in str(error.value)
    assert "OCR" in str(error.value)


def test_pdf_with_a_user_password_is_a_document_error(tmp_path):
    source = write_pdf(tmp_path / "source.pdf", [["一、主要目标"]])
    writer = PdfWriter(clone_from=source)
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    path = tmp_path / "加密.pdf"
    writer.write(path)

    with pytest.raises(DocumentError, match=re.escape("加密.pdf")) as error:
        read_blocks(path)
    assert "加密" in str(error.value).replace("加密.pdf", "")


# --- HTML --------------------------------------------------------------------------------------

HTML = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>湘阴县人民政府</title>
<style>p {{ color: red; }}</style></head>
<body>
<header><nav><a href="/">首页</a> <a href="/gk">政务公开</a></nav></header>
<script>var notice = "不应出现";</script>
<div class="article">
  <h1>{TITLE}</h1>
  <div>发布时间：2025-01-01 <span>来源：县发改局</span>
    <div><p>为树立和践行绿水青山就是金山银山理念，
      <strong>制定本方案</strong>。</p></div>
  </div>
  <p>一、主要目标<br>（一）碳达峰控制指标</p>
  <ul><li>推进光伏<ul><li>屋顶光伏</li></ul></li></ul>
  <table><tr><th>指标</th><th>目标</th></tr><tr><td>PM2.5</td><td>达到省下达目标</td></tr></table>
  <!-- 注释不应出现 -->
</div>
<footer>版权所有</footer>
</body></html>
"""


def test_html_gives_each_block_once_without_page_chrome(tmp_path):
    path = tmp_path / "plan.html"
    path.write_text(HTML, encoding="utf-8")

    assert read_blocks(path) == [
        TITLE,
        "发布时间：2025-01-01 来源：县发改局",
        "为树立和践行绿水青山就是金山银山理念， 制定本方案。",
        "一、主要目标",
        "（一）碳达峰控制指标",
        "推进光伏",
        "屋顶光伏",
        "指标 | 目标",
        "PM2.5 | 达到省下达目标",
    ]


def test_html_honours_a_declared_gbk_charset(tmp_path):
    path = tmp_path / "plan.htm"
    path.write_bytes(f'<meta charset="gbk"><p>{PREAMBLE}</p>'.encode("gbk"))

    assert read_blocks(path) == [PREAMBLE]


# --- bad input ---------------------------------------------------------------------------------

GARBAGE = random.Random(0).randbytes(4096)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("通知.doc", b"old word file"),
        ("缺失.pdf", None),
        ("空文件.txt", b""),
        ("损坏.docx", GARBAGE),
        ("不是文档.docx", b"PK\x05\x06" + bytes(18)),
        ("损坏.pdf", GARBAGE),
        ("截断.pdf", b"%PDF-1.7\n" + GARBAGE),
        ("只有脚本.html", b"<script>alert(1)</script><p> \xc2\xa0</p>"),
    ],
)
def test_unreadable_input_is_a_chinese_document_error_naming_the_file(tmp_path, name, content):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)

    with pytest.raises(DocumentError) as error:
        read_blocks(path)
    message = str(error.value)
    assert name in message
    assert CHINESE.search(message.replace(name, ""))


def test_unsupported_extension_lists_the_supported_ones(tmp_path):
    path = tmp_path / "通知.doc"
    path.write_bytes(b"old word file")

    with pytest.raises(DocumentError) as error:
        read_blocks(path)
    assert all(suffix in str(error.value) for suffix in SUPPORTED_SUFFIXES)
