"""When a measure is due: "完成时限：2027年6月底前", "2026年底前完成", "到2025年", "每年", "长期坚持".

A time limit stated for the measure (a 完成时限 line or column, a time phrase inside its note) wins;
otherwise the earliest dated deadline phrase of the measure's own text counts: 到/至/于/在 + a year,
or a year + 前/以前/底前. A year that only names a title (《2030年前碳达峰行动方案》), a baseline
(比2020年) or the start of a span (2021年至2025年) is no deadline. A date is the last day of what is
named: "2025年" → 2025-12-31, "2025年6月底" → 2025-06-30, "2025年上半年" → 2025-06-30.

Pure text processing: knows nothing of the database, HTTP or settings.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from registry.units import fold

KINDS = ("date", "annual", "ongoing")


@dataclass(frozen=True)
class Deadline:
    date: dt.date | None
    kind: str  # one of KINDS
    text: str  # the words as written

    def as_json(self) -> dict[str, str | None]:
        return {
            "date": self.date.isoformat() if self.date else None,
            "kind": self.kind,
            "text": self.text,
        }


_ONGOING = re.compile(r"长期坚持|持续推进|持续开展|持续实施|长期推进|常态化|长期|持续")
_ANNUAL = re.compile(r"每年度?|年度|逐年|每半年|每季度|每月")
_QUARTERS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_CN_MONTHS = {"十一": 11, "十二": 12, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_CN_MONTHS |= {"七": 7, "八": 8, "九": 9, "十": 10}
# a year, then what part of it: a month, a half, a quarter, its end
_PART = (
    r"(?<!\d)(?P<year>20\d{2})\s*年\s*"
    r"(?:(?P<month>\d{1,2}|十[一二]?|[一二三四五六七八九])\s*月(?:份)?"
    r"|(?P<half>上半年|年中|下半年)"
    r"|第?(?P<quarter>[一二三四1-4])\s*季度)?"
    r"\s*(?:年?底|年?末|中旬|上旬|下旬)?"
)
_BY = re.compile(rf"(?:到|至|于|在|截至|截止到|截止)\s*{_PART}")
_BEFORE = re.compile(rf"{_PART}\s*(?:前|以前|之前)")
_ANY_DATE = re.compile(_PART)
_TITLE = re.compile(r"《[^《》]*》")
_SPAN_START = re.compile(r"(?:19|20)\d{2}\s*年?\s*$")


def stated_deadline(value: str) -> Deadline | None:
    """A stated time limit ("2027年6月底前", "每年", "长期坚持"), or None when it names none."""
    text = value.strip().strip("。；;，,")
    if not text:
        return None
    folded = fold(text)
    found = _ANY_DATE.search(folded)
    if found:
        return Deadline(_end_of(found), "date", text)
    if _ANNUAL.search(folded):
        return Deadline(None, "annual", text)
    if _ONGOING.search(folded):
        return Deadline(None, "ongoing", text)
    return None


def deadline_in_text(text: str) -> Deadline | None:
    """The earliest dated deadline phrase of a measure's text, or None."""
    folded = _TITLE.sub(lambda m: "□" * len(m[0]), fold(text))
    best: tuple[dt.date, str] | None = None
    for pattern in (_BY, _BEFORE):
        for found in pattern.finditer(folded):
            if pattern is _BY and _SPAN_START.search(folded[: found.start()]):
                continue  # "2021年至2025年": a span, not a deadline
            day = _end_of(found)
            if day is not None and (best is None or day < best[0]):
                best = (day, text[found.start() : found.end()].strip())
    return Deadline(best[0], "date", best[1]) if best else None


def _end_of(found: re.Match[str]) -> dt.date | None:
    year = int(found["year"])
    month = 12
    if found["month"]:
        raw = found["month"]
        month = int(raw) if raw.isdigit() else _CN_MONTHS[raw]
    elif found["half"]:
        month = 12 if found["half"] == "下半年" else 6
    elif found["quarter"]:
        month = 3 * _QUARTERS[found["quarter"]]
    if not 1 <= month <= 12:
        return None
    return dt.date(year, month, calendar.monthrange(year, month)[1])
