"""PDF: the text layer where a page has one, OCR where it has none or only garbage.

A page whose text layer is empty (a scan, or text turned into outlines) or mostly characters no
font maps (replacement, private-use and control characters, GBK bytes read as Latin-1) is
rendered with pdfium and recognised; other pages keep their text layer. Visual lines become
paragraphs, running heads and page numbers are dropped.
"""

from __future__ import annotations

import io
import logging
import threading
import unicodedata

import pypdfium2 as pdfium
from PIL import Image
from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError

from retrieval.formats.common import (
    PAGE_NUMBER,
    DocumentError,
    Line,
    ReadContext,
    ReadResult,
    join_lines,
    too_many_ocr_pages,
    too_many_pages,
    without_page_furniture,
)
from retrieval.formats.ocr import ocr_lines

logger = logging.getLogger(__name__)

# pdfium is not thread-safe, even across documents: one call into it at a time per process.
_PDFIUM = threading.Lock()
# A text layer with more than this share of unmapped characters is garbage.
_GARBAGE_SHARE = 0.3
# Latin-1 characters that do occur in Chinese official documents.
_LATIN1_KEPT = frozenset("·×÷°±§²³µ¼½¾")


def _unmapped(char: str) -> bool:
    code = ord(char)
    return (
        char == "\ufffd"
        or unicodedata.category(char) in ("Cc", "Co", "Cn", "Cs")
        or (0x80 <= code <= 0xFF and char not in _LATIN1_KEPT)
    )


def needs_ocr(text: str) -> bool:
    """A page without a usable text layer: nothing but a page number, or mostly garbage."""
    lines = [line.strip() for line in text.splitlines()]
    chars = [
        c for line in lines if not PAGE_NUMBER.fullmatch(line) for c in line if not c.isspace()
    ]
    if not chars:
        return True
    return sum(map(_unmapped, chars)) > _GARBAGE_SHARE * len(chars)


def _page_texts(data: bytes, name: str, context: ReadContext) -> list[str]:
    try:
        reader = PdfReader(io.BytesIO(data))
        count = len(reader.pages)
        if count > context.limits.max_pages:
            raise too_many_pages(name, count, context.limits.max_pages)
        return [page.extract_text() or "" for page in reader.pages]
    except (FileNotDecryptedError, DependencyError) as exc:
        raise DocumentError(f"文件“{name}”是加密的 PDF，请先解除密码保护。") from exc
    except DocumentError:
        raise
    # pypdf reports damaged files through many exception types; all mean the same here.
    except Exception as exc:
        raise DocumentError(f"文件“{name}”已损坏或不是有效的 PDF 文档。") from exc


def read_pdf(data: bytes, name: str, context: ReadContext) -> ReadResult:
    texts = _page_texts(data, name, context)
    scanned = [index for index, text in enumerate(texts) if needs_ocr(text)]
    boxes = {}
    if scanned:
        if len(scanned) > context.limits.max_ocr_pages:
            raise too_many_ocr_pages(name, len(scanned), context.limits.max_ocr_pages)
        logger.info("%s: %d of %d pages need OCR", name, len(scanned), len(texts))
        boxes = _recognize(data, name, scanned, context)
    pages = [
        ocr_lines(boxes[index], page=index + 1)
        if index in boxes
        else [Line(text, page=index + 1) for text in texts[index].splitlines()]
        for index in range(len(texts))
    ]
    lines = without_page_furniture(pages)
    if not lines:
        raise DocumentError(
            f"文件“{name}”中没有可提取的文字：它没有文字层，文字识别（OCR）也没有识别出文字。"
        )
    blank = sum(not page for page in pages)
    if blank:
        logger.warning("%s: %d of %d pages have no text", name, blank, len(pages))
    return ReadResult(
        "pdf",
        tuple(join_lines(lines)),
        pages=len(texts),
        ocr_pages=frozenset(index + 1 for index, found in boxes.items() if found),
    )


def _recognize(data: bytes, name: str, scanned: list[int], context: ReadContext) -> dict[int, list]:
    scale = context.ocr.dpi / 72
    try:
        with _PDFIUM:
            document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise DocumentError(f"文件“{name}”已损坏或不是有效的 PDF 文档。") from exc

    def render(index: int) -> Image.Image:
        with _PDFIUM:
            page = document[index]
            try:
                return page.render(scale=scale).to_pil()
            finally:
                page.close()

    try:
        return context.ocr.read(scanned, render)
    except pdfium.PdfiumError as exc:
        raise DocumentError(f"文件“{name}”的扫描页无法渲染，文件可能已损坏。") from exc
    finally:
        with _PDFIUM:
            document.close()
