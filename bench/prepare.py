"""Fill the embedding cache ahead of a first full run: ``python -m bench.prepare``.

Embeds, through the same cache, every text the full benchmark will embed: our chunks of the
~10k-chunk index (which holds every sampled passage) and the LangChain recipe's chunks of each
evaluated set. Interruptible and resumable (the cache is written batch by batch); run it under
``nice`` on a shared machine. ``make bench`` does the same work itself when the cache is cold.

``--shard I/N`` embeds every N-th missing text from the I-th: N processes started with
``OMP_NUM_THREADS=1`` keep both cores busy without OpenMP threads spinning at barriers while
the other processes of a busy machine hold the cores.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path

from tqdm import tqdm

from bench import datasets
from bench.ingest_speed import GROWN_CHUNKS, grown_items
from bench.langchain_recipe import split
from bench.stack import model, settings
from retrieval.chunking import chunk_document
from retrieval.embedding import CachedEmbedder
from retrieval.ingest import parse_source
from retrieval.loaders import read_blocks


def texts(min_questions: int, docs: Path) -> tuple[list[str], list[str]]:
    """(our indexed chunk texts, the recipe's chunk texts)."""
    sets = datasets.external_sets(min_questions=min_questions)
    config = settings(docs)
    size = config.retrieval.chunk_chars
    items, _ = grown_items(sets, docs, target=GROWN_CHUNKS, chunk_chars=size)
    ours = [
        piece.indexed_text
        for item in items
        for piece in chunk_document(
            parse_source(read_blocks(item.path), item.source), max_chars=size
        )
    ]
    plan = next(i for i in items if i.source.id == datasets.PLAN_SOURCE)
    passages = [{plan.source.id: plan.path.read_text("utf-8")}] + [s.passages for s in sets]
    recipe = [d.page_content for p in passages for d in split(p)]
    return ours, recipe


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="policyqa-bench-prepare-") as tmp:
        ours, recipe = texts(100 if "--quick" in sys.argv else 1000, Path(tmp))
    embedder = CachedEmbedder(model(), settings(Path(tmp)).embedding_cache)
    shard = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--shard=")), "0/1")
    index, count = map(int, shard.split("/"))
    for name, batch in (("ours", ours), ("recipe", recipe)):
        todo = list(dict.fromkeys(embedder.missing(batch)))[index::count]
        print(f"{name}: {len(batch)} chunks, {len(todo)} to embed", flush=True)
        started = time.perf_counter()
        with tqdm(total=len(todo), unit="chunk", desc=name) as bar:
            embedder.embed_passages(todo, progress=bar.update)
        print(f"{name}: {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
