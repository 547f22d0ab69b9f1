"""Who answers for a task: a clause's responsibility note parsed into lead and co-responsible units.

A note is the text a clause closes with, inside its brackets: "市生态环境局湘阴分局牵头，县住建局、
县公安局按职责分工负责". Units marked 牵头 lead; units marked 按职责分工负责 / 负责 / 配合 / 协助 /
参与 are co-responsible. When no unit is marked 牵头 and exactly one unit is marked 负责 (in any
form), that unit leads: "县林业局负责" and "县林业局负责，县财政局配合" both name a lead, while
"县发改局、县工信局按职责分工负责" names none. The labelled form ("牵头单位：…；责任单位：…") reads
the same way.

Every name goes through ``resolve`` (the alias table) after a bracketed qualifier is dropped
("县林业局（含国有林场）" → 县林业局). A name it does not know is kept as written and also listed
in ``unknown``: a unit the text names is real, and none is ever invented.

The helpers for unit lists (``fold``, ``split_spans``, ``split_unit_list``, ``canonical_unit``)
are shared with ``registry.taskforce``.

Pure text processing: knows nothing of the database, HTTP or settings.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import opencc

Resolver = Callable[[str], str | None]

_LEAD, _CO, _DUTY = "lead", "co", "duty"
# Matched on the folded text (Simplified, half-width), so "牽頭" and "：" are found too.
_MARKER = re.compile(
    r"(?P<label>牵头单位|责任单位|配合单位|协办单位|参与单位)\s*:"
    r"|(?P<verb>牵头负责|牵头|按职责分工负责|按职责负责|分工负责|负责|配合|协助|参与)"
)
_LIST_SEPARATORS = "、,;"
_OPEN_ENDED = re.compile(r"等(?:相关|有关)?(?:单位|部门)?$")
_QUALIFIER = re.compile(r"[（(][^（()）]*[）)]")


@dataclass(frozen=True)
class Responsibility:
    leads: tuple[str, ...]
    """Canonical names (or names as written when unknown) of the 牵头 units, in text order."""
    co: tuple[str, ...]
    """Co-responsible units (按职责分工负责 / 配合 / 负责 without 牵头), in text order."""
    open_ended: bool
    """The list ends in 等 ("县林业局等按职责分工负责")."""
    unknown: tuple[str, ...]
    """Names that ``resolve`` does not know, as written; they are in ``leads`` or ``co`` too."""


@functools.cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """``text`` in Simplified, half-width characters, with the same length.

    Each character is folded on its own (NFKC, then Traditional → Simplified), so an index into
    the folded text is an index into ``text``: match on the fold, slice the original.
    """
    chars = [unicodedata.normalize("NFKC", char) for char in text]
    half = "".join(new if len(new) == 1 else old for new, old in zip(chars, text, strict=True))
    simplified = _t2s().convert(half)
    if len(simplified) == len(half):
        return simplified
    return "".join(_t2s().convert(char) for char in half)


def split_spans(folded: str, separators: str) -> list[tuple[int, int]]:
    """(start, end) of the non-blank pieces between separators outside brackets.

    ``folded`` is the output of ``fold``, so its brackets are the half-width ones. Whitespace is a
    separator when ``separators`` contains a space.
    """
    spans: list[tuple[int, int]] = []
    start = depth = 0
    for index, char in enumerate(folded + separators[0]):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif depth == 0 and (char in separators or (" " in separators and char.isspace())):
            if folded[start:index].strip():
                spans.append((start, index))
            start = index + 1
    return spans


def split_unit_list(text: str) -> tuple[list[str], bool]:
    """The unit names of a list as written, and whether it ends in 等.

    "由县发改局、县林业局（含国有林场、苗圃）等" → (["县发改局", "县林业局（含国有林场、苗圃）"], True)
    """
    folded = fold(text)
    names: list[str] = []
    open_ended = False
    for start, end in split_spans(folded, _LIST_SEPARATORS + " "):
        piece = folded[start:end]
        lead = len(piece) - len(piece.lstrip())
        if piece[lead:].startswith("由"):
            lead += 1
        tail = _OPEN_ENDED.search(piece.rstrip())
        stop = tail.start() if tail and tail.start() > lead else len(piece.rstrip())
        open_ended = tail is not None
        name = text[start + lead : start + stop].strip()
        if name:
            names.append(name)
    return names, open_ended


def canonical_unit(name: str, resolve: Resolver) -> str | None:
    """The canonical name of a unit written as ``name``, its bracketed qualifiers dropped."""
    bare = name
    while (shorter := _QUALIFIER.sub("", bare)) != bare:
        bare = shorter
    return resolve(bare.strip()) if bare.strip() else None


def parse_responsibility(note: str, resolve: Resolver) -> Responsibility:
    """Parse a responsibility note, with or without its brackets.

    Args:
        note: "县发改局、县工信局牵头，县财政局等配合" or "（县林业局负责）".
        resolve: alias → canonical department name, or None for an unknown name.
    """
    text = _unwrap(note)
    groups = _role_groups(text)
    named: list[tuple[str, str, str | None]] = []  # (role, as written, canonical)
    open_ended = False
    for role, chunk in groups:
        names, ends_in_etc = split_unit_list(chunk)
        open_ended = open_ended or (ends_in_etc and bool(names))
        named.extend((role, name, canonical_unit(name, resolve)) for name in names)

    keys = {canonical or name for role, name, canonical in named if role == _DUTY}
    sole_duty = len(keys) == 1 and not any(role == _LEAD for role, _, _ in named)
    leads: dict[str, None] = {}
    co: dict[str, None] = {}
    unknown: dict[str, None] = {}
    for role, name, canonical in named:
        key = canonical or name
        if canonical is None:
            unknown[name] = None
        (leads if role == _LEAD or (role == _DUTY and sole_duty) else co)[key] = None
    return Responsibility(
        leads=tuple(leads),
        co=tuple(key for key in co if key not in leads),
        open_ended=open_ended,
        unknown=tuple(unknown),
    )


def _unwrap(note: str) -> str:
    """The note without a closing 。 nor one pair of brackets around all of it."""
    text = note.strip().rstrip("。.；;").strip()
    folded = fold(text)
    if not folded.startswith("("):
        return text
    depth = 0
    for index, char in enumerate(folded):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            # Unwrap only when the first bracket closes at the very end.
            return text[1:-1].strip() if index == len(folded) - 1 else text
    return text


def _role_groups(text: str) -> list[tuple[str, str]]:
    """(role, list text) for each run of names and the marker that assigns their role.

    A verb marker ("牵头", "配合") names the role of the names before it; a label marker
    ("牵头单位：") the role of the names after it. Names with no marker are co-responsible.
    """
    masked = _mask_brackets(fold(text))
    groups: list[tuple[str, str]] = []
    pending: str | None = None
    position = 0
    for marker in _MARKER.finditer(masked):
        chunk = text[position : marker.start()]
        if marker["label"]:
            groups.append((pending or _CO, chunk))
            pending = _role(marker["label"])
        else:
            groups.append((pending or _role(marker["verb"]), chunk))
            pending = None
        position = marker.end()
    groups.append((pending or _CO, text[position:]))
    return groups


def _role(word: str) -> str:
    if word.startswith("牵头"):
        return _LEAD
    if word.startswith(("配合", "协助", "协办", "参与")):
        return _CO
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
