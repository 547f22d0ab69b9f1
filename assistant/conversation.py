"""Short-term memory of conversations, so follow-ups ("那它什么时候完成？") resolve against the
previous turn. In-process, bounded and expiring."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from assistant.models import Kind


@dataclass(frozen=True)
class Turn:
    kind: Kind
    query: str  # the topic the turn was about, for a follow-up's search
    task_ids: tuple[int, ...]
    departments: tuple[str, ...]
    # the last list of tasks shown (this turn's or an earlier one's): what "第二项", "这些" name
    listed: tuple[int, ...] = ()


class ConversationStore:
    def __init__(self, *, max_conversations: int = 10_000, ttl_seconds: float = 7200) -> None:
        self._turns: OrderedDict[str, tuple[float, Turn]] = OrderedDict()
        self._max = max_conversations
        self._ttl = ttl_seconds
        self._lock = threading.Lock()

    def last(self, conversation_id: str | None) -> Turn | None:
        if not conversation_id:
            return None
        with self._lock:
            found = self._turns.get(conversation_id)
            if found is None or time.monotonic() - found[0] > self._ttl:
                self._turns.pop(conversation_id, None)
                return None
            return found[1]

    def remember(self, conversation_id: str | None, turn: Turn) -> None:
        if not conversation_id:
            return
        with self._lock:
            self._turns[conversation_id] = (time.monotonic(), turn)
            self._turns.move_to_end(conversation_id)
            while len(self._turns) > self._max:
                self._turns.popitem(last=False)
