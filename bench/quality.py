"""Retrieval quality of every method on the same passages and questions.

Methods: our hybrid search, its BM25 and dense halves alone, and the plain LangChain recipe.
Each method is scored against its own chunks, with one rule per level:

- passage: a chunk of a gold passage hits;
- chunk: a chunk holding the whole answer span hits; when no chunk of the method holds it
  (the answer straddles a boundary or is longer than a chunk), a chunk holding its first
  character does (the rule of ``loaders.py``'s chunked variants);
- clause (dev set): our chunks carry the clause label, so a chunk of a gold clause hits; a recipe
  chunk hits when it shares at least 50 characters with the gold clause's text (all of it when
  the clause is shorter). Recipe chunks are 500 characters and ours at most 300, so this favours
  the recipe.

Bigger chunks hold an answer more often, so ``hit@1000chars`` also counts a question as found
when its first gold chunk ends within the first 1,000 characters of the ranked results: the
same amount of text to read, whatever the chunk size.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.datasets import PLAN_SOURCE, SEED, EvalSet, Question, write_passages
from bench.langchain_recipe import LangchainRecipe, split
from bench.metrics import rank_of, scores
from bench.stack import Stack
from retrieval.fusion import FusionWeights, bm25_share, fuse
from retrieval.ingest import IngestItem, parse_source
from retrieval.loaders import read_blocks
from retrieval.search import SearchFilter
from retrieval.store import StoredChunk

logger = logging.getLogger(__name__)

K = 10
METHODS = ("hybrid", "bm25", "dense", "langchain")
_DIGIT = re.compile(r"\d")
_DEBRIS = frozenset("\u200b\u200c\u200d\ufeff")
BUDGET = 1000  # characters of results a reader (or an LLM prompt) takes in
Outcome = tuple[int | None, int | None]  # rank of the first gold chunk, characters up to it


@dataclass(frozen=True)
class Located:
    """A chunk of one method, placed in its passage (start is None when it cannot be found)."""

    key: str
    passage: str
    start: int | None
    end: int | None
    text: str
    clause: str = ""


@dataclass
class SetResult:
    name: str
    description: str
    level: str
    sample: str
    rows: list[dict[str, object]]
    index: dict[str, object]
    # per question, for offline fusion: (bm25 scores, dense scores, exact?, gold keys)
    fusion_inputs: list[tuple[dict[str, float], dict[str, float], bool, set[str]]] = field(
        default_factory=list, repr=False
    )
    hybrid_ranks: list[int | None] = field(default_factory=list, repr=False)


# -- gold -------------------------------------------------------------------------------------------
def _gold(q: Question, level: str, chunks: dict[str, list[Located]], recipe: bool) -> set[str]:
    located = [c for pid in q.gold for c in chunks.get(pid, ())]
    if level == "passage":
        return {c.key for c in located}
    if level == "clause":
        if not recipe:
            return {c.key for c in located if c.clause in q.clauses}
        return {c.key for c in located if any(_overlaps(c, span) for span in q.spans)}
    keys: set[str] = set()
    for pid, s, e in q.spans:
        mine = [c for c in chunks.get(pid, ()) if c.start is not None and c.end is not None]
        whole = {c.key for c in mine if c.start <= s and e <= c.end}  # type: ignore[operator]
        keys |= whole or {c.key for c in mine if c.start <= s < c.end}  # type: ignore[operator]
    return keys


def _overlaps(chunk: Located, span: tuple[str, int, int]) -> bool:
    pid, s, e = span
    if chunk.passage != pid or chunk.start is None or chunk.end is None:
        return False
    return min(chunk.end, e) - max(chunk.start, s) >= min(50, e - s)


def _compact(text: str) -> tuple[str, list[int]]:
    """``text`` without whitespace and zero-width debris, and where each kept character was.

    Reading a file strips lines, drops debris and turns odd line separators into breaks, so a
    chunk is a substring of its passage only up to those characters.
    """
    kept = [(i, c) for i, c in enumerate(text) if not c.isspace() and c not in _DEBRIS]
    return "".join(c for _, c in kept), [i for i, _ in kept]


def locate(chunks: Iterable[StoredChunk], passages: dict[str, str]) -> dict[str, list[Located]]:
    """Our chunks in their passages' text, found in order."""
    out: dict[str, list[Located]] = {}
    cursor: dict[str, int] = {}
    compact: dict[str, tuple[str, list[int]]] = {}
    for chunk in sorted(chunks, key=lambda c: c.id):
        if chunk.source_id not in passages:
            continue
        pid = chunk.source_id
        text, where = compact.setdefault(pid, _compact(passages[pid]))
        needle = _compact(chunk.text)[0]
        found = text.find(needle, cursor.get(pid, 0)) if needle else -1
        if found < 0 and needle:
            found = text.find(needle)
        start = end = None
        if found >= 0:
            start, end = where[found], where[found + len(needle) - 1] + 1
            cursor[pid] = found + 1
        out.setdefault(pid, []).append(Located(chunk.id, pid, start, end, chunk.text, chunk.clause))
    return out


# -- evaluation -------------------------------------------------------------------------------------
def _outcome(ranked: Sequence[tuple[str, str]], gold: set[str]) -> Outcome:
    """``ranked`` = (key, shown text) best first."""
    rank = rank_of([key for key, _ in ranked], gold)
    if rank is None:
        return None, None
    return rank, sum(len(text) for _, text in ranked[: rank + 1])


def _ours(
    stack: Stack,
    questions: Sequence[Question],
    level: str,
    located: dict[str, list[Located]],
    filters: SearchFilter,
) -> tuple[
    dict[str, list[Outcome]],
    list[tuple[dict[str, float], dict[str, float], bool, set[str]]],
    float,
]:
    searcher, tokenizer = stack.searcher, stack.tokenizer
    ranks: dict[str, list[Outcome]] = {m: [] for m in ("hybrid", "bm25", "dense")}
    inputs = []
    started = time.perf_counter()
    for q in questions:
        gold = _gold(q, level, located, recipe=False)
        # The candidate lists are exactly what hybrid fuses; keep them for offline fusion.
        n = stack.settings.retrieval.candidates
        bm25 = searcher.search(q.text, k=n, filters=filters, mode="bm25")
        dense = searcher.search(q.text, k=n, filters=filters, mode="dense")
        hybrid = searcher.search(q.text, k=K, filters=filters, mode="hybrid")
        for mode, hits in (("bm25", bm25[:K]), ("dense", dense[:K]), ("hybrid", hybrid)):
            ranks[mode].append(_outcome([(h.chunk.id, h.chunk.text) for h in hits], gold))
        expanded = tokenizer.expand(q.text)
        exact = bool(tokenizer.departments(expanded) or _DIGIT.search(expanded))
        inputs.append(
            (
                {h.chunk.id: h.score for h in bm25},
                {h.chunk.id: h.score for h in dense},
                exact,
                gold,
            )
        )
    return ranks, inputs, time.perf_counter() - started


def _recipe(
    passages: dict[str, str], questions: Sequence[Question], level: str, stack: Stack
) -> tuple[list[Outcome], dict[str, object]]:
    documents = split(passages)
    embedded = len(stack.embedder.missing([d.page_content for d in documents]))
    started = time.perf_counter()
    recipe = LangchainRecipe(documents, stack.embedder)
    built = time.perf_counter() - started
    located: dict[str, list[Located]] = {}
    for d in documents:
        pid, start = d.metadata["passage"], int(d.metadata["start_index"])
        located.setdefault(pid, []).append(
            Located(f"{pid}@{start}", pid, start, start + len(d.page_content), d.page_content)
        )
    ranks = []
    for q in questions:
        gold = _gold(q, level, located, recipe=True)
        hits = recipe.search(q.text, k=K)
        ranks.append(_outcome([(f"{h.passage}@{h.start}", h.text) for h in hits], gold))
    recipe.close()
    return ranks, {"chunks": len(documents), "embedded": embedded, "build_seconds": round(built, 1)}


def _rows(outcomes: dict[str, list[Outcome]]) -> list[dict[str, object]]:
    rows = []
    for method in METHODS:
        if method in outcomes:
            done = outcomes[method]
            within = sum(c is not None and c <= BUDGET for _, c in done) / max(len(done), 1)
            rows.append(
                {"method": method, **scores(r for r, _ in done), f"hit@{BUDGET}chars": within}
            )
    return rows


def evaluate_external(eval_set: EvalSet, stack: Stack, workdir: Path) -> SetResult:
    items = [IngestItem(p, s) for p, s in write_passages(eval_set.passages, workdir / "docs")]
    report = stack.ingest(items)
    located = locate(stack.chunks(), eval_set.passages)
    questions = eval_set.questions
    ranks, inputs, seconds = _ours(stack, questions, eval_set.level, located, SearchFilter())
    lc_ranks, lc_index = _recipe(eval_set.passages, questions, eval_set.level, stack)
    ranks["langchain"] = lc_ranks
    unplaced = sum(c.start is None for cs in located.values() for c in cs)
    index = {
        "chunks": report.chunks,
        "embedded": report.embedded,
        "ingest_seconds": round(report.seconds, 1),
        "unplaced_chunks": unplaced,
        "langchain": lc_index,
        "search_seconds": round(seconds, 1),
    }
    return SetResult(
        eval_set.name,
        eval_set.description,
        eval_set.level,
        eval_set.sample_note(),
        _rows(ranks),
        index,
        inputs,
        [r for r, _ in ranks["hybrid"]],
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


def evaluate_dev(questions: list[Question], stack: Stack, items: list[IngestItem]) -> SetResult:
    """Our index of the corpus searched as the channels search it (policy texts only)."""
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
    located = {
        PLAN_SOURCE: [
            Located(c.id, c.source_id, None, None, c.text, c.clause)
            for c in stack.chunks()
            if c.source_id == PLAN_SOURCE
        ]
    }
    filters = SearchFilter(kinds=("policy",))
    ranks, inputs, seconds = _ours(stack, questions, "clause", located, filters)
    lc_ranks, lc_index = _recipe(raw, questions, "clause", stack)
    ranks["langchain"] = lc_ranks
    return SetResult(
        "dev",
        "tests/data/dev_questions.tsv over the plan; gold = clause",
        "clause",
        f"all {len(questions)} questions",
        _rows(ranks),
        {
            "chunks": report.chunks,
            "embedded": report.embedded,
            "ingest_seconds": round(report.seconds, 1),
            "langchain": lc_index,
            "search_seconds": round(seconds, 1),
        },
        inputs,
        [r for r, _ in ranks["hybrid"]],
    )


# -- fusion weights: evidence, not a silent change ---------------------------------------------------
GRID = tuple(round(0.1 * i, 1) for i in range(11))


def _fused_ranks(inputs, weights: FusionWeights) -> list[int | None]:  # type: ignore[no-untyped-def]
    ranks = []
    for bm25, dense, exact, gold in inputs:
        share = bm25_share("1" if exact else "", departments=[], weights=weights)
        fused = fuse(bm25, dense, bm25_weight=share)
        ranked = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:K]
        ranks.append(rank_of([key for key, _ in ranked], gold))
    return ranks


def _mrr(ranks: list[int | None]) -> float:
    return float(scores(ranks)["mrr@10"])


def tune_weights(results: Sequence[SetResult], defaults: FusionWeights) -> dict[str, object]:
    """Grid-search the two BM25 shares on a seeded half of each external set; report the other.

    Per set, and once for all sets together (one default must serve every kind of question).
    The dev set is not used: its questions were written against the plan.
    """
    out: dict[str, object] = {"grid": list(GRID), "sets": []}
    # offline fusion must reproduce the product's hybrid ranking with the current weights
    same = [
        a == b
        for r in results
        for a, b in zip(_fused_ranks(r.fusion_inputs, defaults), r.hybrid_ranks, strict=True)
    ]
    out["offline_fusion_agrees"] = sum(same) / max(len(same), 1)
    tune_all, test_all = [], []
    for result in results:
        if result.name == "dev":
            continue
        order = list(range(len(result.fusion_inputs)))
        random.Random(SEED).shuffle(order)
        half = len(order) // 2
        tune = [result.fusion_inputs[i] for i in order[:half]]
        test = [result.fusion_inputs[i] for i in order[half:]]
        tune_all += tune
        test_all += test
        best = _best(tune, defaults)
        out["sets"].append(_compare(result.name, test, defaults, best))  # type: ignore[union-attr]
    best = _best(tune_all, defaults)
    out["all"] = _compare("all external sets", test_all, defaults, best)
    return out


def _best(inputs, defaults: FusionWeights) -> FusionWeights:  # type: ignore[no-untyped-def]
    """Best MRR@10 on ``inputs``; ties go to the weights nearest the current ones."""
    candidates = [FusionWeights(default=d, exact=e) for d in GRID for e in GRID]

    def key(w: FusionWeights) -> tuple[float, float]:
        distance = abs(w.default - defaults.default) + abs(w.exact - defaults.exact)
        return round(_mrr(_fused_ranks(inputs, w)), 6), -distance

    return max(candidates, key=key)


def _compare(name: str, test, defaults: FusionWeights, best: FusionWeights) -> dict[str, object]:  # type: ignore[no-untyped-def]
    now, tuned = scores(_fused_ranks(test, defaults)), scores(_fused_ranks(test, best))
    return {
        "set": name,
        "tuned_default": best.default,
        "tuned_exact": best.exact,
        "test_questions": len(test),
        "current_hit@1": now["hit@1"],
        "current_mrr@10": now["mrr@10"],
        "tuned_hit@1": tuned["hit@1"],
        "tuned_mrr@10": tuned["mrr@10"],
    }
