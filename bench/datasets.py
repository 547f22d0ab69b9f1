"""The evaluation sets: our dev questions over the plan, and the external sets read in place.

External data stays in ``../shared/eval/`` (licences forbid copying it into the repository); it
is read with that folder's own ``loaders.py``, imported by path. Each external set is cut to a
seeded sample of passages: the passage ids are shuffled with ``SEED`` and the shortest prefix
holding at least ``min_questions`` answerable questions is kept, so a quick sample is a prefix
of the full one and reuses its cached embeddings.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Literal

from retrieval.sources import Source

REPO = Path(__file__).resolve().parents[1]
EVAL_DIR = REPO.parent / "shared" / "eval"
DEV_QUESTIONS = REPO / "tests" / "data" / "dev_questions.tsv"
ANSWER_CASES = REPO / "tests" / "data" / "answer_questions.toml"
PLAN_SOURCE = "xiangyin-plan"
SEED = 2018

# passage: any chunk of a gold passage hits; chunk: the chunk must hold a whole answer span;
# clause: the dev set, gold = clause labels of the plan.
Level = Literal["passage", "chunk", "clause"]


@dataclass(frozen=True)
class Question:
    text: str
    gold: frozenset[str]  # passage ids
    # chunk level: answer spans (passage id, start, end); clause level: the gold clauses' spans
    spans: tuple[tuple[str, int, int], ...] = ()
    clauses: frozenset[str] = frozenset()  # clause level: gold labels in our index
    style: str = ""


@dataclass
class EvalSet:
    name: str
    description: str
    level: Level
    passages: dict[str, str]  # id -> text, in sample order
    questions: list[Question]
    order: list[str] = field(default_factory=list)  # every passage id of the set, shuffled
    pool: dict[str, str] = field(default_factory=dict, repr=False)  # every passage of the set
    total_passages: int = 0
    total_questions: int = 0

    def sample_note(self) -> str:
        return (
            f"{len(self.passages)}/{self.total_passages} passages (seed {SEED}), "
            f"{len(self.questions)}/{self.total_questions} questions"
        )


def _loaders() -> ModuleType:
    spec = importlib.util.spec_from_file_location("shared_eval_loaders", EVAL_DIR / "loaders.py")
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot import {EVAL_DIR / 'loaders.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- raw sets: (passages, questions) over all passages ------------------------------------------
def _squad(path: Path, prefix: str) -> tuple[dict[str, str], list[Question]]:
    """SQuAD-style JSON with answer spans (CMRC 2018, DRCD); ids are renamed ``prefix-n``."""
    data = json.loads(path.read_text("utf-8"))
    paragraphs = [p for article in data["data"] for p in article["paragraphs"]]
    passages, questions = {}, []
    for n, paragraph in enumerate(paragraphs):
        pid, context = f"{prefix}-{n:05d}", paragraph["context"]
        passages[pid] = context
        for qa in paragraph["qas"]:
            spans = tuple(
                (pid, a["answer_start"], a["answer_start"] + len(a["text"]))
                for a in qa["answers"]
                if a["text"] and context[a["answer_start"] :].startswith(a["text"])
            )
            questions.append(Question(qa["question"], frozenset([pid]), spans=spans))
    return passages, questions


def _webqa(loaders: ModuleType) -> tuple[dict[str, str], list[Question]]:
    raw_passages, raw_questions = loaders.webqa()
    passages = {f"webqa-{i:05d}": text for i, text in raw_passages.items()}
    questions = [
        Question(text, frozenset(f"webqa-{i:05d}" for i in gold)) for text, gold in raw_questions
    ]
    return passages, questions


def _ncp(loaders: ModuleType) -> tuple[dict[str, str], list[Question]]:
    """Gold span = the first verbatim occurrence of the answer, as ``ncp_policies_chunked``."""
    docs, _ = loaders.ncp_policies()
    names = {docid: f"ncp-{n:04d}" for n, docid in enumerate(docs)}
    passages = {names[d]: text for d, text in docs.items()}
    folder = EVAL_DIR / "ncppolicies"
    with (folder / "NCPPolicies_train_20200301.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    questions = []
    for row in rows:
        text, answer = docs.get(row["docid"]), row["answer"].strip()
        if not text:
            continue
        start = text.find(answer) if answer else -1
        pid = names[row["docid"]]
        spans = ((pid, start, start + len(answer)),) if start >= 0 else ()
        questions.append(Question(row["question"], frozenset([pid]), spans=spans))
    return passages, questions


# -- sampling ------------------------------------------------------------------------------------
def _sample(
    name: str,
    description: str,
    level: Level,
    passages: dict[str, str],
    questions: list[Question],
    *,
    min_questions: int,
) -> EvalSet:
    """Shortest seeded prefix of passages with ``min_questions`` answerable questions."""
    usable = [q for q in questions if q.spans] if level == "chunk" else list(questions)
    order = sorted(passages)
    random.Random(SEED).shuffle(order)
    by_passage: dict[str, list[int]] = {}
    for n, q in enumerate(usable):
        for pid in q.gold:
            by_passage.setdefault(pid, []).append(n)
    chosen: set[str] = set()
    kept: set[int] = set()
    for pid in order:
        if len(kept) >= min_questions:
            break
        chosen.add(pid)
        kept.update(by_passage.get(pid, ()))
    picked = [
        Question(
            q.text,
            q.gold & chosen,
            spans=tuple(s for s in q.spans if s[0] in chosen),
            style=q.style,
        )
        for n, q in enumerate(usable)
        if n in kept
    ]
    return EvalSet(
        name=name,
        description=description,
        level=level,
        passages={pid: passages[pid] for pid in order if pid in chosen},
        questions=picked,
        order=order,
        pool=passages,
        total_passages=len(passages),
        total_questions=len(usable),
    )


def external_sets(*, min_questions: int) -> list[EvalSet]:
    loaders = _loaders()
    return [
        _sample(
            "cmrc2018",
            "CMRC 2018 dev, Wikipedia paragraphs; gold = the chunk holding the answer span",
            "chunk",
            *_squad(EVAL_DIR / "cmrc2018_dev.json", "cmrc"),
            min_questions=min_questions,
        ),
        _sample(
            "ncp_policies",
            "NCPPolicies government notices; gold = the chunk holding the verbatim answer",
            "chunk",
            *_ncp(loaders),
            min_questions=min_questions,
        ),
        _sample(
            "drcd",
            "DRCD dev (Traditional Chinese); gold = any chunk of the gold paragraph",
            "passage",
            *_squad(EVAL_DIR / "DRCD_dev.json", "drcd"),
            min_questions=min_questions,
        ),
        _sample(
            "webqa",
            "WebQA test.ann, real search questions; gold = any chunk of an evidence passage",
            "passage",
            *_webqa(loaders),
            min_questions=min_questions,
        ),
    ]


# -- our own data ----------------------------------------------------------------------------------
def dev_questions() -> list[Question]:
    """tests/data/dev_questions.tsv: gold = clause label(s) of the plan, "|"-separated."""
    with DEV_QUESTIONS.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [
        Question(
            r["question"],
            frozenset([PLAN_SOURCE]),
            clauses=frozenset(r["clause"].split("|")),
            style=r["style"],
        )
        for r in rows
    ]


def ask_questions() -> list[tuple[str, str]]:
    """(question, audience) from the answer cases and the dev set, without repeats."""
    import tomllib

    cases = tomllib.loads(ANSWER_CASES.read_text("utf-8")).get("case", [])
    pairs = [(c["question"], c.get("audience", "official")) for c in cases]
    pairs += [(q.text, "public" if q.style == "public" else "official") for q in dev_questions()]
    return list(dict.fromkeys(pairs))


# -- files for our ingest pipeline -----------------------------------------------------------------
def write_passages(passages: dict[str, str], folder: Path) -> Iterator[tuple[Path, Source]]:
    """One text file per passage, headed by a neutral title line.

    Our parser takes a first short unnumbered line as the document title and leaves it out of the
    text; the title line keeps a short passage (most WebQA evidence) from being eaten that way.
    The title is not indexed, so it carries no information about the passage.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for pid, text in passages.items():
        path = folder / f"{pid}.txt"
        if not path.exists():
            path.write_text(f"{pid}\n{text}", "utf-8")
        yield path, Source(id=pid, title=pid)
