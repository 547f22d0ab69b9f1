"""Search as the channels see it: cited hits with the document title and clause label."""

from __future__ import annotations

from pydantic import BaseModel

from retrieval.search import Searcher, SearchFilter


class Hit(BaseModel):
    document: str
    clause: str
    heading: str
    text: str
    score: float
    source_id: str
    responsibility: str = ""


class SearchService:
    def __init__(self, searcher: Searcher, *, county: str | None = None) -> None:
        self._searcher = searcher
        self._county = county

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
    ) -> list[Hit]:
        """Official documents by default; ``include_guides`` adds our plain-language guides.
        ``county`` (default: the deployment's) scopes county-level documents."""
        filters = SearchFilter(
            source_id=source_id,
            level=level,
            clause_prefix=clause_prefix,
            kinds=None if include_guides else ("policy",),
            county=county or self._county,
        )
        return [
            Hit(
                document=h.chunk.document,
                clause=h.chunk.clause,
                heading=h.chunk.heading,
                text=h.chunk.text,
                score=round(h.score, 4),
                source_id=h.chunk.source_id,
                responsibility=h.chunk.responsibility,
            )
            for h in self._searcher.search(query, k=k, filters=filters)
        ]
