"""Split clauses into chunks that never cross a clause boundary.

A long clause is cut at sentence ends into chunks of at most ``max_chars`` characters (a single
longer sentence is cut at commas, then hard). The clause's trailing responsibility parenthetical
("（县发改局、……按职责分工负责）") travels with every chunk as metadata.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.clauses import Clause, ParsedDocument
from retrieval.text import split_sentences

_OPEN, _CLOSE = "（(", "）)"
_DUTY_WORDS = ("负责", "牵头", "配合")
_COMMA = re.compile(r"(?<=[，,、])")


@dataclass(frozen=True)
class Chunk:
    """A piece of one clause: ``text`` is shown to users, ``indexed_text`` is what is searched."""

    clause: str
    title: str
    heading: str
    text: str
    indexed_text: str
    responsibility: str
    ordinal: int


def trailing_parenthetical(text: str) -> str:
    """The responsibility note closing a clause, without its brackets ("" when there is none).

    Brackets are matched from the end, so a nested one ("（含县高新区（园区））") stays inside.
    """
    body = text.rstrip().rstrip("。.；;").rstrip()
    if not body or body[-1] not in _CLOSE:
        return ""
    depth = 0
    for index in range(len(body) - 1, -1, -1):
        char = body[index]
        if char in _CLOSE:
            depth += 1
        elif char in _OPEN:
            depth -= 1
            if depth == 0:
                inner = body[index + 1 : -1].strip()
                return inner if any(word in inner for word in _DUTY_WORDS) else ""
    return ""


def _pieces(sentence: str, max_chars: int) -> list[str]:
    if len(sentence) <= max_chars:
        return [sentence]
    out: list[str] = []
    for part in _COMMA.split(sentence):
        while len(part) > max_chars:
            out.append(part[:max_chars])
            part = part[max_chars:]
        if out and len(out[-1]) + len(part) <= max_chars:
            out[-1] += part
        elif part:
            out.append(part)
    return out


def split_text(text: str, max_chars: int) -> list[str]:
    """Greedy packing of whole sentences into pieces of at most ``max_chars``."""
    chunks: list[str] = []
    for line in text.split("\n"):
        current = ""
        for sentence in split_sentences(line):
            for piece in _pieces(sentence, max_chars):
                if current and len(current) + len(piece) > max_chars:
                    chunks.append(current)
                    current = ""
                current += piece
        if current.strip():
            chunks.append(current)
    return chunks


def chunk_clause(clause: Clause, *, max_chars: int) -> list[Chunk]:
    if not clause.text.strip():
        return []
    heading = " > ".join(clause.heading_path)
    duty = trailing_parenthetical(clause.text)
    chunks = []
    for ordinal, piece in enumerate(split_text(clause.text, max_chars)):
        extra = f"（{duty}）" if duty and duty not in piece else ""
        chunks.append(
            Chunk(
                clause=clause.label,
                title=clause.title,
                heading=heading,
                text=piece,
                indexed_text=f"{heading}\n{piece}{extra}",
                responsibility=duty,
                ordinal=ordinal,
            )
        )
    return chunks


def chunk_document(document: ParsedDocument, *, max_chars: int) -> list[Chunk]:
    return [
        chunk for clause in document.walk() for chunk in chunk_clause(clause, max_chars=max_chars)
    ]
