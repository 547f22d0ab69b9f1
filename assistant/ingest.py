"""Ingest as the office runs it: files or folders, matched to the corpus manifest."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from retrieval.ingest import IngestItem, Ingestor, IngestReport
from retrieval.loaders import SUPPORTED_SUFFIXES
from retrieval.sources import Source, load_sources, source_for_file


class UnknownSource(ValueError):
    """``--source-id`` names no manifest entry."""


class IngestService:
    def __init__(self, ingestor: Ingestor, *, corpus_dir: Path, manifest: Path) -> None:
        self._ingestor = ingestor
        self._corpus_dir = corpus_dir
        self._manifest = manifest

    def sources(self) -> dict[str, Source]:
        return load_sources(self._manifest)

    def ingest(
        self,
        paths: list[Path] | None = None,
        *,
        source_id: str | None = None,
        progress: bool = False,
    ) -> IngestReport:
        """Ingest ``paths`` (default: every manifest entry that has a file)."""
        sources = self.sources()
        if source_id is not None and source_id not in sources:
            known = "、".join(sources) or "（清单为空）"
            raise UnknownSource(f"来源清单中没有 {source_id}；已有：{known}")
        if not paths:
            items = [IngestItem(self._corpus_dir / s.file, s) for s in sources.values() if s.file]
        else:
            files = [f for p in paths for f in _expand(p)]
            items = [
                IngestItem(
                    f,
                    sources[source_id]
                    if source_id
                    else source_for_file(f, sources, self._corpus_dir),
                )
                for f in files
            ]
            if source_id and len(items) == 1:
                items = [
                    IngestItem(items[0].path, replace(sources[source_id], file=str(items[0].path)))
                ]
        return self._ingestor.ingest(items, progress=progress)


def _expand(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix.lower() in SUPPORTED_SUFFIXES)
    return [path]
