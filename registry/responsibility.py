"""Who answers for a measure: a responsibility note parsed into lead and co-responsible units.

A note names units and their roles: "市生态环境局湘阴分局牵头，县住建局、县公安局按职责分工负责",
"责任单位：A，配合单位：B等", "牵头单位：A、B；配合单位：C", "A负责". The lead units are the ones
marked 牵头 (牵头单位：, X牵头); failing that, the 责任单位 of a note that also names 配合/协办/参与
units; failing that, a note's only "X负责" / 责任单位 unit ("县林业局负责", "责任单位：市城建局");
or the only unit, with no 等, of "A按职责分工负责"; failing that, where the document says so
("排在第一位的为牵头单位"), the first unit of each "；" group. "A、B按职责分工负责" and
"A等按职责分工负责" name no lead. All other units are co-responsible.

Every name goes through ``resolve`` (the alias table) after a bracketed qualifier is dropped
("县林业局（含国有林场）" → 县林业局). A name it does not know is kept as written (see
``registry.units``) and also listed in ``unknown``: a unit the text names is real, and none is ever
invented.

Pure text processing: knows nothing of the database, HTTP or settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from registry.units import Resolver, canonical_unit, fold, split_spans, unit_names

_LEAD, _DUTY, _SHARED, _CO = "lead", "duty", "shared", "co"
# Matched on the folded text (Simplified, half-width), so "牽頭" and "：" are found too.
_MARKER = re.compile(
    r"(?P<label>(?:牵头|责任|配合|协办|参与|主办|实施)(?:单位|部门)|责任主体)\s*:"
    r"|(?P<verb>牵头负责|牵头|按照?职责分工负责|按照?职责负责|按照?职责分工|分工负责|负责|配合|协助|参与)"
)
# A document's conventions, stated once ("两省市列首位的为牵头单位，下同"; "以下均需各区人民政府落实，
# 不再列出"): matched on the folded text, and left out of a note before it is read.
FIRST_IS_LEAD = re.compile(
    r"[^,;。()]*(?:第一位|首位|第一个|排名第一|列第一)[^,;。()]{0,8}?为?牵头(?:单位|部门)[^,;。()]*"
    r"(?:,\s*下同)?"
)
EVERY_TASK = re.compile(
    r"(?:以下|下同)[^;。]{0,12}?(?:均需|均由|需由|均要|均应由|由)(?P<units>[^;。]{2,40}?)"
    r"(?:负责)?落实[,，]?\s*不再(?:一一)?列出"
)
CONVENTION_WORDS = re.compile(f"{FIRST_IS_LEAD.pattern}|{EVERY_TASK.pattern}")


@dataclass(frozen=True)
class Responsibility:
    leads: tuple[str, ...]
    """Canonical names (or names as written when unknown) of the lead units, in text order."""
    co: tuple[str, ...]
    """Co-responsible units, in text order."""
    open_ended: bool
    """A list ends in 等 ("县林业局等按职责分工负责")."""
    unknown: tuple[str, ...]
    """Names that ``resolve`` does not know, as written; they are in ``leads`` or ``co`` too."""

    @property
    def units(self) -> tuple[str, ...]:
        return (*self.leads, *self.co)


def parse_responsibility(
    note: str, resolve: Resolver, *, first_is_lead: bool = False
) -> Responsibility:
    """Parse a responsibility note, with or without its brackets.

    Args:
        note: "县发改局、县工信局牵头，县财政局等配合" or "（县林业局负责）".
        resolve: alias → canonical department name, or None for an unknown name.
        first_is_lead: the document states that the first unit listed leads.
    """
    text = _unwrap(note)
    named: list[tuple[str, str, str | None, int]] = []  # (role, as written, canonical, group)
    open_ended = False
    for role, chunk, group in _role_groups(text):
        names, ends_in_etc = unit_names(chunk)
        open_ended = open_ended or (ends_in_etc and bool(names))
        named.extend((role, name, canonical_unit(name, resolve), group) for name in names)

    def keys(*roles: str) -> dict[str, None]:
        return {canonical or name: None for role, name, canonical, _ in named if role in roles}

    leads = keys(_LEAD)
    if (not leads and keys(_DUTY) and keys(_CO)) or (
        not leads and len(keys(_DUTY)) == 1 and not keys(_SHARED)
    ):
        leads = keys(_DUTY)
    elif not leads and len(keys(_SHARED)) == 1 and not keys(_DUTY) and not open_ended:
        leads = keys(_SHARED)  # "县林业局按职责分工负责": the only unit named
    elif not leads and first_is_lead:
        firsts: dict[int, str] = {}
        for _, name, canonical, group in named:
            firsts.setdefault(group, canonical or name)
        leads = dict.fromkeys(firsts.values())
    co = {canonical or name: None for _, name, canonical, _ in named}
    unknown = {name: None for _, name, canonical, _ in named if canonical is None}
    return Responsibility(
        leads=tuple(leads),
        co=tuple(key for key in co if key not in leads),
        open_ended=open_ended,
        unknown=tuple(unknown),
    )


def _unwrap(note: str) -> str:
    """The note without a closing 。, one pair of brackets around all of it, nor convention words."""
    text = note.strip().rstrip("。.；;").strip()
    folded = fold(text)
    if folded.startswith("("):
        depth = 0
        for index, char in enumerate(folded):
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth == 0:
                # Unwrap only when the first bracket closes at the very end.
                if index == len(folded) - 1:
                    text = text[1:-1].strip()
                break
    return without_conventions(text)


def without_conventions(text: str) -> str:
    """``text`` with the words stating a document convention replaced by a comma."""
    return "".join(
        "，" if found else text[start:end]
        for start, end, found in _pieces(fold(text), CONVENTION_WORDS)
    )


def _pieces(folded: str, pattern: re.Pattern[str]) -> list[tuple[int, int, bool]]:
    """(start, end, matched) for the runs of ``folded`` that ``pattern`` matches and the rest."""
    pieces, position = [], 0
    for found in pattern.finditer(folded):
        pieces.append((position, found.start(), False))
        pieces.append((found.start(), found.end(), True))
        position = found.end()
    pieces.append((position, len(folded), False))
    return pieces


def _role_groups(text: str) -> list[tuple[str, str, int]]:
    """(role, list text, group) for each run of names and the marker that assigns their role.

    A verb marker ("牵头", "配合") names the role of the names before it; a label marker
    ("牵头单位：") the role of the names after it, up to the next marker. Names with no marker
    are co-responsible.
    ``group`` counts the "；"-separated parts of the note.
    """
    masked = _mask_brackets(fold(text))
    groups: list[tuple[str, str, int]] = []
    pending: str | None = None  # a label's role runs on into the next group: "责任单位：A；B"
    for group, (start, end) in enumerate(split_spans(masked, ";")):
        position = start
        for marker in _MARKER.finditer(masked, start, end):
            chunk = text[position : marker.start()]
            if marker["label"]:
                groups.append((pending or _CO, chunk, group))
                pending = _role(marker["label"])
            else:
                groups.append((pending or _role(marker["verb"]), chunk, group))
                pending = None
            position = marker.end()
        groups.append((pending or _CO, text[position:end], group))
    return groups


def _role(word: str) -> str:
    if word.startswith(("牵头", "主办")):
        return _LEAD
    if word.startswith(("配合", "协助", "协办", "参与")):
        return _CO
    if word.startswith(("按", "分工")):
        return _SHARED
    return _DUTY


def _mask_brackets(folded: str) -> str:
    """Bracketed text blanked out, so that a 负责 inside a qualifier is not a marker."""
    out, depth = [], 0
    for char in folded:
        if char == "(":
            depth += 1
        out.append("□" if depth else char)
        if char == ")":
            depth = max(depth - 1, 0)
    return "".join(out)
