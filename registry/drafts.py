"""Uploaded documents under review before the ledger: a draft, the office's review, publishing.

A draft keeps the measures as read and the office's review as a list of operations: correct a
measure's units, deadline or targets, mark it as no task, split it at a sentence, merge it with
the next. The measures shown are those read with the review replayed, so the next version of the
same document starts from the office's review: a correction applies where its measure (clause)
still exists, a split or merge where the measure's text is unchanged. Publishing writes the
reviewed measures into the ledger and marks the draft published in one transaction; the ledger's
milestones and progress stay with their clauses (see ``Registry.apply_extraction``).
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from registry.deadlines import KINDS as DEADLINE_KINDS
from registry.deadlines import Deadline
from registry.extract import ExtractedTask, Extraction
from registry.models import Draft
from registry.responsibility import Responsibility
from registry.service import (
    Clock,
    Registry,
    RegistryError,
    audited_write,
    extraction_digest,
    get_row,
)
from registry.targets import TargetFact
from registry.taskforce import TaskForce
from registry.views import SyncReport
from retrieval.clauses import ParsedDocument
from retrieval.text import split_sentences

# what an edit may change, with the Chinese name an error message uses
EDITABLE = {
    "title": "标题",
    "leads": "牵头单位",
    "co": "配合单位",
    "deadline": "完成时限",
    "targets": "指标",
    "excluded": "不作为任务",
}
_SPLIT_SUFFIX = "（之二）"
_PHRASE_END = re.compile(r"[，。；：,;:]")


@dataclass(frozen=True)
class Changes:
    """The reviewed measures against what the ledger holds of the same document, by clause."""

    added: tuple[str, ...]
    removed: tuple[tuple[str, str], ...]  # (clause, the ledger task's title)
    changed: tuple[tuple[str, tuple[str, ...]], ...]  # (clause, what changed: 正文, 牵头单位 …)


@dataclass(frozen=True)
class DraftView:
    id: int
    source_id: str
    source: dict[str, Any]
    file_name: str
    status: str
    created_by: str
    created_at: dt.datetime
    measures: tuple[dict[str, Any], ...]
    """The measures with the review replayed; each has ``excluded`` and ``edited`` (fields)."""
    clauses: tuple[dict[str, Any], ...]
    changes: Changes
    carried: int
    """Operations of the previous version's review that still apply."""
    ocr: bool
    """Some of the text was read by OCR."""


@dataclass(frozen=True)
class DraftSummary:
    id: int
    source_id: str
    title: str
    file_name: str
    status: str
    created_by: str
    created_at: dt.datetime


class Drafts:
    def __init__(self, engine: Engine, registry: Registry, *, clock: Clock) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._registry = registry
        self._clock = clock

    # -- a new draft ---------------------------------------------------------------------------
    def create(
        self,
        *,
        source: dict[str, Any],
        file_name: str,
        file_hash: str,
        stored_path: str,
        document: ParsedDocument,
        canonical_names: bool,
        ocr_blocks: frozenset[str] = frozenset(),
        actor: str,
    ) -> DraftView:
        """A draft of ``document`` for the manifest entry ``source`` (id, title, level …); the
        review of the same source's last published draft is carried over where it applies."""
        extraction = self._registry.extract(document, canonical_names=canonical_names)
        title, level = source["title"], source["level"]

        def read_by_ocr(text: str) -> bool:
            return any(block in text for block in ocr_blocks)

        measures = [_measure(task, ocr=read_by_ocr(task.text)) for task in extraction.tasks]
        clauses = [
            {
                "label": c.label,
                "heading": " > ".join(c.heading_path),
                "title": c.title,
                "text": c.text,
                "ocr": read_by_ocr(c.text),
            }
            for c in document.walk()
        ]
        with audited_write(self._sessions, actor=actor, action="draft", at=self._clock()) as audit:
            previous = audit.session.scalars(
                select(Draft)
                .where(Draft.source_id == source["id"], Draft.status == "published")
                .order_by(Draft.id.desc())
                .limit(1)
            ).first()
            carried = _applicable(measures, previous.review if previous else [])
            row = Draft(
                source_id=source["id"],
                source=source,
                file_name=file_name,
                file_hash=file_hash,
                stored_path=stored_path,
                status="draft",
                extraction={
                    "digest": extraction_digest(title, level, extraction),
                    "conventions": list(extraction.conventions),
                    "targets": [asdict(t) for t in extraction.targets],
                    "taskforce": asdict(extraction.taskforce) if extraction.taskforce else None,
                    "taskforce_clause": extraction.taskforce_clause,
                    "taskforce_text": extraction.taskforce_text,
                    "empty_notes": list(extraction.empty_notes),
                    "carried": len(carried),
                },
                measures=measures,
                review=carried,
                clauses=clauses,
                created_by=actor,
                created_at=audit.at,
            )
            audit.session.add(row)
            audit.session.flush()
            audit.record("draft", row.id, None, {"source_id": row.source_id, "file": file_name})
        return self.get(row.id)

    # -- reading -------------------------------------------------------------------------------
    def get(self, draft_id: int) -> DraftView:
        with self._sessions() as session:
            return self._view(_row(session, draft_id))

    def list(self, *, status: str | None = "draft") -> list[DraftSummary]:
        with self._sessions() as session:
            query = select(Draft).order_by(Draft.id.desc())
            if status:
                query = query.where(Draft.status == status)
            return [
                DraftSummary(
                    id=d.id,
                    source_id=d.source_id,
                    title=d.source.get("title", d.source_id),
                    file_name=d.file_name,
                    status=d.status,
                    created_by=d.created_by,
                    created_at=d.created_at,
                )
                for d in session.scalars(query)
            ]

    # -- the office's review -------------------------------------------------------------------
    def edit(self, draft_id: int, key: str, fields: dict[str, Any], *, actor: str) -> DraftView:
        """Correct a measure: ``fields`` among ``EDITABLE`` (leads/co: unit names; deadline:
        {date, kind, text} or None; targets: the measure's target list; excluded: bool)."""
        unknown = set(fields) - set(EDITABLE)
        if unknown or not fields:
            raise RegistryError(f"只能修改：{'、'.join(EDITABLE.values())}")
        return self._review(draft_id, {"op": "edit", "key": key, "fields": _checked(fields)}, actor)

    def split(self, draft_id: int, key: str, *, at: int, actor: str) -> DraftView:
        """Split a measure before its ``at``-th sentence (1-based count of sentences kept)."""
        return self._review(draft_id, {"op": "split", "key": key, "at": at}, actor)

    def merge(self, draft_id: int, key: str, *, actor: str) -> DraftView:
        """Merge a measure with the one after it."""
        return self._review(draft_id, {"op": "merge", "key": key}, actor)

    def discard(self, draft_id: int, *, actor: str) -> None:
        with audited_write(self._sessions, actor=actor, action="discard", at=self._clock()) as a:
            row = _open(a.session, draft_id)
            row.status = "discarded"
            a.record("draft", draft_id, {"status": "draft"}, {"status": "discarded"})

    def publish(self, draft_id: int, *, actor: str) -> tuple[DraftView, SyncReport]:
        """The reviewed measures into the ledger and the draft marked published, in one
        transaction: all of it or, on any error, none."""
        with audited_write(self._sessions, actor=actor, action="publish", at=self._clock()) as a:
            row = _open(a.session, draft_id)
            report = SyncReport(document_id=row.source_id, changed=False)
            # a text above the plan (ledger = false) is searched and cited, never a ledger source
            if row.source.get("ledger", True):
                report = self._registry.apply_extraction(
                    a,
                    source_id=row.source_id,
                    title=row.source["title"],
                    level=row.source["level"],
                    extraction=_extraction(replay(row.measures, row.review), row.extraction),
                    digest=row.extraction["digest"],
                    force=True,
                )
            row.status, row.published_at = "published", a.at
            a.record("draft", draft_id, {"status": "draft"}, {"status": "published"})
        return self.get(draft_id), report

    def _review(self, draft_id: int, op: dict[str, Any], actor: str) -> DraftView:
        with audited_write(self._sessions, actor=actor, action="review", at=self._clock()) as a:
            row = _open(a.session, draft_id)
            current = replay(row.measures, row.review)
            op = _bound(op, current)
            row.review = [*row.review, op]
            a.record("draft", draft_id, None, op)
        return self.get(draft_id)

    def _view(self, row: Draft) -> DraftView:
        measures = replay(row.measures, row.review)
        in_ledger = any(d.id == row.source_id for d in self._registry.documents())
        ledger = self._registry.tasks(document=row.source_id) if in_ledger else []
        return DraftView(
            id=row.id,
            source_id=row.source_id,
            source=dict(row.source),
            file_name=row.file_name,
            status=row.status,
            created_by=row.created_by,
            created_at=row.created_at,
            measures=tuple(measures),
            clauses=tuple(row.clauses),
            changes=_changes(measures, ledger),
            carried=int(row.extraction.get("carried", 0)),
            ocr=any(c["ocr"] for c in row.clauses),
        )


# -- measures as JSON --------------------------------------------------------------------------
def _measure(task: ExtractedTask, *, ocr: bool) -> dict[str, Any]:
    deadline = task.deadline
    return {
        "key": task.clause,
        "clause": task.clause,
        "heading": task.heading,
        "title": task.title,
        "text": task.text,
        "note": task.note,
        "leads": list(task.responsibility.leads),
        "co": list(task.responsibility.co),
        "open_ended": task.responsibility.open_ended,
        "deadline": _deadline_json(deadline) if deadline else None,
        "targets": [asdict(t) for t in task.targets],
        "conventions": list(task.conventions),
        "ocr": ocr,
    }


def _deadline_json(deadline: Deadline) -> dict[str, Any]:
    return {
        "date": deadline.date.isoformat() if deadline.date else None,
        "kind": deadline.kind,
        "text": deadline.text,
    }


def _extraction(measures: list[dict[str, Any]], read: dict[str, Any]) -> Extraction:
    tasks = tuple(_task(m) for m in measures if not m["excluded"])
    force = read.get("taskforce")
    return Extraction(
        tasks=tasks,
        taskforce=TaskForce(**{k: tuple(v) if isinstance(v, list) else v for k, v in force.items()})
        if force
        else None,
        taskforce_clause=read.get("taskforce_clause", ""),
        taskforce_text=read.get("taskforce_text", ""),
        conventions=tuple(read.get("conventions", ())),
        targets=tuple(TargetFact(**t) for t in read.get("targets", ())),
        empty_notes=tuple(read.get("empty_notes", ())),
    )


def _task(m: dict[str, Any]) -> ExtractedTask:
    deadline = m["deadline"]
    return ExtractedTask(
        clause=m["clause"],
        heading=m["heading"],
        title=m["title"],
        text=m["text"],
        note=m["note"],
        responsibility=Responsibility(
            leads=tuple(m["leads"]), co=tuple(m["co"]), open_ended=m["open_ended"], unknown=()
        ),
        targets=tuple(TargetFact(**t) for t in m["targets"]),
        deadline=Deadline(
            date=dt.date.fromisoformat(deadline["date"]) if deadline["date"] else None,
            kind=deadline["kind"],
            text=deadline["text"],
        )
        if deadline
        else None,
        conventions=tuple(m["conventions"]),
    )


# -- the review, replayed ----------------------------------------------------------------------
def replay(read: list[dict[str, Any]], review: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The measures as read with the review's operations applied in order; an operation whose
    measure is gone (or, for a split or merge, whose text changed) is passed over."""
    measures = _unreviewed(read)
    for op in review:
        _apply(measures, op)
    return measures


def _applicable(read: list[dict[str, Any]], review: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The operations of a previous review that apply to the measures of a new version."""
    measures = _unreviewed(read)
    return [op for op in review if _apply(measures, op)]


def _unreviewed(read: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies of the measures as read, before any operation: none excluded, none edited."""
    return [{**copy.deepcopy(m), "excluded": False, "edited": []} for m in read]


def _apply(measures: list[dict[str, Any]], op: dict[str, Any]) -> bool:
    index = next((i for i, m in enumerate(measures) if m["key"] == op["key"]), None)
    if index is None:
        return False
    measure = measures[index]
    if op["op"] == "edit":
        measure.update(copy.deepcopy(op["fields"]))
        # a unit leads or helps, not both: the list just edited decides
        if "leads" in op["fields"]:
            measure["co"] = [n for n in measure["co"] if n not in measure["leads"]]
        elif "co" in op["fields"]:
            measure["leads"] = [n for n in measure["leads"] if n not in measure["co"]]
        measure["edited"] = sorted({*measure["edited"], *op["fields"]})
        return True
    if op["op"] == "split":
        sentences = split_sentences(measure["text"])
        if measure["text"] != op["text"] or not 0 < op["at"] < len(sentences):
            return False
        first, second = "".join(sentences[: op["at"]]), "".join(sentences[op["at"] :])
        rest = {
            **copy.deepcopy(measure),
            "key": f"{measure['key']}{_SPLIT_SUFFIX}",
            "clause": f"{measure['clause']}{_SPLIT_SUFFIX}",
            "title": _PHRASE_END.split(second, maxsplit=1)[0][:30],
            "text": second,
            "targets": [t for t in measure["targets"] if t["text"] not in first],
            "edited": sorted({*measure["edited"], "split"}),
        }
        measure["text"] = first
        measure["targets"] = [t for t in measure["targets"] if t["text"] in first]
        measure["edited"] = sorted({*measure["edited"], "split"})
        measures.insert(index + 1, rest)
        return True
    if op["op"] == "merge":
        if index + 1 >= len(measures):
            return False
        after = measures[index + 1]
        if [measure["text"], after["text"]] != op["texts"]:
            return False
        measure["text"] += after["text"]
        measure["leads"] = list(dict.fromkeys(measure["leads"] + after["leads"]))
        measure["co"] = [
            n for n in dict.fromkeys(measure["co"] + after["co"]) if n not in measure["leads"]
        ]
        measure["open_ended"] = measure["open_ended"] or after["open_ended"]
        measure["targets"] += after["targets"]
        measure["deadline"] = _earlier(measure["deadline"], after["deadline"])
        measure["edited"] = sorted({*measure["edited"], *after["edited"], "merged"})
        del measures[index + 1]
        return True
    return False


def _bound(op: dict[str, Any], measures: list[dict[str, Any]]) -> dict[str, Any]:
    """The operation with the text it applies to recorded, or a Chinese error."""
    index = next((i for i, m in enumerate(measures) if m["key"] == op["key"]), None)
    if index is None:
        raise RegistryError(f"草稿中没有条款 {op['key']}")
    measure = measures[index]
    if op["op"] == "split":
        count = len(split_sentences(measure["text"]))
        if not 0 < op["at"] < count:
            raise RegistryError(
                f"{measure['clause']} 共 {count} 句，只能在第 1 至 {count - 1} 句后拆分"
            )
        return {**op, "text": measure["text"]}
    if op["op"] == "merge":
        if index + 1 >= len(measures):
            raise RegistryError(f"{measure['clause']} 是最后一项，没有可合并的下一项")
        return {**op, "texts": [measure["text"], measures[index + 1]["text"]]}
    return op


def _earlier(a: dict[str, Any] | None, b: dict[str, Any] | None) -> dict[str, Any] | None:
    if a is None or b is None:
        return a or b
    if a["date"] and b["date"]:
        return min(a, b, key=lambda d: d["date"])
    return a if a["date"] else b


def _checked(fields: dict[str, Any]) -> dict[str, Any]:
    """Edited values in the shapes the ledger takes, or a Chinese error naming the field."""
    out: dict[str, Any] = {}
    for name, value in fields.items():
        label = EDITABLE[name]
        if name in ("leads", "co"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise RegistryError(f"{label}应为单位名称列表")
            out[name] = list(dict.fromkeys(v.strip() for v in value if v.strip()))
        elif name == "title":
            if not isinstance(value, str) or not value.strip() or len(value) > 300:
                raise RegistryError(f"{label}不能为空，最多 300 字")
            out[name] = value.strip()
        elif name == "excluded":
            if not isinstance(value, bool):
                raise RegistryError(f"{label}应为是或否")
            out[name] = value
        elif name == "deadline":
            out[name] = _checked_deadline(value)
        else:
            out[name] = _checked_targets(value)
    return out


def _checked_deadline(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("kind") not in DEADLINE_KINDS:
        raise RegistryError("完成时限应写明类型：具体日期、每年或长期")
    date = value.get("date")
    if value["kind"] == "date":
        try:
            date = dt.date.fromisoformat(str(date)).isoformat()
        except ValueError:
            raise RegistryError("完成时限的日期格式应为 YYYY-MM-DD") from None
    else:
        date = None
    text = str(value.get("text") or "").strip()[:200]
    return {"date": date, "kind": value["kind"], "text": text or (date or "")}


def _checked_targets(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise RegistryError("指标应为列表")
    out = []
    for target in value:
        try:
            fact = TargetFact(
                text=str(target["text"]),
                metric=str(target.get("metric", "")),
                value=None if target.get("value") in (None, "") else float(target["value"]),
                unit=str(target.get("unit", "")).strip(),
                kind=str(target.get("kind", "minimum")),
                year=None if target.get("year") in (None, "") else int(target["year"]),
                start_year=None
                if target.get("start_year") in (None, "")
                else int(target["start_year"]),
            )
        except (KeyError, TypeError, ValueError):
            raise RegistryError("指标的数值或年份不是数字") from None
        out.append(asdict(fact))
    return out


def _changes(measures: list[dict[str, Any]], ledger: list[Any]) -> Changes:
    kept = {m["clause"]: m for m in measures if not m["excluded"]}
    tasks = {t.clause: t for t in ledger if not t.retired}
    changed = []
    for clause in kept.keys() & tasks.keys():
        m, t = kept[clause], tasks[clause]
        what = [
            label
            for label, differs in (
                ("正文", m["text"] != t.text),
                ("牵头单位", tuple(m["leads"]) != t.lead_departments),
                ("配合单位", tuple(m["co"]) != t.co_departments),
                (
                    "完成时限",
                    (m["deadline"] or {}).get("text", "")
                    != (t.deadline.text if t.deadline else ""),
                ),
                (
                    "指标",
                    sorted((x["text"], x["unit"]) for x in m["targets"])
                    != sorted((x.text, x.unit) for x in t.targets),
                ),
            )
            if differs
        ]
        if what:
            changed.append((clause, tuple(what)))
    order = list(kept)
    return Changes(
        added=tuple(c for c in order if c not in tasks),
        removed=tuple((c, t.title) for c, t in tasks.items() if c not in kept),
        changed=tuple(sorted(changed, key=lambda item: order.index(item[0]))),
    )


def _row(session: Session, draft_id: int) -> Draft:
    row = get_row(session, Draft, draft_id)
    if row is None:
        raise RegistryError(f"没有编号为 {draft_id} 的草稿")
    return row


def _open(session: Session, draft_id: int) -> Draft:
    row = _row(session, draft_id)
    if row.status != "draft":
        state = {"published": "已发布", "discarded": "已放弃"}.get(row.status, row.status)
        raise RegistryError(f"草稿 {draft_id} {state}，不能再修改")
    return row
