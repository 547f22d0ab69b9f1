"""How often the router reads a question's kind right: keywords alone, nearest examples alone,
and both (the keywords first, the examples for what they leave open).

Questions: ``tests/data/route_questions.toml``, 240 single questions written by hand from how
officials and the public ask, without the router or its examples in view, each labelled with
the kind a careful reader gives it. They are split by a seeded shuffle into halves: A is where
the examples and their thresholds may be tuned, B is only reported. The answer sets
(``answer_questions.toml``: single questions whose label is a
route's kind) are reported too, but the keyword rules were written on them.

``python -m bench.routing`` prints the table; ``make bench`` runs it too.
"""

from __future__ import annotations

import random
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any, get_args

from assistant.answers import AnswerService
from assistant.models import Kind
from bench.datasets import SEED
from bench.metrics import table
from bench.stack import services, settings

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
# what ``route`` decides; "not_covered" and "out_of_scope" are also decided after the search
ROUTED = frozenset(get_args(Kind)) - {"not_covered", "out_of_scope"}


def route_sets() -> dict[str, list[dict[str, Any]]]:
    held = tomllib.loads((DATA / "route_questions.toml").read_text("utf-8"))["case"]
    held = [c for c in held if c["kind"] in ROUTED]
    random.Random(SEED).shuffle(held)
    half = len(held) // 2
    answers = [
        case
        for case in tomllib.loads((DATA / "answer_questions.toml").read_text("utf-8"))["case"]
        if not case.get("conversation") and case["kind"] in ROUTED
    ]
    return {"route A (tuning)": held[:half], "route B (held out)": held[half:], "answers": answers}


def _kind(answers: AnswerService, case: dict[str, Any], *, examples: bool) -> Kind:
    decided, _ = answers.route_of(
        case["question"],
        audience=case["audience"],
        department=case.get("department"),
        examples=examples,
    )
    return decided.kind


def _examples_only(answers: AnswerService, case: dict[str, Any]) -> Kind:
    """The nearest examples' kind with no keyword at all (the public's progress and due
    questions restricted, its policy questions green living)."""
    intent = answers.intent_of(case["question"])
    kind: Kind = intent.kind if intent else "policy"
    if case["audience"] == "public":
        public: dict[str, Kind] = {
            "policy": "green_living",
            "progress": "restricted",
            "due": "restricted",
        }
        kind = public.get(kind, kind)
    return kind


def run(root: Path | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        built = services(settings(Path(root or scratch) / "routing"))
        answers = built.answers
        rows = []
        for name, cases in route_sets().items():
            right = {"keywords": 0, "examples": 0, "both": 0}
            for case in cases:
                right["keywords"] += _kind(answers, case, examples=False) == case["kind"]
                right["examples"] += _examples_only(answers, case) == case["kind"]
                right["both"] += _kind(answers, case, examples=True) == case["kind"]
            rows.append(
                {"set": name, "questions": len(cases)}
                | {method: round(n / len(cases), 3) for method, n in right.items()}
            )
    print("\nRouting: the share of questions whose kind is read right")
    print(table(rows, ["set", "questions", "keywords", "examples", "both"]))
    return {"sets": rows}


if __name__ == "__main__":
    run(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
