"""From a document's clause tree to registry facts: measures with their units, deadline and
targets, the document's conventions and targets, and the task force. Pure: no database.

A task (measure) is the text a responsibility note governs (``registry.notes``). A clause holding
one note keeps the clause's label ("二、（一）2."); a clause holding several numbers them
("二、（一）2.（1）", "二、（一）2.（2）"; "…第2项" where the clause already has such a child).
Conventions a document states once apply from where they are stated: "排在第一位的为牵头单位" makes
the first unit the lead of notes that mark none, "以下均需各区人民政府落实，不再列出" adds that unit
to every later note. Targets of sections named 主要目标/工作目标/总体目标 belong to the document.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from registry.deadlines import Deadline, deadline_in_text
from registry.notes import Measure, measures
from registry.responsibility import EVERY_TASK, FIRST_IS_LEAD, Responsibility, parse_responsibility
from registry.targets import TargetFact, extract_targets
from registry.taskforce import TaskForce, extract_taskforce
from registry.units import canonical_unit, fold, same_unit, unit_names
from retrieval.clauses import Clause, ParsedDocument

_MEASURE_ORDINAL = re.compile(r"（\d+）|第\d+项")  # after a clause's label: ``_label``
_GOAL_TITLES = ("主要目标", "工作目标", "总体目标", "发展目标", "目标任务")
_TITLE_MAX = 40


@dataclass(frozen=True)
class ExtractedTask:
    clause: str  # the measure's label
    heading: str
    title: str
    text: str  # the measure's own sentences
    note: str  # its responsibility note as written, without brackets
    responsibility: Responsibility
    targets: tuple[TargetFact, ...]
    deadline: Deadline | None
    conventions: tuple[str, ...]  # the document conventions applied to this measure


@dataclass(frozen=True)
class Extraction:
    tasks: tuple[ExtractedTask, ...]
    taskforce: TaskForce | None
    taskforce_clause: str
    taskforce_text: str
    conventions: tuple[str, ...]  # as the document states them
    targets: tuple[TargetFact, ...]  # the document's own 主要目标
    empty_notes: tuple[str, ...]  # labels of measures whose note names no unit


@dataclass
class _Conventions:
    stated: list[str]
    first_is_lead: bool = False
    every_task: tuple[str, ...] = ()

    def read(self, text: str, resolve: Callable[[str], str | None]) -> None:
        folded = fold(text)
        if found := FIRST_IS_LEAD.search(folded):
            self.first_is_lead = True
            self.stated.append(text[found.start() : found.end()].strip("，,；; "))
        if found := EVERY_TASK.search(folded):
            names, _ = unit_names(text[found.start("units") : found.end("units")])
            self.every_task = tuple(canonical_unit(n, resolve) or n for n in names)
            self.stated.append(text[found.start() : found.end()].strip("，,；; "))


def extract(document: ParsedDocument, resolve: Callable[[str], str | None]) -> Extraction:
    tasks: list[ExtractedTask] = []
    goals: list[TargetFact] = []
    conventions = _Conventions(stated=[])
    taskforce, taskforce_clause, taskforce_text = None, "", ""
    labels = {clause.label for clause in document.walk()}
    for clause in document.walk():
        conventions.read(clause.text, resolve)
        found = measures(clause.text)
        for ordinal, measure in enumerate(found, start=1):
            label = _label(clause.label, ordinal, len(found), labels)
            tasks.append(_task(clause, measure, label, ordinal, resolve, conventions))
        if not found and any(word in clause.title for word in _GOAL_TITLES):
            goals.extend(extract_targets(clause.text))
        if not found and taskforce is None and clause.text:
            taskforce = extract_taskforce(clause.text, resolve)
            if taskforce:
                taskforce_clause, taskforce_text = clause.label, clause.text
    return Extraction(
        tasks=tuple(tasks),
        taskforce=taskforce,
        taskforce_clause=taskforce_clause,
        taskforce_text=taskforce_text,
        conventions=tuple(dict.fromkeys(conventions.stated)),
        targets=tuple(goals),
        empty_notes=tuple(t.clause for t in tasks if not t.responsibility.units),
    )


def _label(clause: str, ordinal: int, count: int, labels: set[str]) -> str:
    """A task's label: its clause's, and when the clause holds several notes, the measure's
    ordinal after it ("二、（二）2.（1）"; "…第1项" where that is another clause's label)."""
    if count == 1:
        return clause
    label = f"{clause}（{ordinal}）"
    return f"{clause}第{ordinal}项" if label in labels else label


def is_task_of(label: str, clause: str) -> bool:
    """Whether a task labelled ``label`` (``_label``) is of ``clause``: the clause's own, or one
    of its measures when it holds several notes."""
    rest = label.removeprefix(clause)
    return rest != label and (not rest or bool(_MEASURE_ORDINAL.fullmatch(rest)))


def _task(
    clause: Clause,
    measure: Measure,
    label: str,
    ordinal: int,
    resolve: Callable[[str], str | None],
    conventions: _Conventions,
) -> ExtractedTask:
    responsibility = parse_responsibility(
        measure.note.body, resolve, first_is_lead=conventions.first_is_lead
    )
    named = {same_unit(u) for u in responsibility.units}
    added = tuple(u for u in conventions.every_task if same_unit(u) not in named)
    if added:
        responsibility = replace(responsibility, co=(*responsibility.co, *added))
    title = clause.title if ordinal == 1 else _first_phrase(measure.text)
    return ExtractedTask(
        clause=label,
        heading=" > ".join(clause.heading_path),
        title=title,
        text=measure.text,
        note=measure.note.body,
        responsibility=responsibility,
        targets=tuple(extract_targets(measure.text)),
        deadline=measure.note.deadline or deadline_in_text(measure.text),
        conventions=tuple(conventions.stated),
    )


def _first_phrase(text: str) -> str:
    for stop in "。；：，":
        head = text.split(stop, 1)[0]
        if len(head) <= _TITLE_MAX:
            return head
    return text[:_TITLE_MAX] + "…"
