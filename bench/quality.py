"""Retrieval quality of every method on the same passages and questions, judged on what it shows.

Methods: our hybrid search, its BM25 and dense halves alone (each showing the same answer
windows, ``retrieval.window``), and the plain LangChain recipe (500-character chunks). A hit
holds the answer by one rule per level:

- passage: the hit comes from a gold passage;
- chunk: the shown text holds the whole answer span (for an answer longer than
  ``LONG_ANSWER`` characters, its first ``LONG_ANSWER``: a reader finds a long answer from its
  start); the same rule for every method;
- clause (dev set): our hits carry the clause label, so a hit of a gold clause holds it; a recipe
  chunk does when it shares at least 50 characters with the gold clause's text (all of it when
  the clause is shorter).

Bigger chunks hold an answer more often, so ``in500`` / ``in1000`` count a question as found when
the answer lies within the first 500 / 1,000 characters of the ranked results (at chunk level,
up to the answer's end; otherwise up to the end of the hit holding it): the same amount of text
to read, whatever the chunk size.

The dev set is searched as the channels search it (``SearchService``: policy texts, the county's
first), every mode through the same document prior.

Each set also yields, per question, hybrid's candidates and their features with the hits that
hold the answer: what ``bench.train_fusion`` learns from, and what the held-out comparison of
learned and hand-set fusion ranks.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.routing import Levels
from assistant.search import SearchService
from bench.datasets import PLAN_SOURCE, SEED, EvalSet, Question, write_passages
from bench.langchain_recipe import LangchainRecipe, split
from bench.metrics import scores
from bench.stack import Stack
from retrieval.fusion import HandFusion, LearnedFusion, Ranker
from retrieval.ingest import IngestItem, IngestReport, parse_source
from retrieval.loaders import read_blocks
from retrieval.search import Mode, SearchFilter, distinct
from retrieval.sources import load_sources

logger = logging.getLogger(__name__)

K = 10
MODES: tuple[Mode, ...] = ("hybrid", "bm25", "dense")
METHODS = (*MODES, "langchain")
BUDGETS = (500, 1000)  # characters of results a reader (or an LLM prompt) takes in
LONG_ANSWER = 100
_DEBRIS = frozenset("\u200b\u200c\u200d\ufeff")
Outcome = tuple[int | None, int | None]  # rank of the first hit holding the answer, chars to it


@dataclass(frozen=True)
class Shown:
    """One hit as a method shows it, placed in its passage (start None when not found there)."""

    passage: str
    start: int | None
    end: int | None
    text: str
    clause: str = ""


@dataclass(frozen=True)
class Example:
    """One question's fusion candidates: feature rows, query kind, which hold the answer."""

    rows: np.ndarray
    exact: bool
    labels: np.ndarray


@dataclass
class SetResult:
    name: str
    description: str
    level: str
    sample: str
    rows: list[dict[str, object]]
    index: dict[str, object]
    examples: list[Example] = field(default_factory=list, repr=False)


# -- judging what is shown --------------------------------------------------------------------------
class Judge:
    """Whether a shown hit holds one question's answer, and how far into it the answer ends."""

    def __init__(self, question: Question, level: str, *, recipe: bool = False) -> None:
        self._q, self._level, self._recipe = question, level, recipe

    def holds(self, hit: Shown) -> bool:
        q = self._q
        if self._level == "passage":
            return hit.passage in q.gold
        if self._level == "clause" and not self._recipe:
            return hit.passage == PLAN_SOURCE and hit.clause in q.clauses
        if hit.start is None or hit.end is None:
            return False
        if self._level == "clause":
            return any(
                pid == hit.passage and min(hit.end, e) - max(hit.start, s) >= min(50, e - s)
                for pid, s, e in q.spans
            )
        return any(
            pid == hit.passage and hit.start <= s and min(e, s + LONG_ANSWER) <= hit.end
            for pid, s, e in q.spans
        )

    def reading(self, hit: Shown) -> int:
        """Characters of ``hit`` read up to the end of the answer."""
        if self._level != "chunk" or hit.start is None:
            return len(hit.text)
        ends = [
            min(e, s + LONG_ANSWER) - hit.start
            for pid, s, e in self._q.spans
            if pid == hit.passage and hit.start <= s
        ]
        return min(len(hit.text), min(ends, default=len(hit.text)))

    def outcome(self, hits: Sequence[Shown]) -> Outcome:
        read = 0
        for rank, hit in enumerate(hits):
            if self.holds(hit):
                return rank, read + self.reading(hit)
            read += len(hit.text)
        return None, None


def _compact(text: str) -> tuple[str, list[int]]:
    """``text`` without whitespace and zero-width debris, and where each kept character was.

    Reading a file strips lines, drops debris and turns odd line separators into breaks, so a
    shown text is a substring of its passage only up to those characters.
    """
    kept = [(i, c) for i, c in enumerate(text) if not c.isspace() and c not in _DEBRIS]
    return "".join(c for _, c in kept), [i for i, _ in kept]


class Placer:
    """Where a shown text lies in its passage (memoised: windows repeat across questions)."""

    def __init__(self, passages: dict[str, str]) -> None:
        self._passages = passages
        self._compact: dict[str, tuple[str, list[int]]] = {}
        self._found: dict[tuple[str, str], tuple[int | None, int | None]] = {}

    def __call__(self, passage: str, text: str) -> tuple[int | None, int | None]:
        key = (passage, text)
        if key not in self._found:
            self._found[key] = self._place(passage, text)
        return self._found[key]

    def _place(self, passage: str, text: str) -> tuple[int | None, int | None]:
        if passage not in self._passages:
            return None, None
        if passage not in self._compact:
            self._compact[passage] = _compact(self._passages[passage])
        haystack, where = self._compact[passage]
        needle = _compact(text)[0]
        found = haystack.find(needle) if needle else -1
        if found < 0:
            return None, None
        return where[found], where[found + len(needle) - 1] + 1


# -- evaluation -------------------------------------------------------------------------------------
Search = Callable[[str, Mode], list[Shown]]


def _ours(
    stack: Stack,
    questions: Sequence[Question],
    level: str,
    search: Search,
    place: Placer,
    filters: SearchFilter,
) -> tuple[dict[str, list[Outcome]], list[Example], float]:
    outcomes: dict[str, list[Outcome]] = {m: [] for m in MODES}
    examples = []
    started = time.perf_counter()
    for q in questions:
        judge = Judge(q, level)
        for mode in MODES:
            outcomes[mode].append(judge.outcome(search(q.text, mode)))
        found = stack.searcher.candidates(q.text, filters=filters)
        labels = [
            judge.holds(Shown(c.source_id, *place(c.source_id, shown), shown, c.clause))
            for c, shown in zip(found.chunks, found.shown, strict=True)
        ]
        examples.append(Example(found.rows, found.exact, np.array(labels, dtype=bool)))
    return outcomes, examples, time.perf_counter() - started


def _recipe(
    passages: dict[str, str], questions: Sequence[Question], level: str, stack: Stack
) -> tuple[list[Outcome], dict[str, object]]:
    documents = split(passages)
    embedded = len(stack.embedder.missing([d.page_content for d in documents]))
    started = time.perf_counter()
    recipe = LangchainRecipe(documents, stack.embedder)
    built = time.perf_counter() - started
    outcomes = []
    for q in questions:
        hits = [Shown(h.passage, h.start, h.end, h.text) for h in recipe.search(q.text, k=K)]
        outcomes.append(Judge(q, level, recipe=True).outcome(hits))
    recipe.close()
    return outcomes, {
        "chunks": len(documents),
        "embedded": embedded,
        "build_seconds": round(built, 1),
    }


def _rows(outcomes: dict[str, list[Outcome]]) -> list[dict[str, object]]:
    rows = []
    for method in METHODS:
        if method in outcomes:
            done = outcomes[method]
            within = {
                f"in{b}": sum(c is not None and c <= b for _, c in done) / max(len(done), 1)
                for b in BUDGETS
            }
            rows.append({"method": method, **scores(r for r, _ in done), **within})
    return rows


def evaluate_external(
    eval_set: EvalSet, stack: Stack, workdir: Path, *, recipe: bool = True
) -> SetResult:
    items = [IngestItem(p, s) for p, s in write_passages(eval_set.passages, workdir / "docs")]
    report = stack.ingest(items)
    place = Placer(eval_set.passages)

    def search(text: str, mode: Mode) -> list[Shown]:
        hits = distinct(stack.searcher.search(text, k=2 * K, mode=mode), k=K)
        return [
            Shown(h.chunk.source_id, *place(h.chunk.source_id, h.shown), h.shown, h.chunk.clause)
            for h in hits
        ]

    questions = eval_set.questions
    outcomes, examples, seconds = _ours(
        stack, questions, eval_set.level, search, place, SearchFilter()
    )
    index = _index_facts(report, seconds)
    if recipe:
        outcomes["langchain"], index["langchain"] = _recipe(
            eval_set.passages, questions, eval_set.level, stack
        )
    return SetResult(
        eval_set.name,
        eval_set.description,
        eval_set.level,
        eval_set.sample_note(),
        _rows(outcomes),
        index,
        examples,
    )


def clause_spans(item: IngestItem) -> dict[str, list[tuple[str, int, int]]]:
    """Where each clause's own text lies in the raw file (for the recipe's chunks)."""
    raw = item.path.read_text("utf-8")
    document = parse_source(read_blocks(item.path), item.source)
    spans: dict[str, list[tuple[str, int, int]]] = {}
    for clause in document.walk():
        blocks = [b for b in clause.text.split("\n") if b]
        if not blocks:
            continue
        start = raw.find(blocks[0])
        last = raw.find(blocks[-1], max(start, 0))
        if start >= 0 and last >= 0:
            spans.setdefault(clause.label, []).append(
                (item.source.id, start, last + len(blocks[-1]))
            )
    return spans


def evaluate_dev(
    questions: list[Question], stack: Stack, items: list[IngestItem], *, recipe: bool = True
) -> SetResult:
    """Our index of the corpus searched as the channels search it (policy texts, the county's
    first: the product's document prior), every mode alike."""
    report = stack.ingest(items)
    plan = next(i for i in items if i.source.id == PLAN_SOURCE)
    # the recipe gets the same texts: every policy document that has a file (guides are left
    # out of searches as the channels do)
    raw = {i.source.id: i.path.read_text("utf-8") for i in items if i.source.kind == "policy"}
    spans = clause_spans(plan)
    questions = [
        Question(
            q.text,
            q.gold,
            spans=tuple(s for label in q.clauses for s in spans.get(label, ())),
            clauses=q.clauses,
            style=q.style,
        )
        for q in questions
    ]
    config = stack.settings
    levels = Levels.of(load_sources(*config.manifests))
    service = SearchService(stack.searcher, county=config.county, levels=lambda: levels)

    def search(text: str, mode: Mode) -> list[Shown]:
        hits = service.search(text, k=K, mode=mode)
        return [Shown(h.source_id, None, None, h.text, h.clause) for h in hits]

    filters = SearchFilter(kinds=("policy",), county=config.county)
    outcomes, examples, seconds = _ours(stack, questions, "clause", search, Placer({}), filters)
    index = _index_facts(report, seconds)
    if recipe:
        outcomes["langchain"], index["langchain"] = _recipe(raw, questions, "clause", stack)
    return SetResult(
        "dev",
        "tests/data/dev_questions.tsv over the policy corpus, the county's texts first; "
        "gold = clause of the plan",
        "clause",
        f"all {len(questions)} questions",
        _rows(outcomes),
        index,
        examples,
    )


# -- learned against hand-set fusion on held-out halves ---------------------------------------------
def halves(n: int) -> tuple[list[int], list[int]]:
    """A seeded split of ``n`` questions: (half A, for training; half B, held out)."""
    order = list(range(n))
    random.Random(SEED).shuffle(order)
    return sorted(order[: n // 2]), sorted(order[n // 2 :])


def training_split(results: Sequence[SetResult]) -> tuple[list[Example], list[Example]]:
    """Training = the dev set and half A of every external set; held out = the halves B."""
    train, held = [], []
    for r in results:
        if r.name == "dev":
            train += r.examples
            continue
        a, b = halves(len(r.examples))
        train += [r.examples[i] for i in a]
        held += [r.examples[i] for i in b]
    return train, held


def ranks(examples: Sequence[Example], ranker: Ranker) -> list[int | None]:
    """Rank of the first candidate holding the answer, under ``ranker`` (ties: list order)."""
    out = []
    for e in examples:
        order = np.argsort(-ranker.scores(e.rows, exact=e.exact), kind="stable")
        found = np.flatnonzero(e.labels[order][:K])
        out.append(int(found[0]) if found.size else None)
    return out


def heldout(
    results: Sequence[SetResult], learned: LearnedFusion | None, hand: HandFusion
) -> list[dict[str, object]]:
    """Hand-set and learned fusion on each external set's held-out half, and on all of them."""
    rows = []
    every: list[Example] = []
    for r in results:
        if r.name == "dev":
            continue
        b = [r.examples[i] for i in halves(len(r.examples))[1]]
        every += b
        rows.append(_versus(r.name, b, learned, hand))
    rows.append(_versus("all held-out halves", every, learned, hand))
    return rows


def _versus(
    name: str, examples: list[Example], learned: LearnedFusion | None, hand: HandFusion
) -> dict[str, object]:
    row: dict[str, object] = {"set": name, "n": len(examples)}
    for label, ranker in (("hand", hand), ("learned", learned)):
        if ranker is not None:
            got = scores(ranks(examples, ranker))
            row |= {f"{label} hit@1": got["hit@1"], f"{label} mrr@10": got["mrr@10"]}
    return row


def _index_facts(report: IngestReport, seconds: float) -> dict[str, object]:
    """What a set's row says of its index: its size, what was embedded, the time taken."""
    return {
        "chunks": report.chunks,
        "embedded": report.embedded,
        "ingest_seconds": round(report.seconds, 1),
        "search_seconds": round(seconds, 1),
    }
