"""The machine, the issue's targets checked against the measurements, and the README tables."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import psutil

from bench.metrics import markdown


def machine() -> dict[str, object]:
    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in cpuinfo.read_text().splitlines()
                if line.startswith("model name")
            ),
            "",
        )
    return {
        "cpu": cpu or platform.processor(),
        "cores": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        # the e5 engine's OpenMP threads (unset: one per core)
        "omp": {k: v for k, v in os.environ.items() if k.startswith("OMP_")},
    }


def _row(results: dict[str, Any], name: str) -> dict[str, dict[str, float]]:
    for r in results.get("quality", []):
        if r["name"] == name:
            return {row["method"]: row for row in r["rows"]}
    return {}


def targets(results: dict[str, Any]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []

    def add(target: str, measured: str, met: bool | None) -> None:
        out.append(
            {
                "target": target,
                "measured": measured,
                "met": "—" if met is None else "yes" if met else "NO",
            }
        )

    for r in results.get("quality", []):
        rows = _row(results, r["name"])
        for metric in ("hit@1", "mrr@10"):
            best = max(rows["bm25"][metric], rows["dense"][metric])
            gap = rows["hybrid"][metric] - best
            add(
                f"{r['name']}: hybrid {metric} ≥ max(BM25, dense)",
                f"{rows['hybrid'][metric]:.3f} vs {best:.3f} ({gap:+.3f})",
                gap >= -1e-9,
            )
        if "langchain" in rows:
            gap = (rows["hybrid"]["hit@1"] - rows["langchain"]["hit@1"]) * 100
            add(
                f"{r['name']}: answer in hybrid's top hit ≥ LangChain recipe's",
                f"{rows['hybrid']['hit@1']:.3f} vs {rows['langchain']['hit@1']:.3f} ({gap:+.1f} points)",
                gap >= -1e-9,
            )
    for name in ("dev", "ncp_policies"):
        rows = _row(results, name)
        if rows:
            gap = (rows["hybrid"]["in500"] - rows["langchain"]["in500"]) * 100
            add(
                f"{name}: answer within the first 500 characters ≥ LangChain recipe + 10 points",
                f"{rows['hybrid']['in500']:.3f} vs {rows['langchain']['in500']:.3f} ({gap:+.1f} points)",
                gap >= 10,
            )
    grown = [
        r
        for r in results.get("latency", [])
        if r["index"] == "grown" and r["query"] == "new question"
    ]
    for row in grown:
        limit = 50 if row["call"] == "search" else 150
        add(
            f"{row['call']} p95 ≤ {limit} ms at {row['chunks']} chunks (new questions)",
            f"{row['p95_ms']:.1f} ms",
            row["p95_ms"] <= limit,
        )
    for r in results.get("ingest", []):
        add(
            f"ingest {r['index']}: ≥ 85% of the raw encode rate",
            f"{r['share_of_raw_rate']:.1%} ({r['ingest_chunks_per_second']:.2f} vs "
            f"{r['raw_chunks_per_second']:.2f} chunks/s{'' if r['cold_measured'] else ', projected'})",
            r["share_of_raw_rate"] >= 0.85,
        )
        add(
            f"ingest {r['index']}: unchanged re-ingest ≥ 100× faster",
            f"{r['unchanged_speedup']:.0f}× ({r['cold_seconds']:.1f} s → {r['unchanged_seconds']:.3f} s)",
            r["unchanged_speedup"] >= 100,
        )
    scans = results.get("ocr")
    if scans:
        summary = scans["summary"]
        add(
            "OCR of scanned plan pages: ≥ 98% characters right, clause labels recovered",
            f"{summary['accuracy']:.1%}, labels on {summary['labels_recovered']}/{summary['pages']}"
            f" pages, {summary['seconds_per_page']:.1f} s/page",
            summary["accuracy"] >= 0.98 and summary["labels_recovered"] == summary["pages"],
        )
    load = results.get("load")
    if load and "skipped" not in load:
        add(
            f"{load['clients']} clients on POST /api/ask: p95 ≤ 500 ms, no errors",
            f"p95 {load['p95_ms']:.0f} ms, {load['errors']} errors, {load['requests_per_second']:.1f} req/s",
            load["p95_ms"] <= 500 and load["errors"] == 0,
        )
    elif load:
        add("50 clients on POST /api/ask", load["skipped"], None)
    return out


def summary(results: dict[str, Any]) -> str:
    """Markdown for README.md's Performance section."""
    parts = []
    quality = []
    for r in results.get("quality", []):
        rows = _row(results, r["name"])
        quality.append(
            {
                "set": r["name"],
                "sample": r["sample"],
                **{
                    f"{m} hit@1 / @5 / MRR / in500 / in1000": " / ".join(
                        f"{rows[m][c]:.3f}" for c in ("hit@1", "hit@5", "mrr@10", "in500", "in1000")
                    )
                    for m in ("hybrid", "bm25", "dense", "langchain")
                },
            }
        )
    if quality:
        parts.append(markdown(quality, list(quality[0])))
    if results.get("latency"):
        parts.append(
            markdown(
                results["latency"],
                ["index", "chunks", "call", "query", "p50_ms", "p95_ms", "p99_ms", "n"],
            )
        )
    if results.get("ingest"):
        parts.append(
            markdown(
                results["ingest"],
                [
                    "index",
                    "chunks",
                    "ingest_chunks_per_second",
                    "raw_chunks_per_second",
                    "share_of_raw_rate",
                    "rss_peak_mb",
                    "unchanged_seconds",
                    "unchanged_speedup",
                ],
            )
        )
    if results.get("targets"):
        parts.append(markdown(results["targets"], ["target", "measured", "met"]))
    return "\n\n".join(parts)
