"""Each chunk's context: its whole clause, scored against the query next to the chunk itself.

A question often names what its chunk does not: “湘潭受疫情影响的中小型企业的税收问题政府有什么措施”
has 湘潭 in the notice's first line, not in the sentence on tax relief, and a dozen other
cities' notices have a sentence much like it. Each clause is therefore scored as one text by
both lists: BM25 over the tokens of all its chunks, and the cosine of the query with the mean
of their vectors. A text without numbered clauses (a notice, a news item) is one clause, so
its whole text counts; a plan's clause is a few chunks on one task. Fusion mixes the two as it
mixes the chunk's own scores (``retrieval.fusion``), so a clause of one chunk says nothing its
chunk did not.
"""

from __future__ import annotations

from collections.abc import Sequence

import bm25s
import numpy as np

from retrieval.store import StoredChunk


class ClauseScores:
    """The clauses of one index generation; ``of[i]``: the clause (row) of chunk ``i``."""

    def __init__(self, chunks: Sequence[StoredChunk], vectors: np.ndarray) -> None:
        """``vectors``: one row per chunk, in the order of ``chunks``."""
        keys = [(c.source_id, c.clause) for c in chunks]
        rows = {key: i for i, key in enumerate(dict.fromkeys(keys))}
        self.of = np.array([rows[key] for key in keys], dtype=np.int64)
        tokens: list[list[str]] = [[] for _ in rows]
        for chunk, row in zip(chunks, self.of, strict=True):
            tokens[row].extend(chunk.tokens)
        self._bm25 = bm25s.BM25()
        if rows:
            self._bm25.index([t or [""] for t in tokens], show_progress=False)
        sums = np.zeros((len(rows), vectors.shape[1]), np.float32)
        np.add.at(sums, self.of, vectors)
        self._centroids = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)

    def scores(
        self, tokens: Sequence[str], vector: np.ndarray, rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The BM25 score for ``tokens`` and the cosine similarity with ``vector`` of the clauses
        ``rows``. The similarity is taken for those only, without BLAS: a product over every
        clause woke BLAS's threads, which then held the cores the next query's encoding needed
        (search p95 at 10k chunks 130 ms, against ~30 ms now)."""
        bm25 = self._bm25.get_scores(list(tokens))[rows] if tokens else np.zeros(len(rows))
        return bm25, (self._centroids[rows] * vector).sum(axis=1)
