"""Benchmarks: retrieval quality, speed and size. ``make bench`` / ``python -m bench``."""
