"""Run the benchmarks of issue 7, print their tables, write bench/results/<name>.json.

``python -m bench`` (``make bench``): retrieval quality on the dev set and four external sets
(at least 1,000 questions each), the ledger extractor against hand-labelled plans, 上位依据
links against hand labels, routing against held-out hand-labelled questions, OCR seconds per page and characters right, the 督办总览 at 1,000
tasks, latency at the plan's size
and at ~10k chunks, ingest speed and memory, start-up time, HTTP load, profile. ``--quick`` (``make bench-quick``): the dev set, ~100
questions per external set, the plan's index only, a short load test.

Embeddings are cached in data/bench-cache/ across runs; everything else lives in a temporary
directory that is removed at the end.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import (
    basis,
    channels,
    datasets,
    ingest_speed,
    latency,
    ledger,
    load,
    ocr,
    overview,
    profiling,
    quality,
    report,
    routing,
)
from bench.datasets import SEED
from bench.metrics import save, table
from bench.stack import CACHE_DIR, corpus_items, open_stack, searcher_of, services, settings
from retrieval.fusion import FusionWeights, HandFusion, LearnedFusion

SECTIONS = (
    "ledger", "basis", "routing", "ocr", "overview", "channels", "ingest", "quality", "latency", "startup", "profile",
    "load",
)  # fmt: skip


def _print(title: str, rows: list[dict[str, object]], columns: list[str]) -> None:
    print(f"\n{title}", flush=True)
    print(table(rows, columns), flush=True)


def _questions(sets: list[datasets.EvalSet], n: int) -> list[tuple[str, str]]:
    """Questions for latency: ours (answer cases, dev set), topped up from the external sets."""
    pool = datasets.ask_questions()
    random.Random(SEED).shuffle(pool)
    extra = [(q.text, "public") for s in sets for q in s.questions]
    random.Random(SEED).shuffle(extra)
    known = {q for q, _ in pool}
    pool += [p for p in extra if p[0] not in known][: max(0, n - len(pool))]
    return pool[:n]


class _Laps:
    """Seconds spent in each section, for the run's own budget."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = round(now - self._last, 1)
        self._last = now


def run(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    quick, wanted = args.quick, set(args.only or SECTIONS)
    lap = _Laps()
    results: dict[str, Any] = {"machine": report.machine(), "quick": quick}
    results["section_seconds"] = lap.seconds
    sets = datasets.external_sets(min_questions=100 if quick else 1000)
    docs = root / "docs"
    plan_config = settings(root / "plan")

    if "ledger" in wanted:
        results["ledger"] = ledger.run()
        save("ledger", results["ledger"])
        lap("ledger")

    if "basis" in wanted:
        results["basis"] = basis.run(root)
        save("basis", results["basis"])
        lap("basis")

    if "routing" in wanted:
        results["routing"] = routing.run(root)
        save("routing", results["routing"])
        lap("routing")

    if "ocr" in wanted:
        results["ocr"] = ocr.run()
        save("ocr", results["ocr"])
        lap("ocr")

    if "overview" in wanted:
        results["overview"] = overview.run()
        _print(
            "督办总览 at 5 plans and 1,000 tasks, over HTTP (ms; target: overview p95 ≤ 200)",
            results["overview"],
            overview.COLUMNS,
        )
        save("overview", results["overview"])
        lap("overview")

    if "channels" in wanted:
        results["channels"] = channels.run()
        _print(
            "Reminders per minute per channel, through the outbox to the platforms' fakes "
            "(simulated clock, dispatcher every 30 s)",
            results["channels"],
            channels.COLUMNS,
        )
        save("channels", results["channels"])
        lap("channels")

    # The ~10k-chunk index first: on a cold cache it is what embeds our chunks of every set.
    grown = None
    if not quick and wanted & {"ingest", "latency", "startup", "profile"}:
        items, share = ingest_speed.grown_items(
            sets,
            docs,
            target=ingest_speed.GROWN_CHUNKS,
            chunk_chars=plan_config.retrieval.chunk_chars,
        )
        print(f"\nBuilding the grown index: {share}", flush=True)
        grown = {
            "index": "grown",
            **ingest_speed.build(items, root / "grown", raw_sample=200, registry=True),
            "composition": share,
        }
        lap("grown index")

    if "ingest" in wanted:
        plan = ingest_speed.build(
            corpus_items(plan_config),
            root / "plan-cold",
            cache_dir=root / "empty-cache",
            raw_sample=1000,
            registry=False,
        )
        rows = [{"index": "plan (empty cache)", **plan}] + ([grown] if grown else [])
        _print(
            "Ingest (child process per index; raw = the model alone on the same chunks)",
            rows,
            [
                "index",
                "chunks",
                "embedded",
                "ingest_seconds",
                "cold_seconds",
                "ingest_chunks_per_second",
                "raw_chunks_per_second",
                "share_of_raw_rate",
                "rss_peak_mb",
                "unchanged_seconds",
                "unchanged_speedup",
            ],
        )
        results["ingest"] = rows
        save("ingest", rows)
        lap("ingest")

    if "quality" in wanted:
        results["quality"] = _quality(sets, plan_config, docs, root)
        lap("quality")

    plan_services = services(plan_config) if wanted & {"latency", "profile", "startup"} else None
    grown_services = services(settings(root / "grown")) if grown and plan_services else None
    n = 120 if quick else 320
    asked = _questions(sets, n)
    lap("services")
    if "latency" in wanted:
        rows = latency.measure(plan_services, asked, size="plan", chunks=_chunks(plan_services))
        if grown_services:
            rows += latency.measure(
                grown_services, asked, size="grown", chunks=_chunks(grown_services)
            )
        _print(
            "Latency, warm, single process (ms)",
            rows,
            ["index", "chunks", "call", "query", "p50_ms", "p95_ms", "p99_ms", "mean_ms", "n"],
        )
        results["latency"] = rows
        save("latency", rows)
        lap("latency")

    if "startup" in wanted:
        started = ingest_speed.startup(root / ("grown" if grown else "plan"))
        _print("Start-up over an existing index (fresh process)", [started], list(started))
        results["startup"] = started
        save("startup", started)
        lap("startup")

    if "profile" in wanted:
        profiled, trees = profiling.run(
            grown_services or plan_services, asked[: 40 if quick else 150]
        )
        _print(
            f"Profile ({'grown' if grown_services else 'plan'} index, new questions)",
            profiled,
            ["call", "part", "ms_per_call", "share"],
        )
        results["profile"] = profiled
        save("profile", {"parts": profiled, "call_trees": trees})
        lap("profile")

    if "load" in wanted:
        loaded = load.run(
            list(dict.fromkeys(q for q, _ in asked)),
            clients=args.clients,
            seconds=15 if quick else args.seconds,
        )
        _print(
            "HTTP load: POST /api/ask",
            [loaded],
            [k for k in loaded if k not in ("first_asking", "repeated_asking")],
        )
        if "first_asking" in loaded:
            _print(
                "HTTP load by question: asked for the first time, asked again (ms)",
                [
                    {"questions": "first asking", **loaded["first_asking"]},  # type: ignore[dict-item]
                    {"questions": "asked again", **loaded["repeated_asking"]},  # type: ignore[dict-item]
                ],
                ["questions", "p50_ms", "p95_ms", "p99_ms", "mean_ms", "n"],
            )
        results["load"] = loaded
        save("load", loaded)
        lap("load")
    return results


def _chunks(built) -> int:  # type: ignore[no-untyped-def]
    return searcher_of(built).chunk_count()


def _quality(sets, plan_config, docs: Path, root: Path) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    out = []
    evaluated = [
        quality.evaluate_dev(
            datasets.dev_questions(), open_stack(plan_config), corpus_items(plan_config)
        )
    ]
    for s in sets:
        print(f"\n{s.name}: {s.sample_note()}", flush=True)
        stack = open_stack(settings(root / f"q-{s.name}"))
        evaluated.append(quality.evaluate_external(s, stack, docs))
    for r in evaluated:
        _print(
            f"Retrieval quality: {r.name} — {r.description}; {r.sample}; index {r.index}",
            r.rows,
            ["method", "hit@1", "hit@5", "mrr@10", *(f"in{b}" for b in quality.BUDGETS), "n"],
        )
        out.append(
            {
                "name": r.name,
                "description": r.description,
                "level": r.level,
                "sample": r.sample,
                "rows": r.rows,
                "index": r.index,
            }
        )
    r0 = plan_config.retrieval
    hand = HandFusion(FusionWeights(default=r0.bm25_weight, exact=r0.bm25_weight_exact))
    versus = quality.heldout(evaluated, LearnedFusion.load(), hand)
    _print(
        "Fusion on the held-out halves (ranked candidates, before windows and de-duplication): "
        "hand-set weights against the shipped learned model (python -m bench.train_fusion)",
        versus,
        list(versus[-1]),
    )
    save("quality", {"sets": out, "fusion_heldout": versus})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="dev set + small samples, plan only")
    parser.add_argument("--only", type=lambda s: s.split(","), help=f"some of {','.join(SECTIONS)}")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0, help="load test duration")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="policyqa-bench-") as tmp:
        results = run(args, Path(tmp))
    results["targets"] = report.targets(results)
    results["seconds"] = time.perf_counter() - started
    results["command"] = " ".join(["python -m bench", *sys.argv[1:]])
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["summary_markdown"] = report.summary(results)
    _print("Targets (issue 7)", results["targets"], ["target", "measured", "met"])
    save("run", results)
    print("\nFor README.md:\n\n" + results["summary_markdown"], flush=True)
    print(f"\nSeconds per section: {results['section_seconds']}", flush=True)
    print(f"\nTotal {results['seconds'] / 60:.1f} min; results in bench/results/", flush=True)


if __name__ == "__main__":
    main()
