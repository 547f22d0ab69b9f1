"""jieba tokenisation for BM25 and query rewriting.

Text is normalised (full-width, Traditional) before cutting; department aliases become their
canonical name, so "发改委" matches "县发改局".

Answering one question cuts the same text several times (mentions, domain terms, the BM25
query, the rewrite), so the two cuts are memoised per text (bounded).
"""

from __future__ import annotations

import functools
import logging
import re

import jieba

from retrieval.lexicon import Lexicon
from retrieval.text import normalize

logger = logging.getLogger(__name__)
jieba.setLogLevel(logging.WARNING)

_WORDLIKE = re.compile(r"\w")
# jieba's HMM would glue a department alias to its neighbours; dictionary words must win.
_DICT_FREQ = 10_000_000
_MEMO = 4096  # texts


class Tokenizer:
    def __init__(self, lexicon: Lexicon) -> None:
        self._lexicon = lexicon
        self._jieba = jieba.Tokenizer()
        for word in (*lexicon.terms, *lexicon.aliases, *lexicon.synonyms):
            self._jieba.add_word(word, freq=_DICT_FREQ)
        self._cut = functools.lru_cache(maxsize=_MEMO)(self._cut_words)
        self._search_cut = functools.lru_cache(maxsize=_MEMO)(self._search_words)

    def _cut_words(self, text: str) -> tuple[str, ...]:
        return tuple(w for w in self._jieba.lcut(normalize(text)) if w.strip())

    def _search_words(self, normalized: str) -> tuple[str, ...]:
        """jieba's search-mode cut (words and their sub-words) of already normalised text."""
        return tuple(self._jieba.lcut_for_search(normalized))

    def tokens(self, text: str) -> list[str]:
        """Index/query terms: search-mode cut, aliases mapped, stop words and punctuation dropped."""
        out = []
        for word in self._search_cut(self.canonical(text)):
            if not _WORDLIKE.search(word) or word in self._lexicon.stopwords:
                continue
            out.append(word)
        return out

    def canonical(self, text: str) -> str:
        """The normalised text with every department alias replaced by its canonical name."""
        return "".join(self._lexicon.aliases.get(word, word) for word in self._cut(text))

    def expand(self, text: str) -> str:
        """The question plus the plan's words for the everyday words it uses."""
        words = self._search_cut(normalize(text))
        extra = [w for word in words for w in self._lexicon.synonyms.get(word, ())]
        return f"{text} {' '.join(dict.fromkeys(extra))}" if extra else text

    def mentions(self, text: str) -> list[tuple[str, str]]:
        """(normalised words as written, canonical name) for each department mentioned."""
        return [
            (w, self._lexicon.aliases[w]) for w in self._cut(text) if w in self._lexicon.aliases
        ]

    def departments(self, text: str) -> list[str]:
        """Canonical names of the departments mentioned in ``text``, in order, without repeats."""
        return list(dict.fromkeys(name for _, name in self.mentions(text)))

    def domain_terms(self, text: str) -> list[str]:
        """The dual-carbon and green-living words of the lexicon (terms, everyday synonyms) in ``text``."""
        lexicon = self._lexicon
        words = self._search_cut(normalize(text))
        return [w for w in words if w in lexicon.terms or w in lexicon.synonyms]
