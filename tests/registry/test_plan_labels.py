"""The ledger extractor against plans labelled by hand (tests/data/plans/README.md): real plans of
ministries, provinces, cities and districts (PDF, read in place from ../shared/eval/plans), and task
tables written as offices receive them (docx, xlsx, txt)."""

from __future__ import annotations

import tomllib

import pytest

from bench.ledger import PLANS, label_files, score

LABELS = label_files()


def test_at_least_twelve_plans_are_labelled_in_every_form() -> None:
    names = {path.stem for path in LABELS}
    assert len(names) >= 12
    assert {"table-plan-docx", "table-plan-xlsx", "lines-plan"} <= names
    notes = {path.stem: len(tomllib.loads(path.read_text("utf-8"))["note"]) for path in LABELS}
    assert max(notes.values()) >= 100  # a 规划 with its hundreds of notes


@pytest.mark.skipif(not PLANS.exists(), reason="../shared/eval/plans is not beside the checkout")
def test_notes_are_extracted_exactly() -> None:
    scores = [score(path) for path in LABELS]
    notes = sum(s.notes for s in scores)
    exact = sum(s.exact for s in scores)
    misses = [f"{s.plan}: {miss}" for s in scores for miss in s.misses]
    assert exact / notes >= 0.95, "\n".join(misses)
    # no plan is left behind by the total
    assert all(s.exact / s.notes >= 0.9 for s in scores), [s.row() for s in scores]
    assert all(s.extra == 0 for s in scores if not s.plan.startswith("table")), misses
