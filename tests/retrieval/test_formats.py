"""Every format a county office receives, told by content: scans and photos through the real OCR,
OFD built by the standard's structure, Word and Excel 97–2003 files kept in tests/data/formats
(their origin is in the README there), and bad files refused with a Chinese message.

OCR takes 5–15 s a page on two cores: the plan page is recognised twice in this module (once as
a picture, once as a PDF without a text layer), in module-scoped fixtures the tests share.
"""

from __future__ import annotations

import io
import random
import shutil
import zipfile
from pathlib import Path

import docx
import pytest
from PIL import Image, ImageDraw, ImageFont

from bench.scans import DPI, FONT, PLAN, accuracy, plan_paragraphs, render_page, scanned
from retrieval.clauses import parse_clauses
from retrieval.formats.ocr import Ocr, TextBox, ocr_lines, repair_numbering
from retrieval.loaders import (
    SUPPORTED_SUFFIXES,
    DocumentError,
    ReadLimits,
    ReadResult,
    read_blocks,
    read_document,
)
from tests.retrieval.test_loaders import CHINESE, write_pdf

REPO = Path(__file__).resolve().parents[2]
PLANS = REPO / "tests" / "data" / "plans"
FORMATS = REPO / "tests" / "data" / "formats"


# --- helpers -----------------------------------------------------------------------------------


def labels(blocks: list[str]) -> list[str]:
    return [clause.label for clause in parse_clauses(blocks).walk()]


def assert_refused(path: Path, *words: str, limits: ReadLimits | None = None) -> str:
    with pytest.raises(DocumentError) as error:
        read_document(path, limits=limits)
    message = str(error.value)
    assert path.name in message, message
    assert CHINESE.search(message.replace(path.name, "")), message
    for word in words:
        assert word in message, message
    return message


# --- OCR: a rendered page of the county plan ---------------------------------------------------


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if not FONT.exists():
        pytest.skip("需要 fonts-wqy-microhei（apt-get install fonts-wqy-microhei）")
    folder = tmp_path_factory.mktemp("scans")
    page = render_page(plan_paragraphs())
    page.save(folder / "plan-page.png")
    scanned(page).save(folder / "扫描件.pdf", resolution=DPI)  # an image and no text layer
    return {"png": folder / "plan-page.png", "pdf": folder / "扫描件.pdf"}


@pytest.fixture(scope="module")
def png_read(scans: dict[str, Path]) -> ReadResult:
    return read_document(scans["png"], ocr=Ocr())


@pytest.fixture(scope="module")
def pdf_read(
    scans: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[ReadResult, list[tuple[int, int]], Path]:
    cache = tmp_path_factory.mktemp("ocr-cache")
    pages: list[tuple[int, int]] = []
    result = read_document(
        scans["pdf"], ocr_cache=cache, on_page=lambda *done: pages.append(done), ocr=Ocr()
    )
    return result, pages, cache


def test_a_picture_of_a_plan_page_is_read_98_percent_right(png_read: ReadResult) -> None:
    expected = "".join(plan_paragraphs())

    assert png_read.format == "image"
    assert accuracy(expected, "".join(png_read.blocks)) >= 0.98
    assert png_read.pages == 1 and png_read.ocr_pages == {1}
    assert all(item.ocr and item.page == 1 for item in png_read.items)


def test_ocr_gives_back_the_paragraphs_and_clause_labels(png_read: ReadResult) -> None:
    assert labels(png_read.blocks) == labels(plan_paragraphs())
    assert png_read.blocks[0] == "落实好重“双碳”促转型的任务实施方案"
    assert [b[:6] for b in png_read.blocks[2:5]] == ["一、主要目标", "（一）碳达峰", "（二）生态环"]


def test_a_scanned_pdf_without_a_text_layer_is_read_by_ocr(pdf_read) -> None:
    result, pages, _ = pdf_read

    assert result.format == "pdf" and result.ocr_pages == {1}
    assert pages == [(0, 1), (1, 1)]  # one page to recognise, reported before and after
    assert accuracy("".join(plan_paragraphs()), "".join(result.blocks)) >= 0.98
    assert labels(result.blocks) == labels(plan_paragraphs())


def test_ocr_is_cached_by_file_hash_across_processes(pdf_read, scans, tmp_path: Path) -> None:
    result, _, cache = pdf_read
    assert list(cache.rglob("*-p0001.json"))
    pages: list[tuple[int, int]] = []

    # a fresh OCR (as in another process) finds the page in the cache: nothing is recognised
    again = read_document(
        scans["pdf"], ocr_cache=cache, on_page=lambda *done: pages.append(done), ocr=Ocr()
    )
    # the same bytes under another name, even a wrong one, are the same document
    renamed = tmp_path / "扫描件.txt"
    shutil.copy(scans["pdf"], renamed)
    by_content = read_document(
        renamed, ocr_cache=cache, on_page=lambda *done: pages.append(done), ocr=Ocr()
    )

    assert pages == []
    assert again.items == result.items and by_content.items == result.items


def test_a_second_read_in_the_same_process_does_not_recognise_again(pdf_read, scans) -> None:
    """The ledger reads a document again after the index did, without a cache directory."""
    ocr = Ocr()
    pages: list[tuple[int, int]] = []
    cache = pdf_read[2]
    first = read_document(scans["pdf"], ocr_cache=cache, ocr=ocr)

    second = read_document(scans["pdf"], on_page=lambda *done: pages.append(done), ocr=ocr)

    assert pages == [] and second.items == first.items


# --- OCR: lines, paragraphs and numbering from boxes -------------------------------------------


@pytest.mark.parametrize(
    ("line", "paragraph_start", "repaired"),
    [
        ("(一)碳达峰控制指标", False, "（一）碳达峰控制指标"),
        ("（ 二 ）生态环境约束性指标", False, "（二）生态环境约束性指标"),
        ("(-)有序实施碳达峰行动", False, "（一）有序实施碳达峰行动"),
        ("(3)推广屋顶光伏", False, "（3）推广屋顶光伏"),
        ("一，主要目标", True, "一、主要目标"),
        ("二.重点任务", True, "二、重点任务"),
        ("一，二级水源保护区", False, "一，二级水源保护区"),  # inside a paragraph: text
        ("1，健全碳排放双控制度体系", True, "1.健全碳排放双控制度体系"),
        ("2 . 培育绿色发展新动能", True, "2.培育绿色发展新动能"),
        ("3、打造绿色低碳发展新高地", True, "3、打造绿色低碳发展新高地"),  # as printed
        ("1.5万吨标准煤的节能任务", True, "1.5万吨标准煤的节能任务"),
        ("12，13号机组", False, "12，13号机组"),
    ],
)
def test_garbled_numbering_is_written_as_printed(line, paragraph_start, repaired) -> None:
    assert repair_numbering(line, paragraph_start=paragraph_start) == repaired


def test_a_document_numbering_items_with_a_comma_keeps_its_style() -> None:
    assert (
        repair_numbering("4，构建新模式", paragraph_start=True, number_style="、")
        == "4、构建新模式"
    )


def box(text: str, x0: float, y0: float, width: float, height: float = 40) -> TextBox:
    return TextBox(text, x0, y0, x0 + width, y0 + height, 0.99)


def test_boxes_become_lines_left_to_right_and_indents_start_paragraphs() -> None:
    # boxes in the order a detector may give them: a line split in two, out of order
    boxes = [
        box("体系。", 1200, 202, 120),
        box("1，健全碳排放双控制", 300, 200, 880),  # indented: a paragraph starts
        box("聚焦碳达峰目标，围绕主要目标研究制定湘阴县", 220, 260, 1100),
        box("实施方案。", 220, 320, 200),
        box("(二)深入推进污染防治攻坚", 300, 380, 600),
        box("一二", 220, 440, 80),
    ]

    lines = ocr_lines(boxes, page=3)

    assert [line.text for line in lines] == [
        "1.健全碳排放双控制体系。",
        "聚焦碳达峰目标，围绕主要目标研究制定湘阴县",
        "实施方案。",
        "（二）深入推进污染防治攻坚",
        "一二",
    ]
    assert [line.starts_paragraph for line in lines] == [True, False, False, True, False]
    assert all(line.ocr and line.page == 3 for line in lines)


# --- OFD -------------------------------------------------------------------------------------------

OFD_NS = "http://www.ofdspec.org/2016"
OFD_LINES = [
    [
        "湘阴县2027年绿色低碳工作要点",
        "一、重点任务",
        "（一）推进能源绿色低碳转型",
        "1.推广屋顶分布式光伏，党政机关、学校等公共建筑",
        "屋顶具备条件的应装尽装。（县发改局牵头）",
        "2.加快充电基础设施建设，全年新建公共充电桩",
        "— 1 —",
    ],
    [
        "200个以上。（县住建局负责）",
        "（二）巩固提升生态系统碳汇能力",
        "1.全年完成人工造林1.5万亩。（县林业局负责）",
        "二、保障措施",
        "— 2 —",
    ],
]


def _text_objects(lines: list[str]) -> str:
    objects = []
    for row, text in enumerate(lines):
        size = 5.6  # 16 pt, as official documents print their body text, in mm
        y = 270 if text.startswith("—") else 30 + row * size * 1.5
        deltas = " ".join([f"{size}"] * (len(text) - 1))
        objects.append(
            f'<ofd:TextObject ID="{100 + row}" Boundary="25 {y:.1f} 160 {size * 1.2:.2f}" '
            f'Font="2" Size="{size}"><ofd:TextCode X="0" Y="{size:.2f}" DeltaX="{deltas}">'
            f"{text}</ofd:TextCode></ofd:TextObject>"
        )
    return "".join(objects)


def build_ofd(path: Path, pages: list[list[str]], scans: dict[int, bytes] | None = None) -> Path:
    """An OFD by GB/T 33190's structure: OFD.xml → Doc_0/Document.xml → Pages/Page_N/Content.xml
    with TextObject/TextCode, the font in the document's PublicRes; ``scans`` puts a PNG on a page
    as an ImageObject whose MultiMedia resource is in the DocumentRes."""
    scans = scans or {}
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as ofd:
        ofd.writestr(
            "OFD.xml",
            f'{head}<ofd:OFD xmlns:ofd="{OFD_NS}" Version="1.1" DocType="OFD"><ofd:DocBody>'
            "<ofd:DocInfo><ofd:DocID>6f1ad6b4c3e14f8a9c5d2e7b8a9c0d1e</ofd:DocID>"
            "<ofd:Title>湘阴县2027年绿色低碳工作要点</ofd:Title></ofd:DocInfo>"
            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        )
        page_refs = "".join(
            f'<ofd:Page ID="{10 + n}" BaseLoc="Pages/Page_{n}/Content.xml"/>'
            for n in range(len(pages))
        )
        ofd.writestr(
            "Doc_0/Document.xml",
            f'{head}<ofd:Document xmlns:ofd="{OFD_NS}"><ofd:CommonData>'
            "<ofd:MaxUnitID>200</ofd:MaxUnitID><ofd:PageArea>"
            "<ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>"
            "<ofd:PublicRes>PublicRes.xml</ofd:PublicRes>"
            "<ofd:DocumentRes>DocumentRes.xml</ofd:DocumentRes></ofd:CommonData>"
            f"<ofd:Pages>{page_refs}</ofd:Pages></ofd:Document>",
        )
        ofd.writestr(
            "Doc_0/PublicRes.xml",
            f'{head}<ofd:Res xmlns:ofd="{OFD_NS}" BaseLoc="Res"><ofd:Fonts>'
            '<ofd:Font ID="2" FontName="仿宋_GB2312" FamilyName="仿宋"/></ofd:Fonts></ofd:Res>',
        )
        media = "".join(
            f'<ofd:MultiMedia ID="{50 + n}" Type="Image" Format="PNG">'
            f"<ofd:MediaFile>scan_{n}.png</ofd:MediaFile></ofd:MultiMedia>"
            for n in scans
        )
        ofd.writestr(
            "Doc_0/DocumentRes.xml",
            f'{head}<ofd:Res xmlns:ofd="{OFD_NS}" BaseLoc="Res">'
            f"<ofd:MultiMedias>{media}</ofd:MultiMedias></ofd:Res>",
        )
        for n, png in scans.items():
            ofd.writestr(f"Doc_0/Res/scan_{n}.png", png)
        for n, lines in enumerate(pages):
            image = (
                f'<ofd:ImageObject ID="{60 + n}" ResourceID="{50 + n}" Boundary="0 0 210 297" '
                'CTM="210 0 0 297 0 0"/>'
                if n in scans
                else ""
            )
            ofd.writestr(
                f"Doc_0/Pages/Page_{n}/Content.xml",
                f'{head}<ofd:Page xmlns:ofd="{OFD_NS}"><ofd:Content><ofd:Layer ID="{3 + n}">'
                f"{_text_objects(lines)}{image}</ofd:Layer></ofd:Content></ofd:Page>",
            )
    return path


def test_ofd_reads_in_order_with_official_numbering_starting_blocks(tmp_path: Path) -> None:
    result = read_document(build_ofd(tmp_path / "工作要点.ofd", OFD_LINES))

    assert result.format == "ofd" and result.pages == 2 and not result.ocr_pages
    assert result.blocks == [
        "湘阴县2027年绿色低碳工作要点",
        "一、重点任务",
        "（一）推进能源绿色低碳转型",
        "1.推广屋顶分布式光伏，党政机关、学校等公共建筑屋顶具备条件的应装尽装。（县发改局牵头）",
        "2.加快充电基础设施建设，全年新建公共充电桩200个以上。（县住建局负责）",
        "（二）巩固提升生态系统碳汇能力",
        "1.全年完成人工造林1.5万亩。（县林业局负责）",
        "二、保障措施",
    ]
    assert [item.page for item in result.items][-4:] == [1, 2, 2, 2]
    assert labels(result.blocks) == [
        "一、",
        "一、（一）",
        "一、（一）1.",
        "一、（一）2.",
        "一、（二）",
        "一、（二）1.",
        "二、",
    ]


def test_a_scanned_ofd_page_is_read_by_ocr(tmp_path: Path) -> None:
    if not FONT.exists():
        pytest.skip("需要 fonts-wqy-microhei（apt-get install fonts-wqy-microhei）")
    font = ImageFont.truetype(str(FONT), 40)
    scan = Image.new("L", (1200, 260), 255)
    draw = ImageDraw.Draw(scan)
    for row, text in enumerate(
        ["（三）倡导绿色低碳生活方式", "1.开展节能宣传周活动。（县发改局负责）"]
    ):
        draw.text((60, 50 + 90 * row), text, font=font, fill=0)
    out = io.BytesIO()
    scan.save(out, "PNG")
    path = build_ofd(tmp_path / "扫描页.ofd", [OFD_LINES[0], []], scans={1: out.getvalue()})

    result = read_document(path, ocr=Ocr())

    assert result.ocr_pages == {2}
    assert result.blocks[-2:] == [
        "（三）倡导绿色低碳生活方式",
        "1.开展节能宣传周活动。（县发改局负责）",
    ]
    assert [item.ocr for item in result.items][-3:] == [False, True, True]


def test_a_damaged_ofd_is_a_document_error(tmp_path: Path) -> None:
    path = tmp_path / "损坏.ofd"
    with zipfile.ZipFile(path, "w") as ofd:
        ofd.writestr("OFD.xml", "<ofd:OFD xmlns:ofd='x'><ofd:DocBody>")

    assert_refused(path, "OFD")


# --- Word and Excel 97–2003, WPS ---------------------------------------------------------------


def test_a_doc_reads_like_the_docx_it_was_saved_from_tables_as_measures() -> None:
    result = read_document(FORMATS / "table-plan.doc")

    assert result.format == "doc"
    assert result.blocks == read_blocks(PLANS / "table-plan.docx")
    assert result.blocks[3] == (
        "1.推进能源绿色低碳转型：加快推进合口镇、修梅镇等地集中式光伏项目建设，力争全年新增光伏"
        "装机容量10万千瓦以上。（牵头单位：县发改局；配合单位：县自然资源局、县林业局、"
        "国网临澧县供电公司；完成时限：2027年12月底前）"
    )


def test_a_wps_file_reads_like_the_text_it_holds() -> None:
    blocks = read_blocks(FORMATS / "lines-plan.wps")

    assert blocks == read_blocks(PLANS / "lines-plan.txt")
    assert "二、（一）2." in labels(blocks)


def test_an_xls_reads_like_the_xlsx_it_was_saved_from() -> None:
    result = read_document(FORMATS / "table-plan.xls")

    assert result.format == "xls"
    assert result.blocks == read_blocks(PLANS / "table-plan.xlsx")


def test_an_et_task_table_fills_merged_cells_and_writes_dates() -> None:
    assert read_blocks(FORMATS / "rural-energy.et") == [
        "安乡县2027年农村能源重点任务清单",
        "1.推进农村能源革命：推广农村户用光伏，全年新增户用光伏装机2万千瓦。"
        "（责任单位：县发改局、国网安乡县供电公司；完成时限：2027年12月31日）",
        "2.推进农村能源革命：实施农村电网巩固提升工程，改造10千伏线路30公里。"
        "（责任单位：国网安乡县供电公司；完成时限：2027年10月31日）",
        "3.推动秸秆综合利用：建设秸秆收储中心5个，秸秆综合利用率稳定在90%以上。"
        "（责任单位：县农业农村局（牵头）、各乡镇人民政府；完成时限：每年）",
        "4.推动秸秆综合利用：推广秸秆生物质成型燃料，替代散煤1万吨。"
        "（责任单位：县农业农村局；完成时限：2027年6月底前）",
    ]


# --- the content decides, not the name ---------------------------------------------------------


@pytest.mark.parametrize("suffix", [".doc", ".wps", ".txt"])
def test_a_docx_under_another_name_is_read_as_docx(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"通知{suffix}"
    shutil.copy(PLANS / "table-plan.docx", path)

    result = read_document(path)

    assert result.format == "docx"
    assert result.blocks == read_blocks(PLANS / "table-plan.docx")


def test_a_pdf_named_txt_is_read_as_pdf(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "方案.txt", [["一、主要目标", "1.推广屋顶光伏。"]])

    result = read_document(path)

    assert (result.format, result.blocks) == ("pdf", ["一、主要目标", "1.推广屋顶光伏。"])


def test_a_web_page_saved_as_doc_is_read_as_html(tmp_path: Path) -> None:
    path = tmp_path / "通知.doc"
    path.write_text("<html><body><p>一、主要目标</p><p>1.推广屋顶光伏。</p></body></html>", "utf-8")

    assert read_blocks(path) == ["一、主要目标", "1.推广屋顶光伏。"]


def test_folders_expand_to_every_format_read() -> None:
    new = {".ofd", ".doc", ".wps", ".xls", ".et", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"}
    assert new | {".txt", ".md", ".docx", ".xlsx", ".pdf", ".html", ".htm"} == SUPPORTED_SUFFIXES


# --- bad files -----------------------------------------------------------------------------------


def _docx_bytes(*paragraphs: str) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    path = tmp_path / "炸弹.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        with zipfile.ZipFile(io.BytesIO(_docx_bytes("一、任务"))) as real:
            for info in real.infolist():
                bomb.writestr(info, real.read(info))
        with bomb.open("word/media/zeros.bin", "w") as member:
            for _ in range(64):
                member.write(bytes(1024 * 1024))  # 64 MB of zeros pack into about 64 KB
    assert path.stat().st_size < 1024 * 1024

    assert_refused(path, "解压后", "拒绝")


def test_a_zip_declaring_more_than_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "大表.xlsx"
    shutil.copy(PLANS / "table-plan.xlsx", path)

    assert_refused(path, "解压后", limits=ReadLimits(max_unzipped_bytes=10_000))


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "方案.txt"
    shutil.copy(PLAN, path)

    assert_refused(path, "上限", limits=ReadLimits(max_bytes=1000))


def test_a_pdf_over_the_page_limit_is_refused(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "长文件.pdf", [["一、目标"], ["二、任务"], ["三、保障"]])

    assert_refused(path, "3 页", "上限", limits=ReadLimits(max_pages=2))


def test_a_scan_over_the_ocr_page_limit_is_refused_before_any_ocr(tmp_path: Path) -> None:
    path = tmp_path / "扫描件.pdf"
    blank = Image.new("L", (200, 280), 255)
    blank.save(path, save_all=True, append_images=[blank, blank])

    assert_refused(path, "文字识别", "上限", limits=ReadLimits(max_ocr_pages=2))


def test_a_docx_with_macros_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "带宏.docx"
    with zipfile.ZipFile(path, "w") as macro:
        with zipfile.ZipFile(io.BytesIO(_docx_bytes("一、任务"))) as real:
            for info in real.infolist():
                macro.writestr(info, real.read(info))
        macro.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0" + bytes(512))

    assert_refused(path, "宏")


@pytest.mark.parametrize(
    ("name", "picture"),
    [
        ("噪点.png", lambda: Image.frombytes("L", (400, 300), random.Random(1).randbytes(120_000))),
        ("图形.jpg", lambda: _shape()),
    ],
)
def test_a_picture_without_text_says_so(tmp_path: Path, name: str, picture) -> None:
    path = tmp_path / name
    picture().convert("RGB").save(path)

    assert_refused(path, "没有可提取的文字")


def _shape() -> Image.Image:
    image = Image.new("RGB", (640, 480), "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((160, 120, 480, 360), fill=(200, 60, 40))
    draw.rectangle((40, 40, 140, 110), outline="black", width=6)
    return image


def test_a_picture_over_the_pixel_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "大图.png"
    Image.new("L", (300, 200), 255).save(path)

    assert_refused(path, "像素", limits=ReadLimits(max_image_pixels=50_000))


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("损坏.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000), ["Word", "目前支持"]),
        ("不是表格.et", "一、任务".encode(), ["WPS 表格", "目前支持"]),
        ("照片.jpg", b"\xff\xd8\xff\xe0" + bytes(100), ["图片"]),
        ("压缩包.docx", b"PK\x03\x04" + random.Random(2).randbytes(300), ["Word"]),
        ("资料.zip", None, ["不支持"]),
    ],
)
def test_damaged_or_unknown_content_is_refused(tmp_path: Path, name, content, words) -> None:
    path = tmp_path / name
    if content is None:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("readme.txt", "一、任务")
    else:
        path.write_bytes(content)

    assert_refused(path, *words)
