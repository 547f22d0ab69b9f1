"""Incremental, crash-safe ingestion of documents into a new index generation.

A document whose content hash is unchanged is carried over without re-embedding; a changed one
is re-parsed and replaced; a file that cannot be read is reported and leaves its previous
version in place. Nothing is visible to searches until the new generation is published.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from tqdm import tqdm

from retrieval.chunking import chunk_document
from retrieval.clauses import ParsedDocument, parse_clauses
from retrieval.embedding import CachedEmbedder
from retrieval.loaders import DocumentError, Ocr, ReadLimits, ReadResult, read_document
from retrieval.sources import Source
from retrieval.store import CatalogState, ChunkStore, DocumentEntry, StoredChunk
from retrieval.tokenizer import Tokenizer

logger = logging.getLogger(__name__)

# Bump when parsing or chunking changes, so that unchanged files are indexed again.
PIPELINE_VERSION = "5"


@dataclass(frozen=True)
class IngestItem:
    path: Path
    source: Source
    # false: the sources manifest does not list the file; searched by officials only, marked so
    verified: bool = True


@dataclass
class IngestReport:
    documents: int = 0
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    clauses: int = 0
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"入库完成：文档 {self.documents} 篇（更新 {len(self.updated)}，未变 {len(self.unchanged)}，"
            f"失败 {len(self.failed)}），条款 {self.clauses} 条，分块 {self.chunks} 个，"
            f"新向量 {self.embedded} 个，用时 {self.seconds:.1f} 秒"
        )


@dataclass(frozen=True)
class _Prepared:
    entry: DocumentEntry
    chunks: list[StoredChunk]
    indexed_texts: list[str]


def parse_source(blocks: list[str], source: Source) -> ParsedDocument:
    """The clause tree of a document, titled by the manifest, else its title line, else its id."""
    document = parse_clauses(blocks, title=source.title)
    return replace(document, title=document.title or source.id)


class Ingestor:
    def __init__(
        self,
        store: ChunkStore,
        tokenizer: Tokenizer,
        embedder: CachedEmbedder,
        *,
        chunk_chars: int,
        read_limits: ReadLimits | None = None,
        ocr_cache: Path | None = None,
        ocr: Ocr | None = None,
    ) -> None:
        self._store = store
        self._tokenizer = tokenizer
        self._embedder = embedder
        self._chunk_chars = chunk_chars
        self._read_limits = read_limits
        self._ocr_cache = ocr_cache
        self._ocr = ocr

    def ingest(self, items: Sequence[IngestItem], *, progress: bool = False) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        state = self._store.state()
        current = dict(state.documents) if state else {}
        prepared: dict[str, _Prepared] = {}
        for item in items:
            try:
                blocks = self.read(item.path, progress=progress).blocks
            except DocumentError as exc:
                logger.warning("skipping %s: %s", item.path, exc)
                report.failed.append((str(item.path), str(exc)))
                continue
            digest = self._hash(item, blocks)
            old = current.get(item.source.id)
            if old is not None and old.content_hash == digest:
                report.unchanged.append(item.source.id)
                continue
            prepared[item.source.id] = self._prepare(item, blocks, digest)
            report.updated.append(item.source.id)

        if prepared:
            self._publish(state, current, prepared, report, progress=progress)
        final = {**current, **{sid: p.entry for sid, p in prepared.items()}}
        report.documents = len(final)
        report.clauses = sum(e.clauses for e in final.values())
        report.chunks = sum(e.chunks for e in final.values())
        report.seconds = time.perf_counter() - started
        return report

    def write_seeds(self, items: Sequence[IngestItem], folder: Path) -> tuple[Path, int]:
        """Write the vectors of every chunk of ``items`` as a seed file shipped with the corpus,
        named after the embedding model."""
        texts = [
            text
            for item in items
            for text in self._prepare(item, self.read(item.path).blocks, "").indexed_texts
        ]
        path = folder / f"{self._embedder.name.replace('/', '_')}.npz"
        return path, self._embedder.write_seeds(path, texts)

    def read(self, path: Path, *, progress: bool = False) -> ReadResult:
        """A document as read with this ingestor's limits and OCR cache (its blocks, which came
        from OCR); with ``progress``, a bar per page while scanned pages are recognised."""
        bar: tqdm | None = None

        def on_page(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = tqdm(
                    total=total, desc=f"文字识别 {path.name}", unit="页", disable=not progress
                )
            bar.update(done - bar.n)

        try:
            return read_document(
                path,
                limits=self._read_limits,
                ocr_cache=self._ocr_cache,
                on_page=on_page,
                ocr=self._ocr,
            )
        finally:
            if bar is not None:
                bar.close()

    def unverified(self) -> set[str]:
        """The indexed documents that were ingested without a manifest entry."""
        state = self._store.state()
        return {sid for sid, e in (state.documents if state else {}).items() if not e.verified}

    def remove(self, source_ids: Sequence[str]) -> list[str]:
        """Drop documents from the index: a new generation without them, published in one step."""
        state = self._store.state()
        current = dict(state.documents) if state else {}
        gone = [sid for sid in dict.fromkeys(source_ids) if sid in current]
        if state is None or not gone:
            return []
        generation = self._store.new_generation()
        kept = {sid: entry for sid, entry in current.items() if sid not in gone}
        self._store.copy_documents(state.generation, generation, list(kept))
        self._store.add(generation, [], [])  # the collection exists even when nothing is kept
        self._store.publish(CatalogState(generation=generation, documents=kept))
        return gone

    def _hash(self, item: IngestItem, blocks: list[str]) -> str:
        # a listed file hashes as it always did: only the unverified are indexed again
        unlisted = "" if item.verified else "|unverified"
        digest = hashlib.sha256(
            f"{PIPELINE_VERSION}|{self._chunk_chars}|{item.source!r}{unlisted}".encode()
        )
        for block in blocks:
            digest.update(block.encode("utf-8") + b"\n")
        return digest.hexdigest()

    def _prepare(self, item: IngestItem, blocks: list[str], digest: str) -> _Prepared:
        source = item.source
        document = parse_source(blocks, source)
        title = document.title
        pieces = chunk_document(document, max_chars=self._chunk_chars)
        chunks = [
            StoredChunk(
                id=f"{source.id}:{n:05d}",
                source_id=source.id,
                document=title,
                kind=source.kind,
                level=source.level,
                jurisdiction=source.jurisdiction,
                clause=piece.clause,
                title=piece.title,
                heading=piece.heading,
                text=piece.text,
                responsibility=piece.responsibility,
                tokens=tuple(self._tokenizer.tokens(piece.indexed_text)),
                verified=item.verified,
            )
            for n, piece in enumerate(pieces)
        ]
        entry = DocumentEntry(
            source_id=source.id,
            title=title,
            content_hash=digest,
            clauses=sum(1 for _ in document.walk()),
            chunks=len(chunks),
            verified=item.verified,
        )
        return _Prepared(entry, chunks, [p.indexed_text for p in pieces])

    def _publish(
        self,
        state: CatalogState | None,
        current: dict[str, DocumentEntry],
        prepared: dict[str, _Prepared],
        report: IngestReport,
        *,
        progress: bool,
    ) -> None:
        generation = self._store.new_generation()
        kept = [sid for sid in current if sid not in prepared]
        if state is not None:
            self._store.copy_documents(state.generation, generation, kept)
        texts = [t for p in prepared.values() for t in p.indexed_texts]
        todo = self._embedder.missing(texts)
        report.embedded = len(todo)
        with tqdm(total=len(todo), desc="向量化", unit="块", disable=not progress) as bar:
            self._embedder.embed_passages(texts, progress=bar.update)
        chunks = [c for p in prepared.values() for c in p.chunks]
        self._store.add(generation, chunks, texts)
        documents = {**current, **{sid: p.entry for sid, p in prepared.items()}}
        self._store.publish(CatalogState(generation=generation, documents=documents))
