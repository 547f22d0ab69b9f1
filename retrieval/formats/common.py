"""What every reader shares: the error users see, the limits, and lines joined into paragraphs."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from retrieval.formats.ocr import PageOcr

_MB = 1024 * 1024


class DocumentError(Exception):
    """A document that cannot be read.

    str(exc) is a clear Chinese message naming the file, for end users.
    """


# Several times the longest national plan: more text than this is a dump or a book, which would
# take minutes to index and crowd out the plans in search. It has to be split first.
MAX_CHARS = 500_000


@dataclass(frozen=True)
class ReadLimits:
    """What a file may hold before it is refused unread (the composition root maps settings here).

    Attributes:
        max_bytes: Size of the file itself.
        max_pages: Pages of a PDF or OFD (or frames of an image).
        max_ocr_pages: Pages that need OCR (6–15 s each on two cores).
        max_unzipped_bytes: Declared uncompressed size of a ZIP-based file (docx, xlsx, ofd).
        max_zip_ratio: Declared uncompressed / compressed size, for ZIP files that unpack to more
            than 16 MB: a zip bomb packs gigabytes of zeros at about 1000:1.
        max_image_pixels: Pixels of one image (a decompression bomb is a tiny PNG of 10⁹ pixels).
        max_chars: Characters of text in the whole document.
    """

    max_bytes: int = 100 * _MB
    max_pages: int = 1000
    max_ocr_pages: int = 200
    max_unzipped_bytes: int = 512 * _MB
    max_zip_ratio: int = 100
    max_image_pixels: int = 80_000_000
    max_chars: int = MAX_CHARS


@dataclass(frozen=True)
class Line:
    """One visual line as a reader found it."""

    text: str
    page: int | None = None
    ocr: bool = False
    # The layout says a paragraph starts here (an indented OCR line, a gap before an OFD line).
    starts_paragraph: bool = False


@dataclass(frozen=True)
class Block:
    """One block of text (a paragraph, a heading, a table row) and where it came from."""

    text: str
    page: int | None = None
    """1-based page it starts on, for formats with pages."""
    ocr: bool = False
    """Read by OCR from a page image: the review page marks it, since it may hold misreadings."""


@dataclass(frozen=True)
class ReadResult:
    """A document as read: its blocks in reading order and how they were obtained."""

    format: str
    """What the content is ("pdf", "docx", "doc", "xlsx", "xls", "ofd", "image", "txt", …),
    whatever the file's name says."""
    items: tuple[Block, ...]
    pages: int = 0
    """Pages (PDF, OFD) or frames (image); 0 for formats without pages."""
    ocr_pages: frozenset[int] = field(default_factory=frozenset)
    """1-based pages whose text was read by OCR."""

    @property
    def blocks(self) -> list[str]:
        return [item.text for item in self.items]


@dataclass(frozen=True)
class ReadContext:
    """What a reader may use besides the bytes: the limits and OCR for pages without text."""

    limits: ReadLimits
    ocr: PageOcr


def blocks_of(texts: Iterable[str]) -> tuple[Block, ...]:
    return tuple(Block(text) for text in texts)


def megabytes(size: int) -> str:
    return f"{size / _MB:.0f} MB" if size >= _MB else f"{size / 1024:.0f} KB"


def too_many_pages(name: str, pages: int, limit: int) -> DocumentError:
    return DocumentError(
        f"文件“{name}”有 {pages} 页，超过了 {limit} 页的上限，请拆分成多个文件后再上传。"
    )


def too_many_ocr_pages(name: str, pages: int, limit: int) -> DocumentError:
    return DocumentError(
        f"文件“{name}”有 {pages} 页需要文字识别（扫描页或图片），超过了 {limit} 页的上限，"
        "请拆分成多个文件后再上传。"
    )


# --- visual lines into paragraphs (PDF, OFD, OCR) -----------------------------------------------

SENTENCE_END = tuple("。！？；：")
# 一、 （一） 1. 1、 （1） 第X章 第X节 第X条; "1.5万吨" is a number, not a heading.
OFFICIAL_NUMBER = re.compile(
    r"[一二三四五六七八九十百]+、"
    r"|[（(][一二三四五六七八九十百\d]+[)）]"
    r"|\d+(?:[.．](?!\d)|、)"
    r"|第[一二三四五六七八九十百千\d]+[章节条]"
)
_RUNNING_MAX = 40
# Page numbers of official documents, such as "— 3 —", "- 3 -" or a number alone on its line;
# a text layer may also glue one inside a line ("四川―4―省能源局").
_DASH = r"\-—－–―"
PAGE_NUMBER = re.compile(rf"[{_DASH}]+\s*\d+\s*[{_DASH}]+|\d{{1,3}}")
_INLINE_PAGE_NUMBER = re.compile(
    rf"(?<![\d{_DASH}])[{_DASH}]\s*\d{{1,3}}\s*[{_DASH}](?![\d{_DASH}])"
)
# Left behind by converters (bookmark anchors, zero-width characters, byte-order marks) and
# control characters (a stray NUL in a web page would not even fit in a PostgreSQL text column).
_DEBRIS = re.compile(r"\[bookmark:[^\]]*\]|[\u200b-\u200d\ufeff\x00-\x08\x0b-\x1f\x7f]")


def clean(text: str) -> str:
    """Remove debris, turn NBSP into a space and strip."""
    return _DEBRIS.sub("", text).replace("\xa0", " ").strip()


def _continues_paragraph(previous: str, line: Line) -> bool:
    """Whether a line is the visual continuation of the text before it."""
    return (
        not line.starts_paragraph
        and not previous.endswith(SENTENCE_END)
        and not OFFICIAL_NUMBER.match(line.text)
    )


def join_lines(lines: Iterable[Line]) -> list[Block]:
    """Visual lines joined into paragraphs: a paragraph ends at a sentence end, before an official
    number, or where the layout starts a new one."""
    blocks: list[Block] = []
    for line in lines:
        if blocks and _continues_paragraph(blocks[-1].text, line):
            last = blocks[-1]
            blocks[-1] = Block(last.text + line.text, last.page, last.ocr or line.ocr)
        else:
            blocks.append(Block(line.text, line.page, line.ocr))
    return blocks


def _running_lines(pages: Sequence[Sequence[Line]]) -> set[str]:
    """Running headers and footers: short lines printed on most pages ("XX市人民政府行政规范性文件")."""
    if len(pages) < 4:
        return set()
    seen = Counter(
        text
        for page in pages
        for text in {line.text.strip() for line in page}
        if 0 < len(text) <= _RUNNING_MAX and not OFFICIAL_NUMBER.match(text)
    )
    return {text for text, count in seen.items() if count >= max(3, len(pages) // 2)}


def without_page_furniture(pages: Sequence[Sequence[Line]]) -> list[Line]:
    """The lines of all pages, cleaned, without running heads, page numbers or empty lines."""
    running = _running_lines(pages)
    kept: list[Line] = []
    for page in pages:
        for line in page:
            if line.text.strip() in running:
                continue
            text = clean(line.text)
            if not text or PAGE_NUMBER.fullmatch(text):
                continue
            text = _INLINE_PAGE_NUMBER.sub("", text)
            kept.append(Line(text, line.page, line.ocr, line.starts_paragraph))
    return kept
