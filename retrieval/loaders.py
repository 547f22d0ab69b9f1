"""Read policy documents (txt, md, docx, xlsx, pdf, html) into plain-text blocks.

This is the first step of ingestion: one file in, its paragraphs out, in reading order and with
conversion debris removed. It must not know about chunking, indexing, embeddings, settings or
HTTP: callers pass a path and get strings back, or a `DocumentError` whose message can be shown
to end users as it is.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import docx
import openpyxl
from bs4 import BeautifulSoup, NavigableString, Tag
from docx.table import Table
from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError

from retrieval.tables import join_cells, table_blocks

logger = logging.getLogger(__name__)


class DocumentError(Exception):
    """A document that cannot be read.

    str(exc) is a clear Chinese message naming the file, for end users.
    """


# Left behind by converters (bookmark anchors, zero-width characters, byte-order marks) and
# control characters (a stray NUL in a web page would not even fit in a PostgreSQL text column).
_DEBRIS = re.compile(r"\[bookmark:[^\]]*\]|[\u200b-\u200d\ufeff\x00-\x08\x0b-\x1f\x7f]")


def _clean(texts: Iterable[str]) -> list[str]:
    """Remove debris, turn NBSP into spaces, strip each text and drop the empty ones."""
    cleaned = (_DEBRIS.sub("", text).replace("\xa0", " ").strip() for text in texts)
    return [text for text in cleaned if text]


# --- plain text and markdown -------------------------------------------------------------------


def _decode(data: bytes, name: str) -> str:
    """Decode UTF-8 (with or without BOM), UTF-16 with a BOM, or GB18030 (a superset of GBK)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        # NUL never occurs in a text file; seeing one means the guess was wrong.
        if "\x00" not in text:
            logger.debug("Decoded %s as %s", name, encoding)
            return text
    raise DocumentError(
        f"无法识别文件“{name}”的文字编码，请将其另存为 UTF-8 或 GBK 编码的文本文件。"
    )


def _read_txt(data: bytes, name: str) -> list[str]:
    return _decode(data, name).splitlines()


_MD_LINE_MARKUP = re.compile(r"^\s*(?:(?:#{1,6}|>|[-*+](?=\s))\s*)+")
_MD_RULE = re.compile(r"\s*([-*_])(?:\s*\1){2,}\s*")


def _read_md(data: bytes, name: str) -> list[str]:
    return [
        _MD_LINE_MARKUP.sub("", line).replace("**", "").replace("__", "")
        for line in _read_txt(data, name)
        if not _MD_RULE.fullmatch(line)
    ]


# --- Word --------------------------------------------------------------------------------------


def _table_rows(table: Table) -> list[str]:
    # A merged cell comes back once per grid column and row it spans: its text stays in place.
    return table_blocks([[cell.text for cell in row.cells] for row in table.rows])


def _read_docx(data: bytes, name: str) -> list[str]:
    try:
        document = docx.Document(io.BytesIO(data))
        blocks: list[str] = []
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                blocks.extend(_table_rows(item))
            else:
                blocks.append(item.text)
    # A damaged file surfaces as zipfile, lxml, KeyError and other errors; all mean the same.
    except Exception as exc:
        raise DocumentError(f"文件“{name}”已损坏或不是有效的 Word（.docx）文档。") from exc
    return blocks


# --- PDF ---------------------------------------------------------------------------------------

_SENTENCE_END = tuple("。！？；：")
# 一、 （一） 1. 1、 （1） 第X章 第X节 第X条; "1.5万吨" is a number, not a heading.
_OFFICIAL_NUMBER = re.compile(
    r"[一二三四五六七八九十百]+、"
    r"|[（(][一二三四五六七八九十百\d]+[)）]"
    r"|\d+(?:[.．](?!\d)|、)"
    r"|第[一二三四五六七八九十百千\d]+[章节条]"
)
_RUNNING_MAX = 40
# Page numbers of official documents, such as "— 3 —", "- 3 -" or a number alone on its line;
# a text layer may also glue one inside a line ("四川―4―省能源局").
_DASH = r"\-—－–―"
_PAGE_NUMBER = re.compile(rf"[{_DASH}]+\s*\d+\s*[{_DASH}]+|\d{{1,3}}")
_INLINE_PAGE_NUMBER = re.compile(
    rf"(?<![\d{_DASH}])[{_DASH}]\s*\d{{1,3}}\s*[{_DASH}](?![\d{_DASH}])"
)


def _continues_paragraph(previous: str, line: str) -> bool:
    """Whether a PDF line is the visual continuation of the line before it."""
    return not previous.endswith(_SENTENCE_END) and not _OFFICIAL_NUMBER.match(line)


def _join_visual_lines(lines: Iterable[str]) -> list[str]:
    paragraphs: list[str] = []
    for line in lines:
        if paragraphs and _continues_paragraph(paragraphs[-1], line):
            paragraphs[-1] += line
        else:
            paragraphs.append(line)
    return paragraphs


def _running_lines(pages: list[str]) -> set[str]:
    """Running headers and footers: short lines printed on most pages ("XX市人民政府行政规范性文件")."""
    if len(pages) < 4:
        return set()
    seen = Counter(
        line
        for page in pages
        for line in {line.strip() for line in page.splitlines()}
        if 0 < len(line) <= _RUNNING_MAX and not _OFFICIAL_NUMBER.match(line)
    )
    return {line for line, count in seen.items() if count >= max(3, len(pages) // 2)}


def _read_pdf(data: bytes, name: str) -> list[str]:
    try:
        pages = [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]
    except (FileNotDecryptedError, DependencyError) as exc:
        raise DocumentError(f"文件“{name}”是加密的 PDF，请先解除密码保护。") from exc
    # pypdf reports damaged files through many exception types; all mean the same here.
    except Exception as exc:
        raise DocumentError(f"文件“{name}”已损坏或不是有效的 PDF 文档。") from exc
    running = _running_lines(pages)
    lines = _clean(
        line for page in pages for line in page.splitlines() if line.strip() not in running
    )
    if not lines:
        raise DocumentError(
            f"文件“{name}”没有文字层（可能是扫描件），需要先进行文字识别（OCR）才能读取。"
        )
    blank_pages = sum(not page.strip() for page in pages)
    if blank_pages:
        logger.warning("%s: %d of %d pages have no text layer", name, blank_pages, len(pages))
    return _join_visual_lines(
        _INLINE_PAGE_NUMBER.sub("", line) for line in lines if not _PAGE_NUMBER.fullmatch(line)
    )


# --- Excel -------------------------------------------------------------------------------------


def _cell_text(value: object) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _read_xlsx(data: bytes, name: str) -> list[str]:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=False, data_only=True)
    # A damaged file surfaces as zipfile, lxml, KeyError and other errors; all mean the same.
    except Exception as exc:
        raise DocumentError(f"文件“{name}”已损坏或不是有效的 Excel（.xlsx）表格。") from exc
    blocks: list[str] = []
    for sheet in workbook.worksheets:
        rows = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        for merged in sheet.merged_cells.ranges:  # a merged cell's text fills its whole range
            top = rows[merged.min_row - 1][merged.min_col - 1]
            for r in range(merged.min_row - 1, min(merged.max_row, len(rows))):
                for c in range(merged.min_col - 1, min(merged.max_col, len(rows[r]))):
                    rows[r][c] = top
        blocks.extend(table_blocks(rows))
    return blocks


# --- HTML --------------------------------------------------------------------------------------

_HTML_NOISE = ["head", "script", "style", "noscript", "template", "nav", "header", "footer"]
# Tags that start and end a block of text; everything else (span, a, strong...) runs inline.
_HTML_BREAKS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "blockquote", "pre", "br", "hr"}
    | {"html", "body", "main", "article", "section", "aside", "div", "form", "figure", "address"}
    | {"ul", "ol", "dl", "table", "thead", "tbody", "tfoot", "caption", "td", "th", "figcaption"}
)
_HTML_WHITESPACE = re.compile(r"[ \t\r\n\f]+")


def _html_text(text: str) -> str:
    """Collapse whitespace as a browser does; HTML whitespace is ASCII, so U+3000 is kept."""
    return _HTML_WHITESPACE.sub(" ", text)


def _collect_runs(element: Tag, runs: list[list[str]]) -> None:
    """Append each text node to the current run; block tags and table rows start new runs.

    Every text node is visited once, so nested blocks never repeat their text.
    """
    for child in element.children:
        if isinstance(child, Tag):
            if child.name == "tr":
                cells = child.find_all(["td", "th"], recursive=False)
                runs.extend(([join_cells(_html_text(cell.get_text()) for cell in cells)], []))
            elif child.name in _HTML_BREAKS:
                runs.append([])
                _collect_runs(child, runs)
                runs.append([])
            else:
                _collect_runs(child, runs)
        # Exact type: subclasses are comments, doctypes, CDATA and processing instructions.
        elif type(child) is NavigableString:
            runs[-1].append(child)


def _read_html(data: bytes, name: str) -> list[str]:
    # Given bytes, BeautifulSoup honours the page's declared charset.
    soup = BeautifulSoup(data, "html.parser")
    for noise in soup.find_all(_HTML_NOISE):
        noise.decompose()
    runs: list[list[str]] = [[]]
    _collect_runs(soup, runs)
    return [_html_text("".join(run)) for run in runs]


# --- entry point -------------------------------------------------------------------------------

_READERS: dict[str, Callable[[bytes, str], list[str]]] = {
    ".txt": _read_txt,
    ".md": _read_md,
    ".docx": _read_docx,
    ".pdf": _read_pdf,
    ".xlsx": _read_xlsx,
    ".html": _read_html,
    ".htm": _read_html,
}
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_READERS)
# Several times the longest national plan: more text than this is a dump or a book, which would
# take minutes to index and crowd out the plans in search. It has to be split first.
MAX_CHARS = 500_000


def read_blocks(path: Path) -> list[str]:
    """Read a document as text blocks.

    Args:
        path: A .txt, .md, .docx, .xlsx, .pdf, .html or .htm file.

    Returns:
        The document's blocks (paragraphs, lines, table rows) in reading order, original
        characters kept, each stripped of surrounding whitespace, empty ones and conversion
        debris removed.

    Raises:
        DocumentError: The file is missing, empty, unsupported, damaged, encrypted, has no
            text or more than ``MAX_CHARS`` of it; the message is in Chinese and names the file.
    """
    path = Path(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        supported = "、".join(sorted(SUPPORTED_SUFFIXES))
        raise DocumentError(f"不支持文件“{path.name}”的格式，目前支持：{supported}。")
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise DocumentError(f"找不到文件“{path.name}”。") from exc
    except OSError as exc:
        raise DocumentError(f"无法打开文件“{path.name}”，请检查它是否存在且可读。") from exc
    if not data:
        raise DocumentError(f"文件“{path.name}”是空文件。")
    blocks = _clean(reader(data, path.name))
    if not blocks:
        raise DocumentError(f"文件“{path.name}”中没有可提取的文字。")
    if sum(map(len, blocks)) > MAX_CHARS:
        raise DocumentError(
            f"文件“{path.name}”的文字超过 {MAX_CHARS // 10_000} 万字，请拆分成多个文件后再入库。"
        )
    logger.debug("Read %d blocks from %s", len(blocks), path)
    return blocks
