"""Warm single-process latency of ``search`` and ``ask`` (no LLM), as the channels call them.

Two passes over the same questions: one with the query-embedding and answer caches emptied
before every question (each pays the e5 query encoding and the whole answer, as a new question
does), one timing the second asking of each question (its embedding cached, and for ``ask`` its
answer, as for a repeated question).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from assistant.services import Services
from bench.metrics import percentiles
from bench.stack import clear_query_cache

WARMUP = 10


def _timed(
    call: Callable[[str, str], object],
    questions: Sequence[tuple[str, str]],
    *,
    clear: Callable[[], None] | None = None,
    repeat: bool = False,
) -> list[float]:
    out = []
    for question, audience in questions:
        if clear is not None:
            clear()
        if repeat:
            call(question, audience)
        started = time.perf_counter()
        call(question, audience)
        out.append(time.perf_counter() - started)
    return out


def measure(
    services: Services, questions: Sequence[tuple[str, str]], *, size: str, chunks: int
) -> list[dict[str, object]]:
    def clear() -> None:
        clear_query_cache(services)

    def search(q: str, _: str) -> object:
        return services.search.search(q, k=5)

    def ask(q: str, audience: str) -> object:
        return services.answers.ask(q, audience=audience)  # type: ignore[arg-type]

    rows = []
    for name, call in (("search", search), ("ask", ask)):
        _timed(call, [(f"预热{n} {q}", a) for n, (q, a) in enumerate(questions[:WARMUP])])
        new = _timed(call, questions, clear=clear)
        repeated = _timed(call, questions, repeat=True)
        for query, seconds in (("new question", new), ("repeated question", repeated)):
            rows.append(
                {
                    "index": size,
                    "chunks": chunks,
                    "call": name,
                    "query": query,
                    **percentiles(seconds),
                }
            )
    return rows
