"""From a document's clause tree to registry facts: tasks with their departments and targets,
and the task force. Pure: no database.

A task is a clause that closes with a responsibility note ("（X牵头，Y、Z按职责分工负责）").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from registry.responsibility import Responsibility, parse_responsibility
from registry.targets import TargetFact, extract_targets
from registry.taskforce import TaskForce, extract_taskforce
from retrieval.chunking import trailing_parenthetical
from retrieval.clauses import ParsedDocument


@dataclass(frozen=True)
class ExtractedTask:
    clause: str
    heading: str
    title: str
    text: str
    responsibility: Responsibility
    targets: tuple[TargetFact, ...]


@dataclass(frozen=True)
class Extraction:
    tasks: tuple[ExtractedTask, ...]
    taskforce: TaskForce | None
    taskforce_clause: str
    taskforce_text: str


def extract(document: ParsedDocument, resolve: Callable[[str], str | None]) -> Extraction:
    tasks = []
    taskforce, taskforce_clause, taskforce_text = None, "", ""
    for clause in document.walk():
        note = trailing_parenthetical(clause.text)
        if note:
            tasks.append(
                ExtractedTask(
                    clause=clause.label,
                    heading=" > ".join(clause.heading_path),
                    title=clause.title,
                    text=clause.text,
                    responsibility=parse_responsibility(note, resolve),
                    targets=tuple(extract_targets(clause.text)),
                )
            )
        elif taskforce is None and clause.text:
            taskforce = extract_taskforce(clause.text, resolve)
            if taskforce:
                taskforce_clause, taskforce_text = clause.label, clause.text
    return Extraction(tuple(tasks), taskforce, taskforce_clause, taskforce_text)
