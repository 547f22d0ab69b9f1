"""Chunk storage in Chroma: one collection per index generation, and a catalog pointing at the
current one.

An ingest writes a whole new generation, then flips the catalog in one metadata update, so a
search never sees a half-built index and an ingest killed half-way leaves the previous one
serving. The catalog lives in Chroma itself, so every worker that shares a Chroma server sees the
same current generation. Chunks are written through langchain-chroma; searches ask the
collection for ids and distances only (the searcher holds the chunks in memory).

The client connects on first use, so a process starts while its Chroma server is down and
connects once it is back; ``CHROMA_UNREACHABLE`` is what a server that is down raises.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
import httpx
import numpy as np
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings

from retrieval.embedding import CachedEmbedder

logger = logging.getLogger(__name__)

_BATCH = 1000
# a Chroma server that is down, restarting or unreachable, through its HTTP client
CHROMA_UNREACHABLE = (httpx.TransportError, ConnectionError)


def make_chroma_client(*, url: str | None, path: Path) -> chromadb.ClientAPI:
    """An ``HttpClient`` for a Chroma server URL, else an embedded ``PersistentClient``."""
    settings = ChromaSettings(anonymized_telemetry=False)
    if url:
        parts = urlparse(url)
        try:
            return chromadb.HttpClient(
                host=parts.hostname or "127.0.0.1",
                port=parts.port or (443 if parts.scheme == "https" else 8000),
                ssl=parts.scheme == "https",
                settings=settings,
            )
        except ValueError as exc:  # what the client raises when its first request fails
            raise ConnectionError(f"Chroma server {url} unreachable: {exc}") from exc
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


@dataclass(frozen=True)
class StoredChunk:
    """One chunk as kept in the index, with the document facts a citation needs."""

    id: str
    source_id: str
    document: str
    kind: str  # policy / guide (see retrieval.sources.KINDS)
    level: str
    jurisdiction: str
    clause: str
    title: str
    heading: str
    text: str
    responsibility: str
    tokens: tuple[str, ...]
    # false: a file the sources manifest does not list, ingested by path (see SearchFilter)
    verified: bool = True

    def metadata(self) -> dict[str, Any]:
        data = asdict(self)
        del data["id"]
        data["tokens"] = " ".join(self.tokens)
        return data

    @classmethod
    def from_record(cls, chunk_id: str, metadata: dict[str, Any]) -> StoredChunk:
        data = {k: metadata.get(k, "") for k in cls.__dataclass_fields__ if k != "id"}
        data["tokens"] = tuple(str(metadata.get("tokens", "")).split())
        data["verified"] = metadata.get("verified", True) is not False  # older indexes: listed
        return cls(id=chunk_id, **data)


@dataclass(frozen=True)
class DocumentEntry:
    """What the catalog remembers of an indexed document."""

    source_id: str
    title: str
    content_hash: str
    clauses: int
    chunks: int
    verified: bool = True


@dataclass(frozen=True)
class CatalogState:
    generation: str
    documents: dict[str, DocumentEntry]


@dataclass(frozen=True)
class IndexRecord:
    """A chunk exactly as a generation holds it: the indexed text, metadata and embedding."""

    id: str
    text: str
    metadata: dict[str, Any]
    embedding: np.ndarray


class LangchainEmbeddings(Embeddings):
    """LangChain's embeddings interface over the cached embedder (passage and query forms)."""

    def __init__(self, embedder: CachedEmbedder) -> None:
        self._embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.embed_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._embedder.embed_query(text).tolist()


class ChunkStore:
    def __init__(
        self, connect: Callable[[], chromadb.ClientAPI], embedder: CachedEmbedder, *, prefix: str
    ) -> None:
        """``connect`` makes the Chroma client (e.g. ``make_chroma_client``); called on first use
        and again after a failed attempt."""
        self._connect = connect
        self._connected: chromadb.ClientAPI | None = None
        self._embeddings = LangchainEmbeddings(embedder)
        self.embedding_model = embedder.name
        self._prefix = prefix
        self._catalog_name = f"{prefix}catalog"

    @property
    def _client(self) -> chromadb.ClientAPI:
        if self._connected is None:
            self._connected = self._connect()
        return self._connected

    # -- catalog -------------------------------------------------------------------------
    def state(self) -> CatalogState | None:
        """The current generation, or ``None`` before the first ingest."""
        try:
            meta = self._client.get_collection(self._catalog_name).metadata or {}
        except NotFoundError:
            return None
        if not meta.get("generation"):
            return None
        documents = {
            sid: DocumentEntry(**entry) for sid, entry in json.loads(meta["documents"]).items()
        }
        return CatalogState(generation=str(meta["generation"]), documents=documents)

    def publish(self, state: CatalogState) -> None:
        """Make ``state`` current in one metadata write, then drop superseded generations."""
        catalog = self._client.get_or_create_collection(self._catalog_name)
        documents = {sid: asdict(entry) for sid, entry in state.documents.items()}
        catalog.modify(
            metadata={
                "generation": state.generation,
                "documents": json.dumps(documents, ensure_ascii=False),
            }
        )
        self.collect_garbage(keep=state.generation)

    def collect_garbage(self, *, keep: str | None) -> None:
        """Drop generations other than ``keep`` (left over by a replaced or interrupted ingest)."""
        for name in self._generation_names():
            if name != keep:
                logger.info("dropping index generation %s", name)
                self._client.delete_collection(name)

    def _generation_names(self) -> list[str]:
        names = [c if isinstance(c, str) else c.name for c in self._client.list_collections()]
        return [n for n in names if n.startswith(f"{self._prefix}g_")]

    # -- generations ---------------------------------------------------------------------
    def new_generation(self) -> str:
        return f"{self._prefix}g_{uuid.uuid4().hex[:12]}"

    def collection(self, generation: str) -> chromadb.Collection:
        """A generation's Chroma collection, for queries that need only ids and distances."""
        return self._client.get_collection(generation)

    def vectorstore(self, generation: str) -> Chroma:
        return Chroma(
            collection_name=generation,
            embedding_function=self._embeddings,
            client=self._client,
            collection_metadata={"hnsw:space": "cosine"},
        )

    def add(
        self, generation: str, chunks: Sequence[StoredChunk], indexed_texts: Sequence[str]
    ) -> None:
        store = self.vectorstore(generation)
        for start in range(0, len(chunks), _BATCH):
            part = chunks[start : start + _BATCH]
            store.add_texts(
                texts=list(indexed_texts[start : start + _BATCH]),
                metadatas=[c.metadata() for c in part],
                ids=[c.id for c in part],
            )

    def copy_documents(self, source: str, target: str, source_ids: Sequence[str]) -> None:
        """Carry unchanged documents into a new generation without embedding them again."""
        if not source_ids:
            return
        old = self._client.get_collection(source)
        new = self._client.get_or_create_collection(target, metadata={"hnsw:space": "cosine"})
        records = old.get(
            where={"source_id": {"$in": list(source_ids)}},
            include=["embeddings", "documents", "metadatas"],
        )
        for start in range(0, len(records["ids"]), _BATCH):
            end = start + _BATCH
            new.upsert(
                ids=records["ids"][start:end],
                embeddings=records["embeddings"][start:end],
                documents=records["documents"][start:end],
                metadatas=records["metadatas"][start:end],
            )

    def records(self, generation: str) -> list[IndexRecord]:
        """Every chunk of a generation with its embedding, in id order (for a backup)."""
        got = self._client.get_collection(generation).get(
            include=["embeddings", "documents", "metadatas"]
        )
        records = [
            IndexRecord(i, text or "", dict(meta or {}), np.asarray(vector, dtype=np.float32))
            for i, text, meta, vector in zip(
                got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
            )
        ]
        return sorted(records, key=lambda r: r.id)

    def add_records(self, generation: str, records: Sequence[IndexRecord]) -> None:
        """Write records as they are, without embedding anything (a restore)."""
        collection = self._client.get_or_create_collection(
            generation, metadata={"hnsw:space": "cosine"}
        )
        for start in range(0, len(records), _BATCH):
            part = records[start : start + _BATCH]
            collection.upsert(
                ids=[r.id for r in part],
                embeddings=[r.embedding for r in part],
                documents=[r.text for r in part],
                metadatas=[r.metadata for r in part],
            )

    def vectors(self, generation: str, ids: Sequence[str]) -> np.ndarray:
        """The embeddings of the chunks ``ids``, one row each, in that order."""
        got = self._client.get_collection(generation).get(include=["embeddings"])
        row = {chunk_id: i for i, chunk_id in enumerate(got["ids"])}
        found = np.asarray(got["embeddings"], dtype=np.float32)
        return found[[row[i] for i in ids]] if len(ids) else np.zeros((0, 0), np.float32)

    def load(self, generation: str) -> list[StoredChunk]:
        records = self._client.get_collection(generation).get(include=["metadatas"])
        chunks = [
            StoredChunk.from_record(i, m or {})
            for i, m in zip(records["ids"], records["metadatas"] or [], strict=True)
        ]
        return sorted(chunks, key=lambda c: c.id)
