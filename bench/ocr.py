"""OCR of scanned pages: seconds per page and characters read right.

Both pages of the county plan are drawn and scanned (``bench.scans``), saved as one PDF without
a text layer, and read the way an upload is (``read_document``: pypdfium2 renders, RapidOCR's
bundled PP-OCRv6 models read, lines and official numbering are put back). Reported per page:
seconds, character accuracy against the plan's text, whether the clause labels came back.

``python -m bench.ocr`` prints the table; ``make bench`` runs it too.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench.metrics import table
from bench.scans import DPI, accuracy, plan_paragraphs, render_page, scanned
from retrieval.clauses import parse_clauses
from retrieval.loaders import Ocr, RapidOcrEngine, read_document

PAGES = 2  # the plan holds 21 blocks: 12 and 9


def run(threads: int = 2) -> dict[str, Any]:
    expected = [plan_paragraphs(n) for n in range(PAGES)]
    with tempfile.TemporaryDirectory() as scratch:
        pdf = Path(scratch) / "扫描件.pdf"
        first, *rest = [scanned(render_page(page, title=n == 0)) for n, page in enumerate(expected)]
        first.save(pdf, resolution=DPI, save_all=True, append_images=rest)
        marks: dict[int, float] = {}  # pages done → when (0: OCR starts)
        result = read_document(
            pdf,
            ocr=Ocr(RapidOcrEngine(threads=threads)),
            on_page=lambda done, _total: marks.setdefault(done, time.perf_counter()),
        )
    rows = []
    for n, paragraphs in enumerate(expected):
        found = [item.text for item in result.items if item.page == n + 1]
        labels = [c.label for c in parse_clauses(paragraphs).walk()]
        rows.append(
            {
                "page": n + 1,
                "chars": sum(map(len, paragraphs)),
                "seconds": round(marks[n + 1] - marks[n], 2) if n + 1 in marks else None,
                "accuracy": round(accuracy("".join(paragraphs), "".join(found)), 4),
                "labels_recovered": labels == [c.label for c in parse_clauses(found).walk()],
            }
        )
    timed = [r["seconds"] for r in rows if r["seconds"] is not None]
    summary = {
        "pages": len(rows),
        "seconds_per_page": round(sum(timed) / len(timed), 2) if timed else None,
        "accuracy": round(
            accuracy("".join(p for page in expected for p in page), "".join(result.blocks)),
            4,
        ),
        "labels_recovered": sum(r["labels_recovered"] for r in rows),
    }
    results = {"pages": rows, "summary": summary}
    print("\nOCR of scanned plan pages (200 dpi, askew, blurred, speckled, JPEG)")
    print(table(rows, ["page", "chars", "seconds", "accuracy", "labels_recovered"]))
    print(table([summary], list(summary)))
    return results


if __name__ == "__main__":
    run()
