"""Search as the channels see it: cited hits with the document title and clause label."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from pydantic import BaseModel

from assistant.models import where_cited
from assistant.routing import Levels
from retrieval.search import Mode, Searcher, SearchFilter, SearchHit, distinct

# Without a level asked for, the county's own texts rank first: another level's hit counts this
# much of its score (and a law's, for a question about the law, all of it).
OTHER_LEVEL_PRIOR = 0.5
# A hit of the preferred level sharing this share of the query's terms goes before the others.
RELEVANT_COVERAGE = 0.2


class Hit(BaseModel):
    document: str
    clause: str
    heading: str
    text: str
    score: float
    source_id: str
    responsibility: str = ""
    level: str = ""
    verified: bool = True  # false: not in the sources manifest (officials' search only)

    @property
    def where(self) -> str:
        return where_cited(self.document, self.clause, verified=self.verified)


class SearchService:
    def __init__(
        self,
        searcher: Searcher,
        *,
        county: str | None = None,
        levels: Callable[[], Levels] = Levels,
    ) -> None:
        """``levels``: the manifest's texts as answers see them, read when it changes."""
        self._searcher = searcher
        self._county = county
        self._levels = levels

    def chunk_count(self) -> int:
        return self._searcher.chunk_count()

    def search(
        self,
        query: str,
        *,
        k: int = 5,
        source_id: str | None = None,
        level: str | None = None,
        clause_prefix: str | None = None,
        include_guides: bool = False,
        county: str | None = None,
        unverified: bool = False,
        mode: Mode = "hybrid",
    ) -> list[Hit]:
        """Official documents by default; ``include_guides`` adds our plain-language guides;
        ``unverified`` (officials only) files the manifest does not list, marked so.
        ``county`` (default: the deployment's) scopes county-level documents. Unless a level or
        a document is asked for, the county's texts come first for a county question, the laws
        for a question about the law, the nation's or the province's when the query names them."""
        filters = SearchFilter(
            source_id=source_id,
            level=level,
            clause_prefix=clause_prefix,
            kinds=None if include_guides else ("policy",),
            county=county or self._county,
            unverified=unverified,
        )
        return [
            Hit(
                document=h.chunk.document,
                clause=h.chunk.clause,
                heading=h.chunk.heading,
                text=h.shown,
                score=round(h.score, 4),
                source_id=h.chunk.source_id,
                responsibility=h.chunk.responsibility,
                level=h.chunk.level,
                verified=h.chunk.verified,
            )
            for h in self._ranked(query, k, filters, mode)
        ]

    def _ranked(self, query: str, k: int, filters: SearchFilter, mode: Mode) -> list[SearchHit]:
        if filters.level or filters.source_id:
            hits = self._searcher.search(query, k=2 * k, filters=filters, mode=mode)
            return distinct(hits, k=k)
        scope = self._levels().scope.of(query)
        preferred = {"law": "国家", None: "县"}.get(scope, scope)
        first = list(
            self._searcher.search(query, k=k, filters=replace(filters, level=preferred), mode=mode)
        )
        hits = self._searcher.search(query, k=max(4 * k, 20), filters=filters, mode=mode)
        relevant = [h for h in first if h.coverage >= RELEVANT_COVERAGE]
        rest = sorted(
            (h for h in hits if h not in relevant),
            key=lambda h: -h.score * (1.0 if h.chunk.level == preferred else OTHER_LEVEL_PRIOR),
        )
        # a text the preferred level quotes from another (or the other way round), or one an
        # earlier window shows, is shown once, where it ranks first
        return distinct(relevant + rest, k=k)
