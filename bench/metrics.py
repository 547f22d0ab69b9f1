"""Ranking metrics and table printing shared by the benchmarks."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def rank_of(ranked: Sequence[str], gold: set[str]) -> int | None:
    """0-based position of the first gold item, or None."""
    return next((i for i, item in enumerate(ranked) if item in gold), None)


def scores(ranks: Iterable[int | None], *, cutoffs: Sequence[int] = (1, 3, 5)) -> dict[str, float]:
    ranks = list(ranks)
    n = max(len(ranks), 1)
    out = {f"hit@{c}": sum(r is not None and r < c for r in ranks) / n for c in cutoffs}
    out["mrr@10"] = sum(1 / (r + 1) for r in ranks if r is not None and r < 10) / n
    out["n"] = len(ranks)
    return out


def percentiles(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99 and mean, in milliseconds (nearest-rank)."""
    ordered = sorted(seconds)
    if not ordered:
        return {}

    def rank(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]

    return {
        "p50_ms": rank(50) * 1000,
        "p95_ms": rank(95) * 1000,
        "p99_ms": rank(99) * 1000,
        "mean_ms": sum(ordered) / len(ordered) * 1000,
        "n": len(ordered),
    }


def table(rows: list[dict[str, object]], columns: Sequence[str]) -> str:
    cells = [[_fmt(row.get(c, "")) for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    line = lambda values: "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True))  # noqa: E731
    return "\n".join([line(columns), line(["-" * w for w in widths]), *map(line, cells)])


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def markdown(rows: list[dict[str, object]], columns: Sequence[str]) -> str:
    """The same table for README.md."""
    head = "| " + " | ".join(columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    body = ["| " + " | ".join(_fmt(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join([head, rule, *body])


def save(name: str, payload: object) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2), "utf-8")
    return path
