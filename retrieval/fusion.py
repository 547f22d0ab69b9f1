"""Fusing the BM25 and dense result lists into one ranking.

Every candidate (the union of both lists) gets a row of ``FEATURES``: each list's score min–max
normalised over its own candidates (0 where it is missing), the raw dense similarity, the share
of the query's terms in the chunk (its heading path included: it is indexed with the chunk),
whether the query is an "exact" one (it names a department, a number or a year), whether both
lists found it, and its length. A separate heading-and-title match was tried: its learned weight
was about 0, and tokenising the headings of new candidates cost ~20 ms a search at 11k chunks.

Two rankers score those rows. ``HandFusion`` mixes the two normalised scores with a weight set by
hand (more BM25 for exact queries). ``LearnedFusion`` is a linear model trained pairwise on
development questions (``python -m bench.train_fusion``) and shipped as ``fusion_model.json``;
the searcher uses it when the file is there. Plain reciprocal-rank fusion loses to the better
single list on both kinds of question (see bench/), score mixing does not.
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
)
_LENGTH_UNIT = 300.0  # characters: the default largest chunk


@dataclass(frozen=True)
class FusionWeights:
    """BM25's share of the fused score; the dense list gets the rest."""

    default: float = 0.45
    exact: float = 0.65


def is_exact(query: str, *, departments: Sequence[str]) -> bool:
    """Queries naming a department, a number or a year lean on exact matching."""
    return bool(departments or _NUMBER.search(query))


def _minmax(scores: Mapping[int, float], keys: Sequence[int]) -> np.ndarray:
    values = np.array([scores.get(k, np.nan) for k in keys], dtype=float)
    present = ~np.isnan(values)
    if not present.any():
        return np.zeros(len(keys))
    low, high = values[present].min(), values[present].max()
    scaled = np.ones(len(keys)) if high - low < 1e-9 else (values - low) / (high - low)
    return np.where(present, scaled, 0.0)


def feature_rows(
    keys: Sequence[int],
    *,
    bm25: Mapping[int, float],
    dense: Mapping[int, float],
    coverage: Sequence[float],
    lengths: Sequence[int],
    exact: bool,
) -> np.ndarray:
    """One row of ``FEATURES`` per candidate in ``keys`` (``bm25`` holds positive scores only)."""
    nb, nd = _minmax(bm25, keys), _minmax(dense, keys)
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
        ]
    ).reshape(len(keys), len(FEATURES))


class HandFusion:
    """Weighted sum of the two normalised scores, BM25's share set by hand per query kind."""

    def __init__(self, weights: FusionWeights | None = None) -> None:
        self.weights = weights or FusionWeights()

    def scores(self, rows: np.ndarray, *, exact: bool) -> np.ndarray:
        share = self.weights.exact if exact else self.weights.default
        return share * rows[:, 0] + (1 - share) * rows[:, 1]


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
