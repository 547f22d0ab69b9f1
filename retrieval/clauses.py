"""Turn a document's text blocks into a tree of numbered clauses.

Recognises official-document numbering (第X章 / 第X条 / 一、 / （一） / 1. / （1）). A numbered
block whose body follows on the same line ("1.健全碳排放双控制度体系。聚焦…") is one clause whose
title runs to the first 。 or ：. Unnumbered blocks belong to the clause above them; blocks before
the first number form the preamble (前言). Labels are unique: where numbering starts again, the
repeated label gets "（第2处）".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

PREAMBLE = "前言"
# The headings of a plan's parts that look back (what was achieved, the situation), not ahead.
LOOKS_BACK = re.compile(r"现状|基础|形势|成效|回顾|十三五")
_CN_NUM = "一二三四五六七八九十百零〇两"
_TITLE_MAX = 60
_CLOSES_BRACKET = re.compile(r"[）)】〕\]]$")

# (rank, pattern on the NFKC form, display form of the marker). Lower rank = higher level.
_MARKERS: tuple[tuple[int, re.Pattern[str], str], ...] = (
    (0, re.compile(rf"^第([{_CN_NUM}\d]+)章\s*"), "第{}章"),
    (1, re.compile(rf"^第([{_CN_NUM}\d]+)节\s*"), "第{}节"),
    (2, re.compile(rf"^第([{_CN_NUM}\d]+)条\s*"), "第{}条"),
    (3, re.compile(rf"^([{_CN_NUM}]+)[、.]\s*"), "{}、"),
    (4, re.compile(rf"^\(([{_CN_NUM}]+)\)\s*"), "（{}）"),
    (5, re.compile(r"^(\d{1,2})[.、](?!\d)\s*"), "{}."),
    (6, re.compile(r"^\((\d{1,2})\)\s*"), "（{}）"),
)


@dataclass
class Clause:
    """One numbered clause; ``text`` keeps the original characters, number included."""

    label: str
    marker: str
    title: str
    heading_path: tuple[str, ...]
    rank: int
    text: str = ""
    children: list[Clause] = field(default_factory=list)

    def walk(self) -> Iterator[Clause]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class ParsedDocument:
    title: str
    clauses: list[Clause]

    def walk(self) -> Iterator[Clause]:
        for clause in self.clauses:
            yield from clause.walk()

    def find(self, label: str) -> Clause | None:
        return next((c for c in self.walk() if c.label == label), None)


def _match_marker(block: str) -> tuple[int, str, str] | None:
    """(rank, display marker, rest of the block in original characters) for a numbered block."""
    # Fold the head character by character, remembering where each folded character came from:
    # NFKC turns ⑴ into "(1)", so offsets in the folded text differ from the original's.
    folded, origin = "", []
    for index, char in enumerate(block[:16]):
        piece = unicodedata.normalize("NFKC", char)
        folded += piece
        origin.extend([index] * len(piece))
    origin.append(min(len(block), 16))
    for rank, pattern, display in _MARKERS:
        found = pattern.match(folded)
        if found:
            return rank, display.format(found.group(1)), block[origin[found.end()] :].strip()
    return None


def _title_of(rest: str) -> str:
    cut = min((i for i in (rest.find("。"), rest.find("：")) if i >= 0), default=-1)
    if 0 < cut <= _TITLE_MAX:
        return rest[:cut]
    return rest if len(rest) <= _TITLE_MAX else rest[:_TITLE_MAX] + "…"


def _looks_like_title(block: str) -> bool:
    """Short and without a sentence end: a heading, not a provision (one that ends with a colon
    opens a list: "有下列行为之一，由…处以罚款：")."""
    return len(block) <= _TITLE_MAX and not re.search(r"[。；！？!?;]|[.：:]$", block)


def parse_clauses(blocks: list[str], *, title: str = "") -> ParsedDocument:
    """Build the clause tree.

    A first short unnumbered block is the document's title line; it names the document unless
    ``title`` (the manifest's, which the office curates) is given.
    """
    roots: list[Clause] = []
    stack: list[Clause] = []
    preamble: Clause | None = None
    seen: dict[str, int] = {}
    for index, block in enumerate(blocks):
        numbered = _match_marker(block)
        if numbered is None:
            if not stack:
                if index == 0 and _looks_like_title(block):
                    title = title or block
                    continue
                if preamble is None:
                    preamble = Clause(PREAMBLE, "", PREAMBLE, (PREAMBLE,), -1)
                    roots.append(preamble)
                preamble.text = _join(preamble.text, block)
            else:
                stack[-1].text = _join(stack[-1].text, block)
            continue
        rank, marker, rest = numbered
        if stack and stack[-1].marker.endswith("条") and rank > 2:
            # an article's items (（一）…) and paragraphs are its own words: 第一百一十一条 is
            # cited whole, as the law numbers it
            stack[-1].text = _join(stack[-1].text, block)
            continue
        while stack and stack[-1].rank >= rank:
            stack.pop()
        parent = stack[-1] if stack else None
        clause_title = _title_of(rest)
        # An article (第X条) is numbered through the whole law and cited alone: 第一百一十九条.
        label = marker if marker.endswith("条") else (parent.label if parent else "") + marker
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            # Numbering that starts again (an annex, a second part) must not reuse a label: a
            # label names one clause, in citations and in the task registry.
            label += f"（第{seen[label]}处）"
        clause = Clause(
            label=label,
            marker=marker,
            title=clause_title,
            heading_path=(*(parent.heading_path if parent else ()), marker + clause_title),
            rank=rank,
            # A heading alone ("（一）有序实施碳达峰行动") carries no body text of its own; one
            # closing with a bracketed note ("（一）推进绿色建筑（牵头单位：县住建局）") does.
            text="" if _looks_like_title(rest) and not _CLOSES_BRACKET.search(rest) else block,
        )
        (parent.children if parent else roots).append(clause)
        stack.append(clause)
    return ParsedDocument(title=title, clauses=roots)


def _join(text: str, block: str) -> str:
    return f"{text}\n{block}" if text else block
