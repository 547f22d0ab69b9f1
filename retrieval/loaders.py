"""Read policy documents, in every format a county office receives, into plain-text blocks.

This is the first step of ingestion: one file in, its paragraphs out, in reading order and with
conversion debris removed. The format is told from the content, not the name (``formats.sniff``):
txt, md, html, docx, xlsx, pdf (scanned pages by OCR), OFD, Word and Excel 97–2003 (.doc/.wps,
.xls/.et) and pictures of pages (OCR). One reader per format lives in ``retrieval.formats``.

It must not know about chunking, indexing, embeddings, settings or HTTP: callers pass a path
(and, if they like, limits, an OCR cache directory and a progress callback) and get blocks back,
or a `DocumentError` whose message can be shown to end users as it is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from retrieval.formats.common import (
    MAX_CHARS,
    Block,
    DocumentError,
    ReadContext,
    ReadLimits,
    ReadResult,
    blocks_of,
    clean,
    megabytes,
)
from retrieval.formats.excel import read_xls, read_xlsx
from retrieval.formats.html import read_html
from retrieval.formats.image import read_image
from retrieval.formats.ocr import Ocr, OnPage, RapidOcrEngine, default_ocr
from retrieval.formats.ofd import read_ofd
from retrieval.formats.pdf import read_pdf
from retrieval.formats.sniff import SUFFIXES, sniff
from retrieval.formats.text import read_md, read_txt
from retrieval.formats.word import read_doc, read_docx

__all__ = [
    "MAX_CHARS",
    "SUPPORTED_SUFFIXES",
    "Block",
    "DocumentError",
    "Ocr",
    "OnPage",
    "RapidOcrEngine",
    "ReadLimits",
    "ReadResult",
    "read_blocks",
    "read_document",
]

logger = logging.getLogger(__name__)

Reader = Callable[[bytes, str, ReadContext], ReadResult]


def _plain(format_: str, read: Callable[[bytes, str], list[str]]) -> Reader:
    """A reader of a format without pages or OCR."""
    return lambda data, name, _: ReadResult(format_, blocks_of(read(data, name)))


_READERS: dict[str, Reader] = {
    "txt": _plain("txt", read_txt),
    "md": _plain("md", read_md),
    "html": _plain("html", read_html),
    "docx": _plain("docx", read_docx),
    "doc": _plain("doc", read_doc),
    "xlsx": _plain("xlsx", read_xlsx),
    "xls": _plain("xls", read_xls),
    "pdf": read_pdf,
    "ofd": read_ofd,
    "image": read_image,
}
SUPPORTED_SUFFIXES: frozenset[str] = SUFFIXES
"""File names a folder is expanded to; a file given by name is read whatever its name says."""


def read_document(
    path: Path,
    *,
    limits: ReadLimits | None = None,
    ocr_cache: Path | None = None,
    on_page: OnPage | None = None,
    ocr: Ocr | None = None,
) -> ReadResult:
    """Read a document as text blocks, telling which came from OCR.

    Args:
        path: The file; its content decides the format (see ``SUPPORTED_SUFFIXES``).
        limits: Size, page and unpacking limits past which the file is refused (default:
            ``ReadLimits()``).
        ocr_cache: A directory keeping OCR results by file hash and engine version across
            processes (the composition root passes ``<data_dir>/ocr-cache``); None keeps them
            in this process only.
        on_page: Called as ``on_page(0, total)`` before OCR starts and ``on_page(done, total)``
            after each page it recognised; pages found in a cache are not recognised again and
            not counted.
        ocr: The OCR to use (default: the process's shared one, loaded on first use).

    Returns:
        The document's blocks (paragraphs, lines, table rows) in reading order, original
        characters kept, each stripped of surrounding whitespace, empty ones and conversion
        debris removed; its page count and the pages read by OCR.

    Raises:
        DocumentError: The file is missing, empty, too large, of no supported format, damaged,
            encrypted, carries macros, has too many pages, no text or more than
            ``limits.max_chars`` of it; the message is in Chinese and names the file.
    """
    path = Path(path)
    name = path.name
    limits = limits or ReadLimits()
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise DocumentError(
                f"文件“{name}”有 {megabytes(size)}，超过了 {megabytes(limits.max_bytes)} 的上限，"
                "请压缩或拆分后再上传。"
            )
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise DocumentError(f"找不到文件“{name}”。") from exc
    except OSError as exc:
        raise DocumentError(f"无法打开文件“{name}”，请检查它是否存在且可读。") from exc
    if not data:
        raise DocumentError(f"文件“{name}”是空文件。")
    format_ = sniff(data, name, path.suffix.lower(), limits)
    context = ReadContext(
        limits, (ocr or default_ocr()).session(data, cache_dir=ocr_cache, on_page=on_page)
    )
    result = _READERS[format_](data, name, context)
    items = tuple(
        Block(text, item.page, item.ocr) for item in result.items if (text := clean(item.text))
    )
    if not items:
        raise DocumentError(f"文件“{name}”中没有可提取的文字。")
    if sum(len(item.text) for item in items) > limits.max_chars:
        raise DocumentError(
            f"文件“{name}”的文字超过 {limits.max_chars // 10_000} 万字，请拆分成多个文件后再入库。"
        )
    logger.debug("Read %d blocks from %s as %s", len(items), path, format_)
    return replace(result, items=items)


def read_blocks(
    path: Path,
    *,
    limits: ReadLimits | None = None,
    ocr_cache: Path | None = None,
    on_page: OnPage | None = None,
    ocr: Ocr | None = None,
) -> list[str]:
    """The blocks of ``read_document(path, …)`` as plain strings (see there)."""
    return read_document(path, limits=limits, ocr_cache=ocr_cache, on_page=on_page, ocr=ocr).blocks
