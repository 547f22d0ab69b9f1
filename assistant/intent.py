"""The router's second reading of a question: the nearest examples of how each kind is asked.

A question is framed first: the departments it names become 某单位 and the lexicon's words (its
topic: 秸秆, 光伏 …) 某事, so "秸秆禁烧这事谁在抓" reads "某事这事谁在抓". The frame is compared by
character n-grams (TF-IDF, cosine) with the framed examples of ``route_examples.toml``; the
``k`` nearest vote, weighted by similarity. The keyword rules (``routing``) decide first; this
decides what they leave open, and the log says why: the kind, the nearest example, its similarity.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer

from assistant.models import Kind
from retrieval.text import normalize

EXAMPLES = Path(__file__).with_name("route_examples.toml")
UNIT = "某单位"
TOPIC = "某事"
_NOT_ASKED = re.compile(r"[？?！!。，,、；;：:\s“”\"'（）()]+")
_REPEATED = re.compile(rf"(?:{UNIT}|{TOPIC})(?:[和与及、]?(?:{UNIT}|{TOPIC}))+")


def frame(question: str, units: Iterable[str], topics: Iterable[str]) -> str:
    """The question with the departments it names (``units``, as written) and its topic words
    replaced, punctuation dropped: how it asks, not what about."""
    text = normalize(question)
    for words, mark in ((units, UNIT), (topics, TOPIC)):
        for word in sorted({normalize(w) for w in words if w}, key=len, reverse=True):
            text = text.replace(word, mark)
    text = _NOT_ASKED.sub("", text)
    return _REPEATED.sub(lambda m: UNIT if UNIT in m.group() else TOPIC, text)


@dataclass(frozen=True)
class Intent:
    kind: Kind
    share: float  # of the k nearest examples' similarity, the part that voted for ``kind``
    example: str  # the nearest example of that kind
    similarity: float  # the question's to it

    def __str__(self) -> str:
        return f"{self.kind} ({self.share:.2f} of the vote; nearest “{self.example}” {self.similarity:.2f})"


class IntentIndex:
    def __init__(self, examples: Mapping[str, Sequence[str]], *, k: int = 3) -> None:
        self._kinds: list[Kind] = [kind for kind, said in examples.items() for _ in said]  # type: ignore[misc]
        self._examples = [example for said in examples.values() for example in said]
        # characters and their pairs and triples: "谁在抓", "多少", "进展" carry the asking
        self._vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        self._matrix = self._vectorizer.fit_transform(self._examples)
        self._k = k

    @classmethod
    def load(cls, path: Path = EXAMPLES) -> IntentIndex:
        return cls(tomllib.loads(path.read_text("utf-8")))

    def nearest(self, framed: str) -> Intent | None:
        """The kind the ``k`` examples nearest to the framed question vote for; None when it
        shares nothing with any."""
        similarities = (self._matrix @ self._vectorizer.transform([framed]).T).toarray().ravel()
        order = similarities.argsort()[::-1][: self._k]
        total = float(similarities[order].sum())
        if total <= 0:
            return None
        votes: dict[Kind, float] = {}
        for i in order:
            votes[self._kinds[i]] = votes.get(self._kinds[i], 0.0) + float(similarities[i])
        kind = max(votes, key=lambda k: votes[k])
        best = next(i for i in order if self._kinds[i] == kind)
        return Intent(kind, votes[kind] / total, self._examples[best], float(similarities[best]))
