"""The ledger extractor against hand labels, and its speed on every real plan we have.

Labels (``tests/data/plans/*.toml``, rules in its README) were written from the documents, never from
the program's output. A labelled note is matched to the extracted measure whose text holds its
quote; it is exact when the set of units, the lead set and the deadline (date and kind) all agree.
Names are compared folded (Simplified, half-width, no whitespace).

``python -m bench.ledger`` prints the per-plan table and the time for all plans in
``../shared/eval/plans`` (parsing included, embeddings excluded); ``make bench`` runs it too.
"""

from __future__ import annotations

import re
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.metrics import table
from registry.extract import ExtractedTask, extract
from registry.units import fold
from retrieval.clauses import parse_clauses
from retrieval.loaders import read_blocks

REPO = Path(__file__).resolve().parents[1]
LABELS = REPO / "tests" / "data" / "plans"
PLANS = REPO.parent / "shared" / "eval" / "plans"


def _as_written(name: str) -> None:
    """Plans of other places: every unit keeps its own name (as the registry does for them)."""


@dataclass(frozen=True)
class PlanScore:
    plan: str
    title: str
    notes: int
    exact: int
    units: int
    lead: int
    deadline: int
    missing: int  # labelled notes no extracted measure holds
    extra: int  # extracted measures no label matched
    seconds: float
    misses: tuple[str, ...]

    def row(self) -> dict[str, object]:
        return {
            "plan": self.plan,
            "title": self.title[:24],
            "notes": self.notes,
            "exact": self.exact,
            "exact%": round(100 * self.exact / self.notes, 1) if self.notes else 0.0,
            "units": self.units,
            "lead": self.lead,
            "deadline": self.deadline,
            "missing": self.missing,
            "extra": self.extra,
            "seconds": round(self.seconds, 3),
        }


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", fold(text))


def label_files() -> list[Path]:
    return sorted(LABELS.glob("*.toml"))


def document_of(label: dict[str, Any]) -> Path:
    beside = LABELS / label["file"]
    return beside if beside.exists() else PLANS / label["file"]


def score(label_path: Path) -> PlanScore:
    label = tomllib.loads(label_path.read_text("utf-8"))
    started = time.perf_counter()
    tasks = list(extract(parse_clauses(read_blocks(document_of(label))), _as_written).tasks)
    seconds = time.perf_counter() - started
    texts = [_norm(t.text) for t in tasks]
    used: set[int] = set()
    counts = {"exact": 0, "units": 0, "lead": 0, "deadline": 0, "missing": 0}
    misses: list[str] = []
    for note in label["note"]:
        quote = _norm(note["quote"])
        found = next((i for i, t in enumerate(texts) if quote in t and i not in used), None)
        if found is None:
            counts["missing"] += 1
            misses.append(f"{note['clause']}: no measure holds “{note['quote']}”")
            continue
        used.add(found)
        checks = _compare(note, tasks[found])
        for name, ok in checks.items():
            counts[name] += ok
        if all(checks.values()):
            counts["exact"] += 1
        else:
            wrong = ", ".join(name for name, ok in checks.items() if not ok)
            misses.append(f"{note['clause']} “{note['quote']}”: {wrong} differ")
    return PlanScore(
        plan=label_path.stem,
        title=label.get("title", ""),
        notes=len(label["note"]),
        missing=counts.pop("missing"),
        extra=len(tasks) - len(used),
        seconds=seconds,
        misses=tuple(misses),
        **counts,
    )


def _compare(note: dict[str, Any], task: ExtractedTask) -> dict[str, bool]:
    expected = note.get("deadline")
    got = task.deadline
    return {
        "units": {_norm(u) for u in note["units"]} == {_norm(u) for u in task.responsibility.units},
        "lead": {_norm(u) for u in note["lead"]} == {_norm(u) for u in task.responsibility.leads},
        "deadline": ((expected["date"] or None, expected["kind"]) if expected else None)
        == ((got.date.isoformat() if got.date else None, got.kind) if got else None),
    }


def extraction_time(folder: Path = PLANS) -> dict[str, object]:
    """Read, parse and extract every PDF plan in ``folder``; embeddings excluded."""
    started = time.perf_counter()
    files = sorted(folder.glob("*.pdf"))
    tasks = deadlines = failed = 0
    for path in files:
        try:
            extraction = extract(parse_clauses(read_blocks(path)), _as_written)
        except Exception:
            failed += 1
            continue
        tasks += len(extraction.tasks)
        deadlines += sum(t.deadline is not None for t in extraction.tasks)
    seconds = time.perf_counter() - started
    return {
        "plans": len(files),
        "unreadable": failed,
        "tasks": tasks,
        "with_deadline": deadlines,
        "seconds": round(seconds, 1),
        "target_seconds": 120,
    }


def run() -> dict[str, Any]:
    scores = [score(path) for path in label_files()]
    notes = sum(s.notes for s in scores)
    exact = sum(s.exact for s in scores)
    rows = [s.row() for s in scores]
    rows.append(
        {
            "plan": "all",
            "notes": notes,
            "exact": exact,
            "exact%": round(100 * exact / notes, 1),
            **{k: sum(getattr(s, k) for s in scores) for k in ("units", "lead", "deadline")},
            **{k: sum(getattr(s, k) for s in scores) for k in ("missing", "extra")},
            "seconds": round(sum(s.seconds for s in scores), 2),
        }
    )
    print("\nLedger extraction against hand labels (notes exact: units, lead set, deadline)")
    print(table(rows, list(rows[0])))
    for s in scores:
        for miss in s.misses:
            print(f"  {s.plan}: {miss}")
    timing = extraction_time() if PLANS.exists() else {}
    if timing:
        print("\nLedger extraction of every real plan (read + parse + extract, no embeddings)")
        print(table([timing], list(timing)))
    return {"plans": rows, "timing": timing}


if __name__ == "__main__":
    run()
