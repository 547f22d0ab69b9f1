"""What a hit shows: the answer-bearing window around the matched chunk, and which hits say
nothing new.

Matching works best on small chunks (≤300 characters), but an answer often lies in the sentence
after the one the question's words matched. A hit therefore shows its chunk grown by whole
sentences of the same clause, the next sentence first, then the one before, up to
``WINDOW_CHARS``, never past the clause. The room a whole sentence no longer fits into is
filled with the beginning of the next one and then the end of the one before, cut at a comma
or a space: notices written as run-on sentences, or with spaces for full stops, would
otherwise show a short window and miss the answer just past it.

Five hits should be five different things: where windows are shown, a hit whose chunk the
reader has already seen, all but a few words, in an earlier hit's window (the next chunk of the
same clause, a national sentence a provincial plan quotes) is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from retrieval.text import normalize, split_sentences

# measured on the bench (README, Performance): the first hit holds the answer about as often as
# the LangChain recipe's 500-character chunks, while staying inside one clause
WINDOW_CHARS = 500
# share of a chunk's character 3-grams one earlier hit has shown, at or above which it is the
# same text (punctuation, spaces and full-width forms aside)
SAME_TEXT = 0.8
_NOT_WORD = re.compile(r"\W+")
_SOFT_BREAK = re.compile(r"[，,、：:\s]")  # where a sentence that does not fit whole is cut


def answer_window(chunks: Sequence[str], at: int, *, max_chars: int = WINDOW_CHARS) -> str:
    """``chunks[at]`` with neighbouring sentences of its clause (``chunks``, in order) added,
    alternately after and before, while the whole stays within ``max_chars``; then part of the
    next sentence and of the one before, cut at a soft break, in the room left."""
    # only the chunks a window can reach (a clause may run to hundreds of chunks)
    lo, hi, before, after = at, at + 1, 0, 0
    while lo > 0 and before < max_chars:
        lo -= 1
        before += len(chunks[lo])
    while hi < len(chunks) and after < max_chars:
        after += len(chunks[hi])
        hi += 1
    units = [(n, s) for n in range(lo, hi) for s in split_sentences(chunks[n]) or [chunks[n]]]

    def gap(i: int, j: int) -> int:
        """A line break between units ``i`` and ``j`` when they are of different chunks."""
        return int(units[i][0] != units[j][0])

    def cost(i: int, j: int) -> int:
        """Adding unit ``i`` next to unit ``j``."""
        return len(units[i][1]) + gap(i, j)

    first = next(i for i, (n, _) in enumerate(units) if n == at)
    end = max(i for i, (n, _) in enumerate(units) if n == at) + 1
    size = len(chunks[at])
    grow_after, grow_before = True, True
    while grow_after or grow_before:
        if grow_after:
            grow_after = end < len(units) and size + cost(end, end - 1) <= max_chars
            if grow_after:
                size += cost(end, end - 1)
                end += 1
        if grow_before:
            grow_before = first > 0 and size + cost(first - 1, first) <= max_chars
            if grow_before:
                first -= 1
                size += cost(first, first + 1)
    shown = units[first:end]
    if end < len(units):
        part = _cut(units[end][1], max_chars - size - gap(end, end - 1))
        if part:
            shown.append((units[end][0], part))
            size += gap(end, end - 1) + len(part)
    if first > 0:
        part = _cut(units[first - 1][1], max_chars - size - gap(first - 1, first), head=False)
        if part:
            shown.insert(0, (units[first - 1][0], part))
    # chunks of one clause are joined as the clause's text is (``Searcher.clause_text``)
    parts: list[str] = []
    for i, (n, text) in enumerate(shown):
        if i and n != shown[i - 1][0]:
            parts.append("\n")
        parts.append(text)
    return "".join(parts)


def _cut(sentence: str, room: int, *, head: bool = True) -> str:
    """The longest beginning (``head``) or end of ``sentence`` within ``room`` characters that
    ends (or starts) at a soft break; "" when there is none."""
    breaks = [m.end() for m in _SOFT_BREAK.finditer(sentence)]
    if head:
        return sentence[: max((b for b in breaks if b <= room), default=0)]
    return sentence[min((b for b in breaks if len(sentence) - b <= room), default=len(sentence)) :]


def _folded(text: str) -> str:
    return _NOT_WORD.sub("", normalize(text))


def _shingles(text: str) -> set[str]:
    return {text[i : i + 3] for i in range(max(len(text) - 2, 1))} if text else set()


class Seen:
    """The texts of the hits kept so far."""

    def __init__(self) -> None:
        self._shown: list[set[str]] = []

    def adds_nothing(self, chunk: str) -> bool:
        """Whether ``chunk`` is, all but a few words, inside one text seen before."""
        mine = _shingles(_folded(chunk))
        return any(len(mine & shown) >= SAME_TEXT * len(mine) for shown in self._shown)

    def add(self, text: str) -> None:
        self._shown.append(_shingles(_folded(text)))
