"""Ingest as the office runs it: files or folders, matched to the corpus manifest, indexed for
search and extracted into the task registry."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

from assistant.routing import Levels
from registry.service import Registry, RegistryError
from registry.views import SyncReport
from retrieval.clauses import ParsedDocument
from retrieval.ingest import IngestItem, Ingestor, IngestReport, parse_source
from retrieval.loaders import SUPPORTED_SUFFIXES
from retrieval.sources import Source, load_sources, source_for_file, unlisted_source


class UnknownSource(ValueError):
    """``--source-id`` names no manifest entry."""


@dataclass
class IngestOutcome:
    index: IngestReport
    registry: list[SyncReport] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    """What the office should look at: documents without a task, notes without a unit."""
    warnings: list[str] = field(default_factory=list)
    """Files the manifest does not list: indexed as unverified, kept from the public and the
    ledger."""

    @property
    def failed(self) -> list[tuple[str, str]]:
        return self.index.failed

    def summary(self) -> str:
        changed = [r for r in self.registry if r.changed]
        if not changed:
            return f"{self.index.summary()}；台账无变化"
        tasks = sum(r.tasks for r in changed)
        targets = sum(r.targets for r in changed)
        deadlines = sum(r.deadlines for r in changed)
        return (
            f"{self.index.summary()}；台账更新：任务 {tasks} 项（其中 {deadlines} 项有完成时限），"
            f"指标 {targets} 个"
        )


class IngestService:
    def __init__(
        self,
        ingestor: Ingestor,
        registry: Registry,
        *,
        corpus_dir: Path,
        manifests: tuple[Path, ...],
        county: str,
    ) -> None:
        self._ingestor = ingestor
        self._registry = registry
        self._corpus_dir = corpus_dir
        self._manifests = manifests
        self._county = county
        self._lock = threading.Lock()
        self._read_as: tuple[object, dict[str, Source], Levels] | None = None

    def sources(self) -> dict[str, Source]:
        """The manifest entries: the corpus's, and the office's uploads (see ``Settings``)."""
        return dict(self._read()[0])

    def levels(self) -> Levels:
        """The manifest's texts as answers see them (laws, texts above the county's, places and
        issuers), following it when an upload is published."""
        return self._read()[1]

    def _read(self) -> tuple[dict[str, Source], Levels]:
        """The manifests, read again only when one of them changed (a stat per call)."""
        key = tuple(_stamp(p) for p in self._manifests)
        with self._lock:
            if self._read_as is None or self._read_as[0] != key:
                sources = load_sources(*self._manifests)
                self._read_as = (key, sources, Levels.of(sources))
            return self._read_as[1], self._read_as[2]

    def ingest(
        self,
        paths: list[Path] | None = None,
        *,
        source_id: str | None = None,
        progress: bool = False,
    ) -> IngestOutcome:
        """Ingest ``paths`` (default: every manifest entry that has a file)."""
        items = self._items(paths, source_id)
        outcome = IngestOutcome(self._ingestor.ingest(items, progress=progress))
        failed = {path for path, _ in outcome.index.failed}
        self._drop_unlisted_copies([i for i in items if i.verified and str(i.path) not in failed])
        for item in items:
            if str(item.path) in failed:
                continue
            if not item.verified:
                outcome.warnings.append(_unlisted(item.path, self._manifests[0]))
            elif item.source.kind == "policy" and item.source.ledger:
                document = parse_source(self._ingestor.read(item.path).blocks, item.source)
                report = self._registry.sync_document(
                    source_id=item.source.id,
                    title=document.title,
                    level=item.source.level,
                    document=document,
                    canonical_names=self.is_own(item.source, document),
                )
                outcome.registry.append(report)
                outcome.notices.extend(_notices(report, document.title, named=bool(paths)))
        return outcome

    def write_vectors(self) -> tuple[Path, int]:
        """The corpus's vectors as a seed file (``corpus/vectors/``), so that a fresh install
        ingests without waiting for the embedding model."""
        return self._ingestor.write_seeds(self._items(None, None), self._corpus_dir / "vectors")

    def remove(self, source_id: str, *, actor: str) -> tuple[bool, int]:
        """Take a document out of search and the ledger: (was it indexed, tasks retired)."""
        indexed = bool(self._ingestor.remove([source_id]))
        try:
            tasks = self._registry.remove_document(source_id, actor=actor)
        except RegistryError:
            if not indexed:
                raise
            tasks = 0  # a guide: indexed for search, never in the ledger
        return indexed, tasks

    def is_own(self, source: Source, document: ParsedDocument) -> bool:
        """Whether a document is the county's own, so that the alias table names its units."""
        if source.jurisdiction:
            return source.jurisdiction == self._county
        opening = document.title + "".join(c.text for c in document.clauses[:3])[:2000]
        return self._county in opening

    def _items(self, paths: list[Path] | None, source_id: str | None) -> list[IngestItem]:
        sources = self.sources()
        if source_id is not None and source_id not in sources:
            known = "、".join(sources) or "（清单为空）"
            raise UnknownSource(f"来源清单中没有 {source_id}；已有：{known}")
        if not paths:
            return [IngestItem(self._corpus_dir / s.file, s) for s in sources.values() if s.file]
        files = [f for p in paths for f in _expand(p)]
        if source_id is not None:
            if len(files) != 1:
                raise UnknownSource("--source-id 只能配合单个文件使用")
            return [IngestItem(files[0], replace(sources[source_id], file=str(files[0])))]
        items = []
        for f in files:
            listed = source_for_file(f, sources, self._corpus_dir)
            if listed is None:
                items.append(IngestItem(f, unlisted_source(f, sources), verified=False))
            else:
                items.append(IngestItem(f, listed))
        return items

    def _drop_unlisted_copies(self, listed: list[IngestItem]) -> None:
        """A file ingested unlisted, now listed under another id: its unverified copy goes."""
        sources = self.sources()
        named = {unlisted_source(i.path, sources).id for i in listed} - {
            i.source.id for i in listed
        }
        stale = named & self._ingestor.unverified()
        if stale:
            self._ingestor.remove(sorted(stale))


def _unlisted(path: Path, manifest: Path) -> str:
    return (
        f"{path} 不在来源清单（sources.toml）中，已按未核实文件建立检索索引：只有工作人员能检索到，"
        "并标注“未列入来源清单，未核实”；不向公众提供，不进入任务台账。核实后请在 "
        f"{manifest} 中为它添加条目（file 指向该文件）再运行 policyqa ingest，"
        f"或用 policyqa ingest {path} --draft 审核后发布。"
    )


def _notices(report: SyncReport, title: str, *, named: bool) -> list[str]:
    notices = []
    if report.changed and not report.tasks and named:
        notices.append(
            f"《{title}》中没有找到责任分工（如“责任单位：…”“（X牵头，Y配合）”或任务分解表），"
            "已建立检索索引，台账中没有新增任务。"
        )
    if report.empty_notes:
        labels = "、".join(report.empty_notes[:10]) + ("等" if len(report.empty_notes) > 10 else "")
        notices.append(f"《{title}》中 {labels} 的责任说明没有可识别的单位，请在台账中补充。")
    if report.changed and report.conventions:
        notices.append(f"《{title}》按文件约定处理：{'；'.join(report.conventions)}")
    return notices


def _expand(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix.lower() in SUPPORTED_SUFFIXES)
    return [path]


def _stamp(path: Path) -> tuple[int, int] | None:
    """When a file was written and how long it is; None while it does not exist."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_size
