"""Answers already given, for the same question asked again: many officials ask the same few
things ("县林业局负责哪些任务？"), and a repeat costs no query encoding, search or registry reads.

An entry is keyed by everything a first question's answer depends on: its text and audience,
the index generation, the registry's version (its audit log: every write adds to it) and the
date (due dates count days). So an ingest, a progress report or midnight gives fresh answers,
in every worker alike. Follow-ups (a conversation with an earlier turn) and answers that carry
a warning (registry or vector store down, LLM unavailable) are never cached. Per process,
bounded (LRU).
"""

from __future__ import annotations

import threading
from collections.abc import Hashable

from cachetools import LRUCache

from assistant.conversation import Turn
from assistant.models import Answer


class AnswerCache:
    def __init__(self, *, size: int = 2048) -> None:
        self._entries: LRUCache[Hashable, tuple[Answer, Turn]] = LRUCache(maxsize=size)
        self._lock = threading.Lock()  # cachetools' caches are not thread-safe
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> tuple[Answer, Turn] | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
            else:
                self.hits += 1
            return found

    def put(self, key: Hashable, answer: Answer, turn: Turn) -> None:
        if answer.warnings:
            return
        with self._lock:
            self._entries[key] = (answer, turn)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
