"""Responsibility notes inside a clause's text, and the measures they govern.

A note is a bracketed statement of who carries out a measure — （…）, (…), 【…】, [...], 〔…〕, at
the end or in the middle of a clause, broken across lines or not — or a run of labelled lines
("责任单位：…", "牵头单位：…", "配合单位：…", "完成时限：…"). A bracket is a note when it names a
role (牵头, 负责, 配合, 按职责分工负责, 责任单位：…) and at least one unit, or carries a labelled
role with none ("（责任单位：）", kept so that the office sees the gap). A note governs the text
since the previous note of the clause (or the clause's start): one measure per note; a note that
directly follows another (a 【牵头单位】 then a "完成时限：" line) joins it.

Pure text processing: knows nothing of the database, HTTP or settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from registry.deadlines import Deadline, stated_deadline
from registry.responsibility import parse_responsibility
from registry.units import fold, unit_names

_ROLE = re.compile(
    r"(?:牵头|责任|配合|协办|参与|主办)(?:单位|部门)\s*:|责任主体\s*:"
    r"|牵头|按照?职责分工|负责|配合|协助|参与"
)
_LABELLED_ROLE = re.compile(r"(?:牵头|责任|配合|协办|参与|主办)(?:单位|部门)\s*:|责任主体\s*:")
_TIME_LABEL = r"(?:完成时限|完成时间|完成期限|时间节点|时限要求|时限|时间)"
_LINE_LABEL = re.compile(
    rf"(?:(?:牵头|责任|配合|协办|参与|主办)(?:单位|部门)|责任主体|{_TIME_LABEL})\s*:"
)
_TIME_FIELD = re.compile(rf"{_TIME_LABEL}\s*:\s*(?P<value>[^;。\n)]*)")
_SEGMENT = re.compile(r"[^,;。]+")
_BETWEEN_NOTES = re.compile(r"[\s。；;，,.、]*")


@dataclass(frozen=True)
class Note:
    start: int  # where the note begins in the clause text (its bracket or label)
    end: int  # where it ends
    body: str  # the note as written, without its brackets
    deadline: Deadline | None  # a time limit the note states


@dataclass(frozen=True)
class Measure:
    text: str  # the sentences the note governs
    note: Note


def find_notes(text: str) -> list[Note]:
    """The responsibility notes of a clause's text, in order, adjacent ones joined."""
    folded = fold(text)
    spans = _bracket_notes(text, folded) + _line_notes(folded)
    spans.sort()
    joined: list[tuple[int, int, str]] = []
    for start, end in spans:
        body = _body(text, folded, start, end)
        if joined and _BETWEEN_NOTES.fullmatch(folded[joined[-1][1] : start]):
            first, _, before = joined[-1]
            joined[-1] = (first, end, f"{before}；{body}")
        elif not joined or start >= joined[-1][1]:
            joined.append((start, end, body))
    return [Note(start, end, body, _note_deadline(body)) for start, end, body in joined]


def measures(text: str) -> list[Measure]:
    """One measure per note: the text since the previous note, up to this one."""
    out: list[Measure] = []
    position = 0
    for note in find_notes(text):
        governed = text[position : note.start].strip().lstrip("。；;，,").strip()
        if governed or not out:
            out.append(Measure(governed, note))
        position = note.end
    return out


def _bracket_notes(text: str, folded: str) -> list[tuple[int, int]]:
    """(start, end) of every top-level bracket that is a note."""
    found: list[tuple[int, int]] = []
    depth = start = 0
    for index, char in enumerate(folded):
        if char == "(":
            if depth == 0:
                start = index
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            if depth == 0 and _is_note(text[start + 1 : index], folded[start + 1 : index]):
                found.append((start, index + 1))
    if depth and _is_note(text[start + 1 :], folded[start + 1 :]):
        found.append((start, len(text)))  # a note whose closing bracket was lost
    return found


def _is_note(body: str, folded: str) -> bool:
    if _LABELLED_ROLE.search(folded):
        return True
    if not _ROLE.search(folded):
        return False
    return bool(parse_responsibility(body, _unknown).units)


def _unknown(name: str) -> None:
    """A resolver that knows no name: whether a note names units does not depend on the table."""


def _line_notes(folded: str) -> list[tuple[int, int]]:
    """(start, end) of labelled runs outside brackets: "责任单位：…" to the end of its line."""
    found: list[tuple[int, int]] = []
    depth = 0
    depths = []
    for char in folded:
        depth += {"(": 1, ")": -1}.get(char, 0)
        depth = max(depth, 0)
        depths.append(depth)
    for label in _LINE_LABEL.finditer(folded):
        if depths[label.start()] or not _starts_statement(folded, label.start()):
            continue
        end = label.end()
        while end < len(folded) and folded[end] not in "\n。":
            end += 1
        found.append((label.start(), end))
    return found


def _starts_statement(folded: str, index: int) -> bool:
    before = folded[:index].rstrip(" \t")
    return not before or before[-1] in "\n。;；,，:"


def _body(text: str, folded: str, start: int, end: int) -> str:
    if folded[start] == "(":
        close = end - 1 if folded[end - 1] == ")" else end
        return text[start + 1 : close].strip()
    return text[start:end].strip()


def _note_deadline(body: str) -> Deadline | None:
    """A time limit the note states: a 完成时限 field, or a segment that is only a time phrase."""
    folded = fold(body)
    if field := _TIME_FIELD.search(folded):
        return stated_deadline(body[field.start("value") : field.end("value")])
    for segment in _SEGMENT.finditer(folded):
        words = body[segment.start() : segment.end()]
        if not unit_names(words)[0] and (deadline := stated_deadline(words)):
            return deadline
    return None
