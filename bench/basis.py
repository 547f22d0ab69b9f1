"""上位依据 links against hand labels: how often a person agrees with the clauses shown.

Labels (``tests/data/basis_labels.toml``) list, for 20 tasks (the county plan's ten and ten of the
Wuhan plan in ``../shared/eval/plans``), every clause of a higher text that a careful official
accepts as the task's basis; they were written from the documents, never from the program's
output. A shown link is agreed when the labels hold its clause (or the clause it is part of).

``python -m bench.basis`` prints one row per task and the totals; ``make bench`` runs it too.
"""

from __future__ import annotations

import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.services import Services
from bench.metrics import table
from bench.stack import services, settings
from registry.views import TaskView
from retrieval.sources import Source, file_id, save_source

REPO = Path(__file__).resolve().parents[1]
LABELS = REPO / "tests" / "data" / "basis_labels.toml"
PLANS = REPO.parent / "shared" / "eval" / "plans"


@dataclass(frozen=True)
class TaskScore:
    plan: str
    clause: str
    shown: int
    agreed: int
    first_agreed: bool
    seconds: float

    def row(self) -> dict[str, object]:
        return {
            "plan": self.plan,
            "clause": self.clause,
            "shown": self.shown,
            "agreed": self.agreed,
            "first_agreed": "yes" if self.first_agreed else "no",
            "seconds": round(self.seconds, 2),
        }


def labels() -> list[dict[str, Any]]:
    return tomllib.loads(LABELS.read_text("utf-8"))["task"]


def agreed(label: dict[str, Any], source_id: str, clause: str) -> bool:
    """The labels hold this clause, or the article or section it belongs to."""
    return any(
        b["source"] == source_id and (clause == b["clause"] or clause.startswith(b["clause"]))
        for b in label["basis"]
    )


def score(built: Services, task: TaskView, label: dict[str, Any]) -> TaskScore:
    start = time.perf_counter()
    links = built.basis.basis(task).links
    seconds = time.perf_counter() - start
    marks = [agreed(label, link.source_id, link.clause) for link in links]
    return TaskScore(
        plan=label["plan"],
        clause=label["clause"],
        shown=len(links),
        agreed=sum(marks),
        first_agreed=bool(marks and marks[0]),
        seconds=seconds,
    )


def _task(built: Services, document: str, clause: str) -> TaskView:
    return next(t for t in built.registry.tasks(document=document) if t.clause == clause)


def run(root: Path | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        built = services(settings(Path(root or scratch) / "basis"))
        documents: dict[str, str] = {}
        for label in labels():
            plan = label["plan"]
            if plan not in documents:
                if plan.endswith(".pdf"):
                    path = PLANS / plan
                    if not path.exists():
                        continue
                    # listed first, as the office does: an unlisted file stays out of the ledger
                    save_source(
                        built.settings.uploads_dir / "sources.toml",
                        Source(id=file_id(path.stem), title=path.stem, file=str(path)),
                    )
                    built.ingest.ingest([path])
                    documents[plan] = next(
                        d.id for d in built.registry.documents() if d.id != "xiangyin-plan"
                    )
                else:
                    documents[plan] = plan
        scores = [
            score(built, _task(built, documents[label["plan"]], label["clause"]), label)
            for label in labels()
            if label["plan"] in documents
        ]
    shown = sum(s.shown for s in scores)
    agreed_links = sum(s.agreed for s in scores)
    results = {
        "tasks": [s.row() for s in scores],
        "summary": {
            "tasks": len(scores),
            "links_shown": shown,
            "links_agreed": agreed_links,
            "agreement": round(agreed_links / shown, 3) if shown else 0.0,
            "first_link_agreed": round(sum(s.first_agreed for s in scores) / len(scores), 3)
            if scores
            else 0.0,
            "tasks_with_a_link": sum(1 for s in scores if s.shown),
            "seconds_per_task": round(sum(s.seconds for s in scores) / len(scores), 2)
            if scores
            else 0.0,
        },
    }
    _print(results)
    return results


def _print(results: dict[str, Any]) -> None:
    print("\n上位依据 links against hand labels (links shown per task, agreed by the labels)")
    print(table(results["tasks"], ["plan", "clause", "shown", "agreed", "first_agreed", "seconds"]))
    summary = results["summary"]
    print(table([summary], list(summary)))


if __name__ == "__main__":
    run(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
