"""Fusing the BM25 and dense result lists into one ranking.

Every candidate (the union of both lists) gets a row of ``FEATURES``: each list's score min–max
normalised over its own candidates (0 where it is missing), the raw dense similarity, the share
of the query's terms in the chunk (its heading path included: it is indexed with the chunk),
whether the query is an "exact" one (it names a department, a number or a year), whether both
lists found it, its length, and its whole clause's two scores (``retrieval.context``), min–max
normalised over the candidates. A separate heading-and-title match was tried: its learned
weight was about 0, and tokenising the headings of new candidates cost ~20 ms a search at 11k
chunks.

Two rankers score those rows. ``HandFusion`` mixes the two normalised scores with a weight set by
hand (more BM25 for exact queries), and adds the clause's two, mixed alike, at a small weight.
``LearnedFusion`` is a linear model trained pairwise on development questions
(``python -m bench.train_fusion``) and shipped as ``fusion_model.json``; the searcher uses it
when the file is there. Plain reciprocal-rank fusion loses to the better single list on both
kinds of question (see bench/), score mixing does not. Tried for issue 21 and left out: each
list's share moved by its confidence (how far its first candidate stands above its second),
reciprocal rank as a further term, and the whole document in place of the clause: each gains
on the external sets and loses answers of the evaluation set (README, Performance).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_NUMBER = re.compile(r"\d")
SHIPPED_MODEL = Path(__file__).with_name("fusion_model.json")
FEATURES = (
    "bm25",
    "dense",
    "similarity",
    "coverage",
    "exact_bm25",
    "exact_dense",
    "both",
    "length",
    "clause_bm25",
    "clause_dense",
)
_LENGTH_UNIT = 300.0  # characters: the default largest chunk
# the clause's mixed score, added to the chunk's at this weight: the largest of 0.1, 0.2, 0.3 and
# 0.5 that leaves the answer evaluation (tests/assistant/test_answers.py) as it was
CLAUSE_WEIGHT = 0.1


@dataclass(frozen=True)
class FusionWeights:
    """BM25's share of the fused score; the dense list gets the rest."""

    default: float = 0.45
    exact: float = 0.65


def is_exact(query: str, *, departments: Sequence[str]) -> bool:
    """Queries naming a department, a number or a year lean on exact matching."""
    return bool(departments or _NUMBER.search(query))


def _scaled(values: np.ndarray) -> np.ndarray:
    """``values`` min–max normalised over those present (not NaN), 0 where missing."""
    present = ~np.isnan(values)
    if not present.any():
        return np.zeros(len(values))
    low, high = values[present].min(), values[present].max()
    scaled = np.ones(len(values)) if high - low < 1e-9 else (values - low) / (high - low)
    return np.where(present, scaled, 0.0)


def _minmax(scores: Mapping[int, float], keys: Sequence[int]) -> np.ndarray:
    return _scaled(np.array([scores.get(k, np.nan) for k in keys], dtype=float))


def feature_rows(
    keys: Sequence[int],
    *,
    bm25: Mapping[int, float],
    dense: Mapping[int, float],
    coverage: Sequence[float],
    lengths: Sequence[int],
    exact: bool,
    clauses: tuple[Sequence[float], Sequence[float]],
) -> np.ndarray:
    """One row of ``FEATURES`` per candidate in ``keys`` (``bm25`` holds positive scores only);
    ``clauses``: the BM25 score and the similarity of each candidate's clause."""
    nb, nd = _minmax(bm25, keys), _minmax(dense, keys)
    clause_bm25, clause_dense = (_scaled(np.asarray(c, dtype=float)) for c in clauses)
    flag = 1.0 if exact else 0.0
    both = np.array([k in bm25 and k in dense for k in keys], dtype=float)
    return np.column_stack(
        [
            nb,
            nd,
            np.array([dense.get(k, 0.0) for k in keys]),
            np.asarray(coverage, dtype=float),
            flag * nb,
            flag * nd,
            both,
            np.minimum(np.asarray(lengths, dtype=float) / _LENGTH_UNIT, 2.0),
            clause_bm25,
            clause_dense,
        ]
    ).reshape(len(keys), len(FEATURES))


class HandFusion:
    """The chunk's two normalised scores, BM25's share set by hand per query kind, and its
    clause's two mixed alike at ``CLAUSE_WEIGHT``; 0–1."""

    _CLAUSE = FEATURES.index("clause_bm25"), FEATURES.index("clause_dense")

    def __init__(self, weights: FusionWeights | None = None) -> None:
        self.weights = weights or FusionWeights()

    def scores(self, rows: np.ndarray, *, exact: bool) -> np.ndarray:
        share = self.weights.exact if exact else self.weights.default
        chunk = share * rows[:, 0] + (1 - share) * rows[:, 1]
        clause = share * rows[:, self._CLAUSE[0]] + (1 - share) * rows[:, self._CLAUSE[1]]
        return (chunk + CLAUSE_WEIGHT * clause) / (1 + CLAUSE_WEIGHT)


class LearnedFusion:
    """A linear score over ``FEATURES``, its weights learned from ranked pairs."""

    def __init__(self, weights: Mapping[str, float], *, about: Mapping[str, object] | None = None):
        self.weights = np.array([weights[name] for name in FEATURES], dtype=float)
        self.about = dict(about or {})

    def scores(self, rows: np.ndarray, *, exact: bool) -> np.ndarray:  # exact: among the rows
        """Scaled to 0–1 over the candidates, as the hand-set mix is: the document prior
        (``assistant.search``) discounts another level's scores by a factor."""
        raw = rows @ self.weights
        if not len(raw):
            return raw
        spread = raw.max() - raw.min()
        return (raw - raw.min()) / spread if spread > 1e-12 else np.ones(len(raw))

    def to_json(self) -> str:
        weights = {name: round(float(w), 6) for name, w in zip(FEATURES, self.weights, strict=True)}
        return json.dumps({"weights": weights, **self.about}, ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def load(cls, path: Path = SHIPPED_MODEL) -> LearnedFusion | None:
        """The model in ``path``; None when there is none (the hand-set weights then rank)."""
        if not path.exists():
            return None
        data = json.loads(path.read_text("utf-8"))
        return cls(data.pop("weights"), about=data)


Ranker = HandFusion | LearnedFusion
