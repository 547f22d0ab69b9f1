"""OCR of page images (scanned PDF pages, photos), with the page layout turned back into lines.

The engine is RapidOCR with the PP-OCRv6 detection and recognition models that ship inside the
``rapidocr`` wheel: the model paths are given explicitly, so it never looks for a download. It is
loaded on the first page that needs it, never at import. Results are kept per page, by the sha256
of the file and the engine's version: in memory for the process (a document read twice, for
the index and for the ledger, is recognised once) and, where the caller passes a directory, on
disk across processes. A page is recognised under a lock in the calling thread; onnxruntime
releases the GIL while it runs, so other threads (questions being answered) go on meanwhile.

Recognised boxes become lines (boxes side by side on one line, left to right); a line indented
from the page's left margin starts a paragraph; official numbering that OCR tends to garble
("(一)", "（ 一 ）", "一，" at a paragraph's start, "1，") is written back as printed.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import re
import statistics
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from retrieval.formats.common import SENTENCE_END, Line

if TYPE_CHECKING:
    from PIL import Image

logger = logging.getLogger(__name__)

OnPage = Callable[[int, int], None]
"""Progress: ``on_page(0, total)`` before the first page to recognise, then ``on_page(done, total)``
after each; pages found in a cache are not recognised and not counted."""

# Pages rendered at 200 dpi: 150 dpi reads clean body text as well, but misread more brackets
# of small print (（ as ( in 10.5 pt table text); recognition time hardly changes.
DEFAULT_DPI = 200
_DET_SIDE = 1600


@dataclass(frozen=True)
class TextBox:
    """One recognised piece of text and its box on the page image (pixels)."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    score: float


class OcrEngine(Protocol):
    @property
    def version(self) -> str:
        """Names the engine and models: cached results of another version are not used."""
        ...

    def recognize(self, image: Image.Image) -> list[TextBox]: ...


class RapidOcrEngine:
    """RapidOCR on onnxruntime with the models inside its wheel; nothing is downloaded."""

    _DET = "PP-OCRv6_det_small.onnx"
    _REC = "PP-OCRv6_rec_small.onnx"

    def __init__(self, *, threads: int = 2) -> None:
        self._threads = max(1, min(threads, os.cpu_count() or 1))
        self._engine: Any = None
        self._lock = threading.Lock()

    @property
    def version(self) -> str:
        return f"rapidocr-{version('rapidocr')}-{self._DET}@{_DET_SIDE}-{self._REC}"

    def _load(self) -> Any:
        with self._lock:
            if self._engine is None:
                import rapidocr  # heavy (opencv, onnxruntime): only once a page needs OCR

                models = Path(rapidocr.__file__).parent / "models"
                self._engine = rapidocr.RapidOCR(
                    params={
                        "Global.log_level": "error",
                        "Global.use_cls": False,  # upright pages; the classifier costs ~20%
                        # A4 at 200 dpi is 1654 × 2339: recognise lines at that size, but
                        # find them at ≤ 1600 px (det takes a quarter of the time; no line of
                        # 10.5 pt text was missed).
                        "Global.max_side_len": 2400,
                        "Det.limit_type": "max",
                        "Det.limit_side_len": _DET_SIDE,
                        "Det.model_path": str(models / self._DET),
                        "Rec.model_path": str(models / self._REC),
                        "EngineConfig.onnxruntime.intra_op_num_threads": self._threads,
                        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                    }
                )
            return self._engine

    def recognize(self, image: Image.Image) -> list[TextBox]:
        output = self._load()(image.convert("RGB"))
        if output.boxes is None or output.txts is None:
            return []
        boxes = []
        for points, text, score in zip(output.boxes, output.txts, output.scores, strict=True):
            xs, ys = np.asarray(points)[:, 0], np.asarray(points)[:, 1]
            boxes.append(
                TextBox(
                    str(text),
                    float(xs.min()),
                    float(ys.min()),
                    float(xs.max()),
                    float(ys.max()),
                    float(score),
                )
            )
        return boxes


class Ocr:
    """OCR for a process: one engine, one page at a time, recent pages remembered."""

    def __init__(
        self, engine: OcrEngine | None = None, *, dpi: int = DEFAULT_DPI, memo_pages: int = 512
    ) -> None:
        self.engine = engine or RapidOcrEngine()
        self.dpi = dpi
        self._memo: OrderedDict[tuple[str, str, int], list[TextBox]] = OrderedDict()
        self._memo_pages = memo_pages
        self._memo_lock = threading.Lock()
        self._engine_lock = threading.Lock()

    @property
    def key(self) -> str:
        """What a cached page depends on besides the file: the engine, its models, the dpi."""
        return f"{self.engine.version}-{self.dpi}dpi"

    def session(self, data: bytes, *, cache_dir: Path | None, on_page: OnPage | None) -> PageOcr:
        return PageOcr(self, data, cache_dir=cache_dir, on_page=on_page)

    def recognize(self, image: Image.Image) -> list[TextBox]:
        if _is_blank(image):
            return []
        with self._engine_lock:
            return self.engine.recognize(image)

    def remembered(self, digest: str, page: int) -> list[TextBox] | None:
        with self._memo_lock:
            boxes = self._memo.get((self.key, digest, page))
            if boxes is not None:
                self._memo.move_to_end((self.key, digest, page))
            return boxes

    def remember(self, digest: str, page: int, boxes: list[TextBox]) -> None:
        with self._memo_lock:
            self._memo[(self.key, digest, page)] = boxes
            while len(self._memo) > self._memo_pages:
                self._memo.popitem(last=False)


_DEFAULT: Ocr | None = None
_DEFAULT_LOCK = threading.Lock()


def default_ocr() -> Ocr:
    """The process's shared OCR (created on first use; the models load on the first page)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = Ocr()
        return _DEFAULT


class PageOcr:
    """OCR of one document's pages: cached by the file's hash, progress reported per page."""

    def __init__(
        self, ocr: Ocr, data: bytes, *, cache_dir: Path | None, on_page: OnPage | None
    ) -> None:
        self._ocr = ocr
        self._data = data
        self._digest: str | None = None
        self._cache_dir = cache_dir
        self._on_page = on_page

    @property
    def dpi(self) -> int:
        return self._ocr.dpi

    @property
    def digest(self) -> str:
        if self._digest is None:
            self._digest = hashlib.sha256(self._data).hexdigest()
        return self._digest

    def read(
        self, pages: Sequence[int], render: Callable[[int], Image.Image]
    ) -> dict[int, list[TextBox]]:
        """The boxes of each page (0-based numbers); ``render(page)`` is called only for pages
        that were not recognised before."""
        found: dict[int, list[TextBox]] = {}
        todo: list[int] = []
        for page in pages:
            boxes = self._ocr.remembered(self.digest, page)
            if boxes is None:
                boxes = self._load(page)
            if boxes is None:
                todo.append(page)
            else:
                found[page] = boxes
        if todo and self._on_page is not None:
            self._on_page(0, len(todo))  # a progress bar can show "0 of N" before the wait
        for done, page in enumerate(todo, start=1):
            boxes = self._ocr.recognize(render(page))
            self._store(page, boxes)
            found[page] = boxes
            if self._on_page is not None:
                self._on_page(done, len(todo))
        return found

    def _path(self, page: int) -> Path | None:
        if self._cache_dir is None:
            return None
        key = re.sub(r"[^A-Za-z0-9._-]+", "_", self._ocr.key)
        return self._cache_dir / key / self.digest[:2] / f"{self.digest}-p{page + 1:04d}.json"

    def _load(self, page: int) -> list[TextBox] | None:
        path = self._path(page)
        if path is None or not path.is_file():
            return None
        try:
            rows = json.loads(path.read_text("utf-8"))["boxes"]
            boxes = [TextBox(str(r[0]), *map(float, r[1:6])) for r in rows]
        except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
            logger.warning("ignoring a damaged OCR cache file %s: %s", path, exc)
            return None
        self._ocr.remember(self.digest, page, boxes)
        return boxes

    def _store(self, page: int, boxes: list[TextBox]) -> None:
        self._ocr.remember(self.digest, page, boxes)
        path = self._path(page)
        if path is None:
            return
        rows = [[b.text, b.x0, b.y0, b.x1, b.y1, b.score] for b in boxes]
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            temporary.write_text(
                json.dumps({"engine": self._ocr.key, "boxes": rows}, ensure_ascii=False), "utf-8"
            )
            os.replace(temporary, path)  # a reader never sees half a file
        except OSError as exc:  # a full or read-only disk costs the cache, not the document
            logger.warning("could not cache OCR of %s page %d: %s", self.digest, page + 1, exc)


def _is_blank(image: Image.Image) -> bool:
    """Nothing printed on the page (a blank side of a scan): no need to run the models."""
    gray = np.asarray(image.convert("L"))
    return int((gray < 160).sum()) < 20


# --- boxes into lines -------------------------------------------------------------------------

# Spaces OCR puts between Chinese characters ("（ 一 ）", "碳 达峰"): only Latin words need them.
_WIDE_SPACE = re.compile(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])")


@dataclass
class _Row:
    boxes: list[TextBox]

    @property
    def top(self) -> float:
        return min(b.y0 for b in self.boxes)

    @property
    def bottom(self) -> float:
        return max(b.y1 for b in self.boxes)

    @property
    def left(self) -> float:
        return min(b.x0 for b in self.boxes)

    @property
    def right(self) -> float:
        return max(b.x1 for b in self.boxes)

    @property
    def height(self) -> float:
        return statistics.median(b.y1 - b.y0 for b in self.boxes)

    def text(self) -> str:
        ordered = sorted(self.boxes, key=lambda b: b.x0)
        parts = [_WIDE_SPACE.sub("", ordered[0].text.strip())]
        for before, box in itertools.pairwise(ordered):
            text = _WIDE_SPACE.sub("", box.text.strip())
            gap = box.x0 - before.x1
            latin = parts[-1][-1:].isascii() and text[:1].isascii()
            height = min(before.y1 - before.y0, box.y1 - box.y0)
            # side-by-side columns or cells keep a space; one line split in two does not
            if gap > 1.5 * height or (latin and gap > 0.25 * height):
                parts.append(" ")
            parts.append(text)
        return "".join(parts).strip()


def _rows(boxes: Sequence[TextBox]) -> list[_Row]:
    """Boxes grouped into lines: a box joins a line it overlaps by half its own height."""
    rows: list[_Row] = []
    for box in sorted(boxes, key=lambda b: (b.y0 + b.y1) / 2):
        if not box.text.strip():
            continue
        for row in reversed(rows[-3:]):
            overlap = min(row.bottom, box.y1) - max(row.top, box.y0)
            if overlap >= 0.5 * min(box.y1 - box.y0, row.bottom - row.top):
                row.boxes.append(box)
                break
        else:
            rows.append(_Row([box]))
    rows.sort(key=lambda row: row.top)
    return rows


_CN_DIGITS = "一二三四五六七八九十"
# "（一）" read as "(一)", "（ 一 ）", "（一)"; "一" also comes back as a dash: "(-)", "（—）".
_PAREN_CN = re.compile(rf"^[(（]\s*([{_CN_DIGITS}]{{1,3}}|[-—－])\s*[)）]\s*")
_PAREN_NUMBER = re.compile(r"^[(（]\s*(\d{1,2})\s*[)）]\s*")
# "一、" read as "一，", "一.", "一 、" or "-、": a paragraph's start only ("一，二，三" inside
# a sentence is text).
_CN_ITEM = re.compile(rf"^([{_CN_DIGITS}]{{1,3}}|[-—－])\s*[，,.．·、]\s*(?=\S)")
# "1." or "1、" read as "1，", "1·" or with spaces inside.
_NUMBER_ITEM = re.compile(r"^(\d{1,2})\s*([.．、，,·])\s*(?=[^\d\s.．])")
_PRINTED_NUMBER = re.compile(r"^\d{1,2}([.．、])(?=[^\d\s])")


def _digit(text: str) -> str:
    return "一" if text in "-—－" else text


def repair_numbering(text: str, *, paragraph_start: bool, number_style: str = ".") -> str:
    """Official numbering at the start of an OCR'd line, written as it is printed.

    Args:
        text: The line.
        paragraph_start: The layout puts a paragraph start here (indented, or after a sentence
            end), where a number is expected; only there are "一，" and "1，" taken for numbers.
        number_style: How this document writes "1." items ("." "．" or "、").
    """
    found = _PAREN_CN.match(text)
    if found:
        return f"（{_digit(found.group(1))}）" + text[found.end() :]
    found = _PAREN_NUMBER.match(text)
    if found:
        return f"（{found.group(1)}）" + text[found.end() :]
    if not paragraph_start:
        return text
    found = _CN_ITEM.match(text)
    if found:
        return f"{_digit(found.group(1))}、" + text[found.end() :]
    found = _NUMBER_ITEM.match(text)
    if found:
        mark = found.group(2)
        mark = mark if mark in ".．、" else number_style
        return f"{found.group(1)}{mark}" + text[found.end() :]
    return text


def ocr_lines(boxes: Sequence[TextBox], *, page: int) -> list[Line]:
    """The lines of one OCR'd page, top to bottom, numbering repaired, paragraph starts marked.

    Args:
        boxes: The page's recognised boxes.
        page: The page's 1-based number, carried by every line.
    """
    rows = _rows(boxes)
    if not rows:
        return []
    height = statistics.median(row.height for row in rows)
    right = max(row.right for row in rows)
    # The left margin is where full lines start; indented first lines and centred titles start
    # to the right of it.
    full = [row.left for row in rows if row.right >= right - 2 * height]
    margin = statistics.median(full) if full else min(row.left for row in rows)
    texts = [row.text() for row in rows]
    styles = Counter(m.group(1) for m in map(_PRINTED_NUMBER.match, texts) if m)
    style = styles.most_common(1)[0][0] if styles else "."
    lines: list[Line] = []
    ended = True  # the page's first line may start a paragraph
    for row, text in zip(rows, texts, strict=True):
        indented = row.left - margin > 0.9 * height
        short = row.right < right - 2 * height  # the previous line stopped short of the margin
        text = repair_numbering(text, paragraph_start=indented or ended, number_style=style)
        lines.append(Line(text, page=page, ocr=True, starts_paragraph=indented))
        ended = text.endswith(SENTENCE_END) or short
    return lines
