"""Quantified and dated commitments in a plan's text, such as "至2030年新增风电光伏1.2GW".

What counts, so that numbers inside names never do:

- A number with a unit (GW, 万千瓦, 个, 家, %, 座, 万吨, 亿元 …) preceded in its comma-delimited
  phrase by a trigger word: 新增/新建/创建/建设/培育 … (``increment``), 不低于/不少于/达到/提高到 …
  (``minimum``), 不超过/不高于/控制在 (``maximum``), 下降/降低/减少 (``reduction``), 现有/已有/
  已建成 (``baseline``: a fact, not a target); or one followed by 以上 (minimum) or 以内/以下
  (maximum). The nearest trigger before the number wins ("确保建设用地安全利用率不低于95%" is a
  minimum). A bare number ("全县15个乡镇"), a Chinese numeral ("十五五", "五大标志性战役", "六大
  工程", "一核两心四廊") or a number glued to letters ("PM2.5") is not a target.
- A year-bound commitment without a number (``deadline``): 至/到/截至/确保/力争/争取 + year, or
  year + 前 / 底前, followed by a goal: "2030年前实现碳达峰", "确保2026年碳达峰目标任务全面落实到位".
  A bare year ("2026年", "较2020年") binds nothing.
- A dated multi-year action (``period``): a year range ("三年行动方案（2026—2028年）"). An
  undated "N年行动" ("收储网点建设三年行动") has nothing to track by and is not a target; years
  are never guessed.

A number's year is the deadline year written before it in its phrase, else a year lead-in
standing alone earlier in its sentence ("到2030年，全县森林覆盖率达到55%以上").

Pure text processing: knows nothing of the database, HTTP or settings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from registry.units import fold

KINDS = ("increment", "minimum", "maximum", "reduction", "baseline", "deadline", "period")

_BASE_UNITS = (
    "GW", "MW", "kW", "GWh", "MWh", "kWh", "kV", "千瓦时", "千瓦", "千伏", "伏安",
    "个百分点", "个", "家", "%", "座", "处", "公里", "千米", "米", "平方米", "立方米", "公顷",
    "亩", "吨标准煤", "吨标煤", "吨", "元", "辆", "台", "套", "条", "项", "所", "户", "人",
    "微克/立方米", "毫克/升", "株", "棵", "蒸吨", "片", "栋", "间", "张", "根", "艘", "倍",
)  # fmt: skip
_UNIT = "|".join(re.escape(unit) for unit in sorted(_BASE_UNITS, key=len, reverse=True))
_NUMBER = re.compile(
    rf"(?<![A-Za-z0-9.第])(?P<num>\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?)\s*"
    rf"(?P<unit>(?:万|亿)?(?:{_UNIT}))(?![A-Za-z])(?P<tail>以上|以下|以内|左右)?"
)
# Alternatives are tried in this order at each position, so "不低于" beats "低于".
_TRIGGER = re.compile(
    r"(?P<baseline>现有|已有|已建成|已建|已累计|现已|目前已)"
    r"|(?P<minimum>不低于|不少于|达到|超过|提高到|提高至|提升到|提升至|增加到|增至|稳定在|保持在|≥)"
    r"|(?P<maximum>不高于|不超过|控制在|低于|≤)"
    r"|(?P<reduction>下降|降低|减少|削减|压减)"
    r"|(?P<increment>累计新增|新增|新建|建成|建设(?!用地)|创建|培育|打造|改造|完成|实施|增加"
    r"|提高|提升|推广|引进|布局)"
)
_INCREASES = ("提高", "提升", "增加")
_COMPARISONS = ("minimum", "maximum", "reduction")
_TAIL_KIND = {"以上": "minimum", "以下": "maximum", "以内": "maximum"}
_YEAR = r"(?<!\d)(?P<year>(?:19|20)\d{2})\s*年"
_DEADLINE = re.compile(
    rf"(?:(?P<by>至|到|截至|截止到|截止|确保|力争|争取)\s*)?{_YEAR}(?:底|末)?(?P<before>前)?"
)
_RANGE = re.compile(
    r"(?P<start>(?:19|20)\d{2})\s*年?\s*[—–\-~至到]+\s*(?P<end>(?:19|20)\d{2})\s*年"
)
_TITLE = re.compile(r"《[^《》]*》")
_DATED = re.compile(r"\s*\([^()]*\d{4}[^()]*\)")
_YEAR_LEAD_IN = re.compile(
    rf"\s*(?:力争|争取|确保)?\s*(?:至|到|截至|截止到|截止)?\s*{_YEAR}(?:底|末)?前?\s*$"
)
# Words that open a phrase without naming what is counted.
_LEAD_WORDS = re.compile(
    rf"(?:[\s,、;]|至|到|截至|确保|力争|争取|努力|推动|实现|全县|全市|全区|全省|"
    rf"(?:深入|扎实|持续|全面)?(?:实施|开展|推进|启动|贯彻落实|落实)|{_YEAR}(?:底|末)?前?)+"
)
# "较2020年下降14%": the year a change is measured from, not part of the metric.
_BASE_YEAR = re.compile(r"(?:较|比|相比)\s*(?:19|20)\d{2}\s*年(?:底|末)?$")
_GOAL_END = re.compile(r"(?:全面|如期|基本)?(?:落实到位|完成|实现|到位|达标)$")
_GOAL_START = re.compile(r"(?:全面|基本|率先|如期)?(?:实现|完成|建成|达到)?")
_CONNECTORS = "和及与、,; "
_AS_OF = ("截至", "截止", "截止到")
_CN_DIGITS = {char: value for value, char in enumerate("一二三四五六七八九", start=1)} | {"两": 2}


@dataclass(frozen=True)
class TargetFact:
    text: str
    """The phrase as written, a verbatim substring of the input: "至2030年新增风电光伏1.2GW"."""
    metric: str
    """What is counted, as written: "风电光伏", "建设用地安全利用率", "碳达峰目标任务"."""
    value: float | None
    """The number; None for a deadline or a period."""
    unit: str
    """Half-width unit ("GW", "个", "%", "万千瓦"); "" when none."""
    kind: str
    """One of ``KINDS``."""
    year: int | None
    """Deadline year (end year for a period)."""
    start_year: int | None = None
    """First year of a period."""


@dataclass(frozen=True)
class _Phrase:
    """A comma-delimited phrase: [start, end) in the text, and its sentence's phrases."""

    start: int
    end: int
    sentence: tuple[tuple[int, int], ...]
    index: int


def extract_targets(text: str) -> list[TargetFact]:
    """Every target, deadline, period and baseline figure in ``text``, in text order."""
    folded = fold(text)
    found: list[tuple[int, TargetFact]] = []
    periods = list(_periods(text, folded))
    taken = [(start, end) for start, end, _ in periods]
    found.extend((start, fact) for start, _, fact in periods)
    for phrase in _phrases(folded):
        numbers = list(_numbers(text, folded, phrase))
        found.extend(numbers)
        if not numbers:
            found.extend(_deadlines(text, folded, phrase, taken))
    return [fact for _, fact in sorted(found, key=lambda item: item[0])]


def _phrases(folded: str) -> Iterator[_Phrase]:
    for sentence in re.finditer(r"[^。;!?\n]+", folded):
        # A comma between digits ("1,107") is a thousands separator, not a phrase end.
        spans = tuple(
            (sentence.start() + piece.start(), sentence.start() + piece.end())
            for piece in re.finditer(r"(?:[^,]|(?<=\d),(?=\d{3}(?!\d)))+", sentence.group())
        )
        for index, (start, end) in enumerate(spans):
            yield _Phrase(start, end, spans, index)


def _numbers(text: str, folded: str, phrase: _Phrase) -> Iterator[tuple[int, TargetFact]]:
    matches = list(_NUMBER.finditer(folded, phrase.start, phrase.end))
    floor, kind = phrase.start, ""
    for position, number in enumerate(matches):
        ceiling = matches[position + 1].start() if position + 1 < len(matches) else phrase.end
        # A share is not built: in "新建建筑中绿色建筑占比80%以上" the 80% is a minimum.
        triggers = [
            found
            for found in _TRIGGER.finditer(folded, floor, number.start())
            if number["unit"] != "%" or found.lastgroup != "increment" or found[0] in _INCREASES
        ]
        trigger = triggers[-1] if triggers else None
        if trigger:
            kind = trigger.lastgroup or ""
        elif number["tail"] in _TAIL_KIND:
            kind = _TAIL_KIND[number["tail"]]
        # Else a number listed after a target ("20座、换电站3座") shares its kind.
        if not kind:
            floor = number.end()
            continue
        before = (floor, trigger.start() if trigger else number.start())
        between = (trigger.end(), number.start()) if trigger else (number.start(), number.start())
        after = (number.end(), _cut_at(folded, number.end(), ceiling, "的"))
        # What is counted is written before a comparison ("利用率不低于95%"), and after an
        # increment's verb ("新增公用充电桩1107个") or its unit ("创建5家省级绿色工厂").
        order = (
            (before, between, after)
            if kind in _COMPARISONS or not trigger
            else (between, after, before)
        )
        spans = [_trim(folded, *span) for span in order]
        metric = next(
            (span for span in spans if span[1] > span[0]), (number.start(), number.start())
        )
        start = min(metric[0], trigger.start() if trigger else number.start())
        deadline = _year_before(folded, phrase, number.start())
        if deadline and deadline.start() >= floor:
            start = min(start, deadline.start())
        end = max(number.end(), metric[1])
        value = float(number["num"].replace(",", ""))
        year = int(deadline["year"]) if deadline else None
        fact = TargetFact(text[start:end], text[slice(*metric)], value, number["unit"], kind, year)
        yield start, fact
        floor = number.end()


def _deadlines(
    text: str, folded: str, phrase: _Phrase, taken: list[tuple[int, int]]
) -> Iterator[tuple[int, TargetFact]]:
    for match in _DEADLINE.finditer(folded, phrase.start, phrase.end):
        # 截至 dates a status ("截至2023年底，…"), not a commitment.
        if not (match["by"] or match["before"]) or match["by"] in _AS_OF:
            continue
        if _overlaps(match.span(), taken):
            continue
        end = phrase.end
        if _YEAR_LEAD_IN.match(folded, phrase.start, phrase.end):
            # "到2030年，全面建成…": the goal is the next phrase, unless that holds a number.
            if phrase.index + 1 == len(phrase.sentence):
                continue
            following = _Phrase(
                *phrase.sentence[phrase.index + 1], phrase.sentence, phrase.index + 1
            )
            if any(_numbers(text, folded, following)):
                continue
            end = following.end
        goal = _trim(folded, match.end(), end)
        metric = _goal_metric(folded, *goal)
        if metric[1] - metric[0] < 2:
            continue
        year = int(match["year"])
        fact = TargetFact(
            text[match.start() : goal[1]], text[slice(*metric)], None, "", "deadline", year
        )
        yield match.start(), fact


def _periods(text: str, folded: str) -> Iterator[tuple[int, int, TargetFact]]:
    titles = [title.span() for title in _TITLE.finditer(folded)]
    for start, end in titles:
        years = _RANGE.search(folded, start, end)
        if years:
            # The metric is the title without its brackets and its dated parenthetical.
            dated = _DATED.search(folded, start, end)
            cut = dated.span() if dated else (end - 1, end - 1)
            metric = text[start + 1 : cut[0]] + text[cut[1] : end - 1]
            yield start, end, _period(text[start:end], metric, years)
    for years in _RANGE.finditer(folded):
        if not _overlaps(years.span(), titles):
            end = _phrase_around(folded, years.start())[1]
            metric = _trim(folded, years.end(), end)
            if metric[0] == metric[1]:  # "2026—2028年，开展…": the action is the next phrase.
                end = _phrase_around(folded, end + 1)[1]
                metric = _trim(folded, years.end(), end)
            yield (
                years.start(),
                end,
                _period(text[years.start() : end], text[slice(*metric)], years),
            )


def _period(phrase: str, metric: str, years: re.Match[str]) -> TargetFact:
    return TargetFact(
        text=phrase,
        metric=metric,
        value=None,
        unit="",
        kind="period",
        year=int(years["end"]),
        start_year=int(years["start"]),
    )


def _year_before(folded: str, phrase: _Phrase, position: int) -> re.Match[str] | None:
    """The deadline year written before ``position`` in its phrase, or in a lead-in phrase."""
    own = [
        match
        for match in _DEADLINE.finditer(folded, phrase.start, position)
        if match["by"] or match["before"]
    ]
    if own:
        return own[-1]
    for start, end in reversed(phrase.sentence[: phrase.index]):
        lead_in = _YEAR_LEAD_IN.match(folded[start:end])
        if lead_in:
            return _DEADLINE.search(folded, start, end)
    return None


def _trim(folded: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) without lead-in words at the front, nor connectors or a base year at the end."""
    lead = _LEAD_WORDS.match(folded, start, end)
    start = lead.end() if lead else start
    while end > start and folded[end - 1] in _CONNECTORS:
        end -= 1
    base_year = _BASE_YEAR.search(folded[start:end])
    if base_year:
        end = start + base_year.start()
    while start < end and folded[start] in _CONNECTORS:
        start += 1
    return start, end


def _goal_metric(folded: str, start: int, end: int) -> tuple[int, int]:
    opening = _GOAL_START.match(folded, start, end)
    start = opening.end() if opening else start
    closing = _GOAL_END.search(folded[start:end])
    return start, start + closing.start() if closing and closing.start() > 0 else end


def _cut_at(folded: str, start: int, end: int, word: str) -> int:
    found = folded.find(word, start, end)
    return found if found >= 0 else end


def _phrase_around(folded: str, position: int) -> tuple[int, int]:
    breaks = "。;!?\n,"
    start = max(folded.rfind(char, 0, position) for char in breaks) + 1
    ends = [index for char in breaks if (index := folded.find(char, position)) >= 0]
    return start, min(ends, default=len(folded))


def _overlaps(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in spans)
