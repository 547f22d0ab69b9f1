"""Fusing the BM25 and dense result lists into one ranking.

Each list is min–max normalised over its own candidates and the two are mixed with a weight
that depends on the query: exact department names, numbers and years are what BM25 is good at,
everyday wording is what the dense model is good at. A candidate missing from one list scores 0
there. Plain reciprocal-rank fusion loses to the better single list on both kinds of question
(see bench/), score mixing does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER = re.compile(r"\d")


@dataclass(frozen=True)
class FusionWeights:
    """BM25's share of the fused score; the dense list gets the rest."""

    default: float = 0.45
    exact: float = 0.65


def bm25_share(query: str, *, departments: list[str], weights: FusionWeights) -> float:
    """Queries naming a department, a number or a year lean on exact matching."""
    return weights.exact if departments or _NUMBER.search(query) else weights.default


def _minmax(scores: dict[int, float]) -> dict[int, float]:
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    if high - low < 1e-9:
        return {key: 1.0 for key in scores}
    return {key: (value - low) / (high - low) for key, value in scores.items()}


def fuse(
    bm25: dict[int, float], dense: dict[int, float], *, bm25_weight: float
) -> dict[int, float]:
    """Weighted sum of normalised scores over the union of both candidate lists."""
    nb, nd = _minmax({k: v for k, v in bm25.items() if v > 0}), _minmax(dense)
    return {
        key: bm25_weight * nb.get(key, 0.0) + (1 - bm25_weight) * nd.get(key, 0.0)
        for key in nb.keys() | nd.keys()
    }
