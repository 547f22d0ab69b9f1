"""Time to start the service over an existing index: a fresh process, imports, build_services,
first search; and the command line's start: ``policyqa --help`` and ``policyqa tasks`` (a
registry command) in fresh processes. Run as ``python -m bench.startup DATA_DIR CACHE_DIR``;
prints JSON.

Imports stay inside ``main`` so that their cost is measured.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def command_seconds(args: list[str], data_dir: str) -> float:
    """Wall time of ``policyqa ARGS`` from the process's start to its end."""
    env = {**os.environ, "POLICYQA_DATA_DIR": data_dir}
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "assistant", *args], env=env, capture_output=True, check=True
    )
    return time.perf_counter() - began


def main(data_dir: str, cache_dir: str) -> dict[str, float]:
    import psutil

    launched = psutil.Process().create_time()
    began = time.time()
    from pathlib import Path

    from bench.stack import searcher_of, settings
    from policyqa.composition import build_services

    imported = time.time()
    services = build_services(settings(Path(data_dir), cache_dir=Path(cache_dir)))
    built = time.time()
    hits = services.search.search("屋顶光伏谁负责", k=5)
    searched = time.time()
    return {
        "interpreter_seconds": began - launched,
        "import_seconds": imported - began,
        "build_services_seconds": built - imported,
        "first_search_seconds": searched - built,
        "total_seconds": searched - launched,
        "chunks": searcher_of(services).chunk_count(),
        "hits": len(hits),
        "cli_help_seconds": command_seconds(["--help"], data_dir),
        "cli_tasks_seconds": command_seconds(["tasks"], data_dir),
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
