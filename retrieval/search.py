"""Hybrid search over the current index generation: jieba BM25 plus dense vectors, fused.

Holds the BM25 matrix and the Chroma handle warm; reloads when another process publishes a new
generation (checked at most every ``refresh_seconds``).

A Chroma server that cannot be reached does not stop search: the loaded generation keeps
serving, BM25 only (the chunks and their tokens are in memory), and the results say so
(``SearchResults.degraded``). Only a process that never loaded an index has nothing to serve
(``IndexUnavailable``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Literal

import bm25s
import numpy as np
from chromadb.errors import NotFoundError

from retrieval.context import ClauseScores
from retrieval.embedding import CachedEmbedder
from retrieval.fusion import FusionWeights, HandFusion, Ranker, feature_rows, is_exact
from retrieval.store import CHROMA_UNREACHABLE, ChunkStore, StoredChunk
from retrieval.tokenizer import Tokenizer
from retrieval.window import Seen, answer_window

logger = logging.getLogger(__name__)

Mode = Literal["hybrid", "bm25", "dense"]
# A question is short; the embedder's cost grows with the text, so a pasted page would hold a
# worker for minutes. The rest of a longer query is ignored.
MAX_QUERY_CHARS = 500
# a filter keeping this many chunks or fewer is sent to Chroma as their ids, not as metadata
_IDS_FILTER_MAX = 20_000


@dataclass(frozen=True)
class SearchFilter:
    """Restricts a search: a document (source id), a level (国家/省/市/县), a clause prefix,
    kinds of document (policy texts, guides), and a county: its own documents plus the national,
    provincial and city ones every county shares. Files the sources manifest does not list
    (ingested by path, nobody has checked them) are left out unless ``unverified`` (officials)."""

    source_id: str | None = None
    level: str | None = None
    clause_prefix: str | None = None
    kinds: tuple[str, ...] | None = None
    county: str | None = None
    source_ids: tuple[str, ...] | None = None  # any of these documents
    unverified: bool = False

    def where(self) -> dict | None:
        terms: list[dict] = [
            {key: value}
            for key, value in (("source_id", self.source_id), ("level", self.level))
            if value
        ]
        if self.source_ids is not None:
            terms.append({"source_id": {"$in": list(self.source_ids)}})
        if self.kinds is not None:
            terms.append({"kind": {"$in": list(self.kinds)}})
        if self.county:
            # a county document that names no jurisdiction is not scoped
            terms.append(
                {"$or": [{"level": {"$ne": "县"}}, {"jurisdiction": {"$in": [self.county, ""]}}]}
            )
        # not ``verified``: an older index's chunks lack the field; the mask leaves the unverified
        # out of what Chroma returns (see ``Searcher._dense``)
        if not terms:
            return None
        return terms[0] if len(terms) == 1 else {"$and": terms}

    def admits(self, chunk: StoredChunk) -> bool:
        return (
            (not self.source_id or chunk.source_id == self.source_id)
            and (self.source_ids is None or chunk.source_id in self.source_ids)
            and (not self.level or chunk.level == self.level)
            and (not self.clause_prefix or chunk.clause.startswith(self.clause_prefix))
            and (self.kinds is None or chunk.kind in self.kinds)
            and (not self.county or chunk.level != "县" or chunk.jurisdiction in (self.county, ""))
            and (self.unverified or chunk.verified)
        )


_EVERYTHING = SearchFilter(unverified=True)


@dataclass(frozen=True)
class SearchHit:
    """A chunk, its fused rank score, and absolute evidence signals for answer gating:
    ``similarity`` (dense cosine, 0 when not among the dense candidates) and ``coverage`` (share
    of the query's terms that occur in the chunk). ``shown``: what to show and quote, the chunk
    grown by the sentences around it inside its clause (``retrieval.window``)."""

    chunk: StoredChunk
    score: float
    similarity: float = 0.0
    coverage: float = 0.0
    shown: str = ""


@dataclass(frozen=True)
class Candidates:
    """What hybrid search fuses for one query: the union of both lists, one row of
    ``retrieval.fusion.FEATURES`` per chunk (for training and evaluating rankers)."""

    chunks: list[StoredChunk]
    shown: list[str]  # each chunk's window
    rows: np.ndarray
    exact: bool


class SearchResults(list[SearchHit]):
    """Hits, best first. ``degraded``: the vector store could not be reached, BM25 ranked alone."""

    degraded: bool = False

    def reordered(self, hits: Iterable[SearchHit]) -> SearchResults:
        """Other hits (these reranked, or joined by more) from the same search, flag kept."""
        results = SearchResults(hits)
        results.degraded = self.degraded
        return results


@dataclass(frozen=True)
class _Lists:
    """One query's BM25 and dense candidates (chunk position -> score)."""

    mode: Mode  # "bm25" when the dense list could not be had
    bm25: dict[int, float]
    dense: dict[int, float]
    tokens: list[str]
    vector: np.ndarray | None  # the query's embedding, when the dense list was asked for
    exact: bool
    degraded: bool

    @cached_property
    def terms(self) -> set[str]:
        return set(self.tokens)


def _share(terms: set[str], found: Iterable[str]) -> float:
    """The share of the query's terms among ``found``."""
    return len(terms.intersection(found)) / len(terms) if terms else 0.0


def distinct(hits: Iterable[SearchHit], *, k: int) -> list[SearchHit]:
    """The first ``k`` of ``hits`` that each show something the ones above them did not: a chunk
    an earlier hit's window holds, all but a few words (the next chunk of the same clause, a
    national sentence a provincial plan quotes), adds nothing."""
    seen, out = Seen(), []
    for hit in hits:
        if len(out) == k:
            break
        if not seen.adds_nothing(hit.chunk.text):
            seen.add(hit.shown)
            out.append(hit)
    return out


class IndexNotReady(RuntimeError):
    """No index generation has been published yet (run ``policyqa ingest``)."""


class IndexUnavailable(RuntimeError):
    """The Chroma server cannot be reached and this process has no index loaded yet."""


class _Loaded:
    """One generation held in memory."""

    def __init__(self, store: ChunkStore, generation: str) -> None:
        self.generation = generation
        self.chunks = store.load(generation)
        self.position = {c.id: i for i, c in enumerate(self.chunks)}
        self.collection = store.collection(generation)
        self.bm25 = bm25s.BM25()
        if self.chunks:
            self.bm25.index([list(c.tokens) or [""] for c in self.chunks], show_progress=False)
        self.context = ClauseScores(
            self.chunks, store.vectors(generation, [c.id for c in self.chunks])
        )
        self._masks: dict[SearchFilter, np.ndarray] = {}
        self._ids: dict[SearchFilter, list[str]] = {}
        self.clauses: dict[tuple[str, str], list[str]] = {}
        self.ordinal: list[int] = []  # each chunk's place in its clause
        for chunk in self.chunks:  # in document order (ids are numbered)
            pieces = self.clauses.setdefault((chunk.source_id, chunk.clause), [])
            self.ordinal.append(len(pieces))
            pieces.append(chunk.text)

    def window(self, pos: int) -> str:
        chunk = self.chunks[pos]
        return answer_window(self.clauses[(chunk.source_id, chunk.clause)], self.ordinal[pos])

    def mask(self, filters: SearchFilter) -> np.ndarray:
        """Which chunks ``filters`` admits; computed once per filter (a pass over every chunk)."""
        found = self._masks.get(filters)
        if found is None:
            found = np.fromiter(
                (filters.admits(c) for c in self.chunks), dtype=bool, count=len(self.chunks)
            )
            self._masks[filters] = found
        return found

    def ids(self, filters: SearchFilter) -> list[str]:
        """The ids of the chunks ``filters`` admits, as Chroma is given them; computed once."""
        found = self._ids.get(filters)
        if found is None:
            found = [self.chunks[p].id for p in np.flatnonzero(self.mask(filters))]
            self._ids[filters] = found
        return found


class Searcher:
    def __init__(
        self,
        store: ChunkStore,
        tokenizer: Tokenizer,
        embedder: CachedEmbedder,
        *,
        weights: FusionWeights | None = None,
        ranker: Ranker | None = None,
        candidates: int = 50,
        refresh_seconds: float = 2.0,
    ) -> None:
        self._store = store
        self._tokenizer = tokenizer
        self._embedder = embedder
        # the learned model when one is given, else the hand-set weights
        self._ranker: Ranker = ranker or HandFusion(weights)
        self._candidates = candidates
        self._refresh_seconds = refresh_seconds
        self._loaded: _Loaded | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def generation(self) -> str:
        """The index generation being served; changes with every ingest that changed it."""
        return self._current().generation

    def chunk_count(self) -> int:
        """Chunks in the current generation; raises IndexNotReady before the first ingest."""
        return len(self._current().chunks)

    def _current(self, *, force: bool = False) -> _Loaded:
        now = time.monotonic()
        if (
            not force
            and self._loaded is not None
            and now - self._checked_at < self._refresh_seconds
        ):
            return self._loaded
        with self._lock:
            self._checked_at = now
            try:
                state = self._store.state()
                if state is None:
                    raise IndexNotReady("index is empty: run `policyqa ingest` first")
                if self._loaded is None or self._loaded.generation != state.generation:
                    logger.info("loading index generation %s", state.generation)
                    self._loaded = _Loaded(self._store, state.generation)
            except CHROMA_UNREACHABLE as exc:
                if self._loaded is None or force:
                    raise IndexUnavailable(f"Chroma server unreachable: {exc}") from exc
                logger.warning("Chroma unreachable (%s): serving the loaded index", exc)
            return self._loaded

    def clause_text(self, source_id: str, clause: str) -> str:
        """A clause's whole text, all its chunks in order ("" when the index has none)."""
        return "\n".join(self._current().clauses.get((source_id, clause), []))

    def search(
        self,
        query: str,
        *,
        k: int = 5,
        filters: SearchFilter | None = None,
        mode: Mode = "hybrid",
    ) -> SearchResults:
        """The ``k`` best chunks (answers quote them); ``distinct`` keeps those whose windows,
        shown to a reader, each say something new."""
        try:
            return self._search(self._current(), query, k, filters or SearchFilter(), mode)
        except NotFoundError:
            # Another ingest published a new generation and dropped ours since the last check.
            return self._search(
                self._current(force=True), query, k, filters or SearchFilter(), mode
            )

    def candidates(self, query: str, *, filters: SearchFilter | None = None) -> Candidates:
        """Hybrid's candidates for ``query`` and their features, before ranking."""
        index = self._current()
        lists = self._lists(index, query, filters or SearchFilter(), "hybrid")
        keys = sorted(lists.bm25.keys() | lists.dense.keys())
        rows = self._rows(index, keys, lists)
        return Candidates(
            [index.chunks[p] for p in keys], [index.window(p) for p in keys], rows, lists.exact
        )

    def _lists(self, index: _Loaded, query: str, filters: SearchFilter, mode: Mode) -> _Lists:
        query = self._tokenizer.expand(query[:MAX_QUERY_CHARS])
        tokens = self._tokenizer.tokens(query)
        degraded = False
        dense: dict[int, float] = {}
        vector: np.ndarray | None = None
        if mode != "bm25":
            vector = self._embedder.embed_query(self._tokenizer.canonical(query))
            try:
                dense = self._dense(index, vector, filters)
            except CHROMA_UNREACHABLE as exc:
                logger.warning("Chroma unreachable (%s): BM25 only", exc)
                degraded, mode = True, "bm25"
        bm25 = self._bm25(index, tokens, filters) if mode != "dense" else {}
        exact = is_exact(query, departments=self._tokenizer.departments(query))
        return _Lists(mode, bm25, dense, tokens, vector, exact, degraded)

    def _rows(self, index: _Loaded, keys: list[int], lists: _Lists) -> np.ndarray:
        """Hybrid's features (both lists were had: ``lists.vector`` is there)."""
        assert lists.vector is not None
        terms = lists.terms
        chunks = [index.chunks[p] for p in keys]
        return feature_rows(
            keys,
            bm25=lists.bm25,
            dense=lists.dense,
            coverage=[_share(terms, c.tokens) for c in chunks],
            lengths=[len(c.text) for c in chunks],
            exact=lists.exact,
            clauses=index.context.scores(lists.tokens, lists.vector, index.context.of[keys]),
        )

    def _search(
        self, index: _Loaded, query: str, k: int, filters: SearchFilter, mode: Mode
    ) -> SearchResults:
        if not index.chunks or not query.strip():
            return SearchResults()
        lists = self._lists(index, query, filters, mode)
        if lists.mode == "hybrid":
            keys = sorted(lists.bm25.keys() | lists.dense.keys())
            fused = self._ranker.scores(self._rows(index, keys, lists), exact=lists.exact)
            scores = dict(zip(keys, fused.tolist(), strict=True))
        else:
            scores = lists.bm25 or lists.dense
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]
        results = SearchResults(
            SearchHit(
                index.chunks[pos],
                float(score),
                similarity=lists.dense.get(pos, 0.0),
                coverage=_share(lists.terms, index.chunks[pos].tokens),
                shown=index.window(pos),
            )
            for pos, score in ranked
        )
        results.degraded = lists.degraded
        return results

    def _bm25(self, index: _Loaded, tokens: list[str], filters: SearchFilter) -> dict[int, float]:
        if not tokens:
            return {}
        scores = index.bm25.get_scores(tokens)
        if filters != _EVERYTHING:
            scores = scores * index.mask(filters)
        top = np.argsort(-scores)[: self._candidates]
        return {int(i): float(scores[i]) for i in top if scores[i] > 0}

    def _dense(self, index: _Loaded, vector: np.ndarray, filters: SearchFilter) -> dict[int, float]:
        wanted = self._candidates * (4 if filters.clause_prefix else 1)
        scope = replace(filters, clause_prefix=None)  # what ``where()`` expresses
        inside = index.mask(scope)
        outside = len(index.chunks) - int(inside.sum())
        # Chroma evaluates a metadata filter against the whole collection: ~10 ms at 3k chunks,
        # 30–50 at 10k. When the filter leaves out only a few chunks (the guides, say), asking
        # for that many more without it and dropping them here is faster and loses nothing; the
        # wider search also brings the approximate (HNSW) list closer to the exact one.
        # Otherwise naming the chunks it keeps by id costs 2–5 ms, even 7,000 of 10,000 (the
        # county's documents of the latency bench): the mask already says which they are.
        ids: list[str] | None = None
        where = None
        if outside <= wanted:
            k = max(wanted + outside, 3 * wanted)
        elif len(index.chunks) - outside <= _IDS_FILTER_MAX:
            k, ids = wanted, index.ids(scope)
        else:
            k, where = wanted, scope.where()
        if ids == []:
            return {}
        # ids and distances only: fetching 150 documents and their metadata would cost more
        # than the search itself (the chunks are in memory already)
        found = index.collection.query(
            query_embeddings=[vector.tolist()],
            n_results=min(k, len(index.chunks)),
            ids=ids,
            where=where,
            include=["distances"],
        )
        out: dict[int, float] = {}
        taken = 0
        for chunk_id, distance in zip(found["ids"][0], found["distances"][0], strict=True):  # type: ignore[index]
            pos = index.position.get(chunk_id)
            if pos is None or not inside[pos]:
                continue
            taken += 1
            if taken > wanted:
                break
            if filters.admits(index.chunks[pos]):
                out[pos] = 1.0 - float(distance)
        return out
