"""Ingest speed and memory, next to the raw encode rate of the model on the same chunks.

Each index is built in a child process (``python -m bench.ingest_speed``), so that its peak RSS
is its own. The child ingests, ingests the same items again (unchanged: nothing to do), then
times the bare model (no cache, no pipeline) on the same chunk texts, all of them or a seeded
sample. When the cache already held vectors, the cold rate is projected: the pipeline's own time
(measured) plus the model's time for every chunk (measured rate).
"""

from __future__ import annotations

import json
import logging
import random
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import psutil

from bench.datasets import SEED, EvalSet, write_passages
from bench.stack import CACHE_DIR, corpus_items, model, open_stack, services, settings
from retrieval.chunking import chunk_document
from retrieval.ingest import IngestItem, parse_source
from retrieval.loaders import read_blocks
from retrieval.sources import Source

logger = logging.getLogger(__name__)

BATCH = 32  # CachedEmbedder's batch size
GROWN_CHUNKS = 10_000


# -- what goes into the ~10k-chunk index ------------------------------------------------------------
def count_chunks(item: IngestItem, chunk_chars: int) -> int:
    document = parse_source(read_blocks(item.path), item.source)
    return len(chunk_document(document, max_chars=chunk_chars))


def grown_items(
    sets: Sequence[EvalSet], docs: Path, *, target: int, chunk_chars: int
) -> tuple[list[IngestItem], dict[str, int]]:
    """The plan, every sampled passage, then more passages of the same sets up to ``target``
    chunks: the rest of WebQA first (short, cheap to embed), then the others in turn."""
    config = settings(docs)
    items = corpus_items(config)
    total = sum(count_chunks(i, chunk_chars) for i in items)
    share = {"corpus": total}

    def add(name: str, pids: Sequence[str], pool: dict[str, str], *, stop: bool) -> None:
        nonlocal total
        for path, source in write_passages({p: pool[p] for p in pids}, docs):
            if stop and total >= target:
                return
            item = IngestItem(path, source)
            n = count_chunks(item, chunk_chars)
            items.append(item)
            total += n
            share[name] = share.get(name, 0) + n

    for s in sets:
        add(s.name, list(s.passages), s.pool, stop=False)
    rest = {s.name: [p for p in s.order if p not in s.passages] for s in sets}
    pools = {s.name: s.pool for s in sets}
    add("webqa", rest.pop("webqa", []), pools.get("webqa", {}), stop=True)
    while total < target and any(rest.values()):
        for name in list(rest):
            add(name, rest[name][:20], pools[name], stop=True)
            rest[name] = rest[name][20:]
    return items, share


# -- parent side ------------------------------------------------------------------------------------
def build(
    items: Sequence[IngestItem],
    data_dir: Path,
    *,
    cache_dir: Path = CACHE_DIR,
    raw_sample: int,
    registry: bool,
) -> dict[str, object]:
    """Run the child; its progress bar goes to our stderr, its result comes back as JSON."""
    request = {
        "data_dir": str(data_dir),
        "cache_dir": str(cache_dir),
        "items": [[str(i.path), asdict(i.source)] for i in items],
        "raw_sample": raw_sample,
        "registry": registry,
    }
    job = data_dir.with_suffix(".json")
    job.write_text(json.dumps(request, ensure_ascii=False), "utf-8")
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bench.ingest_speed", str(job)],
        stdout=subprocess.PIPE,
        check=True,
        text=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - started
    return _derive(result)


def _derive(r: dict) -> dict:  # type: ignore[type-arg]
    raw = r["raw_chunks"] / r["raw_seconds"]
    overhead = max(r["ingest_seconds"] - r["embedded"] / raw, 0.0)
    cold = r["chunks"] / raw + overhead
    measured_cold = r["embedded"] == r["chunks"]
    r.update(
        raw_chunks_per_second=raw,
        pipeline_overhead_seconds=overhead,
        cold_seconds=r["ingest_seconds"] if measured_cold else cold,
        cold_measured=measured_cold,
    )
    r["ingest_chunks_per_second"] = r["chunks"] / r["cold_seconds"]
    r["share_of_raw_rate"] = r["ingest_chunks_per_second"] / raw
    r["unchanged_speedup"] = r["cold_seconds"] / max(r["unchanged_seconds"], 1e-6)
    return r


def startup(data_dir: Path, *, cache_dir: Path = CACHE_DIR) -> dict[str, object]:
    """A fresh ``python`` that imports, builds the services and answers one search."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.startup", str(data_dir), str(cache_dir)],
        stdout=subprocess.PIPE,
        check=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- child side -------------------------------------------------------------------------------------
def _child(job: Path) -> dict[str, object]:
    request = json.loads(job.read_text("utf-8"))
    config = settings(Path(request["data_dir"]), cache_dir=Path(request["cache_dir"]))
    items = [IngestItem(Path(p), Source(**s)) for p, s in request["items"]]
    stack = open_stack(config)
    rss_before = psutil.Process().memory_info().rss
    report = stack.ingestor.ingest(items, progress=sys.stderr.isatty())
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    unchanged = stack.ingestor.ingest(items)
    if request["registry"]:
        services(config)  # the task registry for ``ask``; the index is unchanged
    chunks = stack.chunks()
    ids = [c.id for c in chunks]
    if len(ids) > request["raw_sample"]:
        ids = sorted(random.Random(SEED).sample(ids, request["raw_sample"]))
    state = stack.store.state()
    assert state is not None
    texts = stack.store.vectorstore(state.generation).get(ids=ids, include=["documents"])[
        "documents"
    ]
    encoder = model()
    started = time.perf_counter()
    for start in range(0, len(texts), BATCH):
        encoder.embed_passages(texts[start : start + BATCH])
    raw_seconds = time.perf_counter() - started
    return {
        "documents": report.documents,
        "chunks": report.chunks,
        "embedded": report.embedded,
        "ingest_seconds": report.seconds,
        "unchanged_seconds": unchanged.seconds,
        "rss_before_ingest_mb": rss_before / 2**20,
        "rss_peak_mb": rss_peak / 2**20,
        "raw_chunks": len(texts),
        "raw_chars": sum(map(len, texts)),
        "raw_seconds": raw_seconds,
    }


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    print(json.dumps(_child(Path(sys.argv[1]))))
