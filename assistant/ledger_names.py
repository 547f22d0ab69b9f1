"""Departments named in a question that only the ledger knows.

The alias table (``corpus/departments.toml``) lists one county's units and the ways people write
them. Another county's plan, or a unit no table lists ("国网临澧县供电公司"), is still in the ledger:
its notes name it, and the registry keeps it as written. A question names such a unit as the plan
writes it, or without its level or county ("住建局" for 县住建局, "供电公司" for 国网临澧县供电公司
when no other unit ends so); a short form two units share names neither.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence

from registry.units import is_unit
from retrieval.text import normalize

# a level word a name may be asked without: 县住建局 → 住建局
_LEVEL = re.compile(r"^[省市县区州旗]")
# a city bureau's county branch is asked as 分局 of the bureau: 市生态环境局临澧分局 → 生态环境分局
_BRANCH = re.compile(r"局[^局]+分局$")
_SHORTEST = 3  # characters of a short form: "住建局" yes, "林局" no
# what is left of a name that says no more than "some government"
_GENERIC = frozenset({"人民政府", "政府", "管委会", "委员会", "办公室", "领导小组", "部门", "单位"})


def _forms(name: str, places: Sequence[str]) -> set[str]:
    """The ways a question may write ``name``: as written, without the county's name (and what
    is on either side of it: 国网临澧县供电公司 → 供电公司), from it on (市生态环境局临澧分局 →
    临澧分局), a branch as its bureau's 分局, without its level word."""
    full = normalize(name)
    forms = {full}
    for place in places:
        if place and place in full:
            before, after = full.split(place, 1)
            forms |= {before + after, before, after, place + after}  # …, 临澧分局
    forms |= {_BRANCH.sub("分局", form) for form in forms}
    forms |= {_LEVEL.sub("", form) for form in forms}
    return {
        form for form in forms if len(form) >= _SHORTEST and form not in _GENERIC and is_unit(form)
    }


class LedgerNames:
    """The ledger's unit names and their short forms, rebuilt when the ledger's units change."""

    def __init__(self, places: Sequence[str]) -> None:
        """``places``: the county's names ("临澧县", "临澧"), which a question may leave out."""
        self._places = tuple(places)
        self._names: tuple[str, ...] = ()
        self._forms: list[tuple[str, str]] = []  # (form, unit), longest form first
        self._lock = threading.Lock()

    def mentions(self, question: str, names: Sequence[str]) -> list[tuple[str, str]]:
        """(form as found, unit) for each of ``names`` (the ledger's units) ``question`` names,
        in the question's order; each span of the question names one unit at most."""
        forms = self._current(tuple(names))
        text = normalize(question)
        taken = [False] * len(text)
        found: list[tuple[int, str, str]] = []
        for form, unit in forms:
            start = text.find(form)
            while start >= 0:
                end = start + len(form)
                if not any(taken[start:end]):
                    taken[start:end] = [True] * len(form)
                    found.append((start, form, unit))
                start = text.find(form, end)
        return [(form, unit) for _, form, unit in sorted(found)]

    def _current(self, names: tuple[str, ...]) -> list[tuple[str, str]]:
        with self._lock:
            if names != self._names:
                owners: dict[str, set[str]] = {}
                for name in names:
                    for form in _forms(name, self._places):
                        owners.setdefault(form, set()).add(name)
                for name in names:  # a unit's own name is its own, whatever else it shortens to
                    owners[normalize(name)] = {name}
                self._forms = sorted(
                    (
                        (form, next(iter(units)))
                        for form, units in owners.items()
                        if len(units) == 1
                    ),
                    key=lambda item: -len(item[0]),
                )
                self._names = names
            return self._forms
