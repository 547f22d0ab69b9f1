"""Run the benchmarks and print their tables; results go to bench/results/<name>.json."""

from __future__ import annotations

import argparse
import logging

from bench import plan


def main() -> None:
    argparse.ArgumentParser(prog="python -m bench", description=__doc__).parse_args()
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    plan.run()


main()
