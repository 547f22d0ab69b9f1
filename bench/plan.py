"""The plan itself: dev-set retrieval quality per method, and ingest speed."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from assistant.settings import Settings
from bench.metrics import rank_of, save, scores, table
from policyqa.composition import build_services

REPO = Path(__file__).resolve().parents[1]
DEV = REPO / "tests" / "data" / "dev_questions.tsv"


def _settings(data_dir: Path, cache_dir: Path | None = None) -> Settings:
    return Settings(
        _env_file=None, data_dir=data_dir, corpus_dir=REPO / "corpus", cache_dir=cache_dir
    )


def ingest_speed() -> dict[str, float]:
    """Cold (empty embedding cache), then re-ingest of unchanged text, then a new index from cache."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        services = build_services(_settings(root / "a", root / "cache"))
        cold = services.ingest.ingest()
        again = services.ingest.ingest()
        rebuilt = build_services(_settings(root / "b", root / "cache")).ingest.ingest()
    return {
        "chunks": cold.chunks,
        "cold_seconds": cold.seconds,
        "chunks_per_second": cold.chunks / cold.seconds,
        "unchanged_seconds": again.seconds,
        "warm_cache_seconds": rebuilt.seconds,
    }


def dev_quality() -> list[dict[str, object]]:
    with DEV.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    with tempfile.TemporaryDirectory() as tmp:
        services = build_services(_settings(Path(tmp)))
        services.ingest.ingest()
        searcher = services.search._searcher
        results = []
        for mode in ("bm25", "dense", "hybrid"):
            ranks = []
            for row in rows:
                hits = searcher.search(row["question"], k=10, mode=mode)
                ranks.append(rank_of([h.chunk.clause for h in hits], set(row["clause"].split("|"))))
            results.append({"method": mode, **scores(ranks)})
    return results


def run() -> None:
    quality = dev_quality()
    print(f"\nRetrieval on the plan's dev questions ({DEV.relative_to(REPO)}, clause level)")
    print(table(quality, ["method", "hit@1", "hit@3", "hit@5", "mrr@10", "n"]))
    speed = ingest_speed()
    print("\nIngest of the plan (this machine)")
    print(table([speed], list(speed)))
    save("plan", {"dev_quality": quality, "ingest": speed})
