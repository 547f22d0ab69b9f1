"""Documents as the office receives them: uploaded, read (OCR where scanned), extracted into a
draft for review, then published into the ledger, the manifest and search.

Publishing order: the ledger first (one transaction with the draft's status), then the uploads'
manifest entry, then the search index. A failure after the ledger's commit is reported with what
to do (``policyqa ingest`` indexes what the manifest lists); nothing is half written.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from assistant.ingest import IngestService
from registry.drafts import Drafts, DraftView
from registry.views import SyncReport
from retrieval.ingest import IngestItem, Ingestor, parse_source
from retrieval.loaders import SUPPORTED_SUFFIXES, DocumentError
from retrieval.sources import LEVELS, Source, file_id, save_source
from retrieval.store import CHROMA_UNREACHABLE

# what the office fills in for a new manifest entry
ENTRY_FIELDS = ("id", "title", "issuer", "level", "doc_number", "date", "jurisdiction", "url")
_ID = re.compile(r"^[\w-]{1,100}$")
_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")


class IntakeError(ValueError):
    """A file or entry the office must fix; the message is Chinese, for end users."""


@dataclass(frozen=True)
class Published:
    draft: DraftView
    ledger: SyncReport
    indexed: bool
    warning: str = ""


class IntakeService:
    def __init__(
        self,
        ingest: IngestService,
        ingestor: Ingestor,
        drafts: Drafts,
        *,
        uploads_dir: Path,
        max_bytes: int,
    ) -> None:
        self._ingest = ingest
        self._ingestor = ingestor
        self._drafts = drafts
        self._uploads = uploads_dir
        self._max_bytes = max_bytes

    @property
    def drafts(self) -> Drafts:
        return self._drafts

    def upload(
        self, file_name: str, data: bytes, entry: dict[str, Any], *, actor: str
    ) -> DraftView:
        """Read ``data`` (named ``file_name``) and extract a draft for the manifest ``entry``
        (an existing entry's id and fields, or a new one's). Nothing indexed or in the ledger
        changes; a file that cannot be read is refused with a Chinese message."""
        source = self._source(entry, file_name)
        if not data:
            raise IntakeError("文件是空的，请重新选择。")
        if len(data) > self._max_bytes:
            raise IntakeError(
                f"文件过大（{len(data) / 2**20:.0f} MB），上限为 {self._max_bytes // 2**20} MB。"
            )
        suffix = Path(file_name).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            known = "、".join(sorted(SUPPORTED_SUFFIXES))
            raise IntakeError(f"不支持“{suffix or '无扩展名'}”文件；可上传：{known}")
        digest = hashlib.sha256(data).hexdigest()
        path = self._uploads / f"{digest[:32]}{suffix}"
        kept = path.exists()  # the same file uploaded before: another draft may name it
        self._store(path, data)
        try:
            read = self._ingestor.read(path)
        except DocumentError as exc:
            if not kept:
                path.unlink(missing_ok=True)
            # the message names the file as the office knows it, not as it is stored
            raise IntakeError(str(exc).replace(path.name, file_name)) from None
        source = replace(source, file=str(path))
        document = parse_source(read.blocks, source)
        if not source.title:
            source = replace(source, title=document.title)
        return self._drafts.create(
            source={f.name: getattr(source, f.name) for f in fields(Source)},
            file_name=file_name,
            file_hash=digest,
            stored_path=str(path),
            document=document,
            canonical_names=self._ingest.is_own(source, document),
            ocr_blocks=frozenset(item.text for item in read.items if item.ocr),
            actor=actor,
        )

    def publish(self, draft_id: int, *, actor: str) -> Published:
        draft, report = self._drafts.publish(draft_id, actor=actor)
        source = Source(**draft.source)
        try:
            save_source(self._uploads / "sources.toml", source)
        except OSError as exc:
            return Published(
                draft, report, False, f"已写入台账，但来源清单无法保存：{exc.strerror or exc}"
            )
        try:
            index = self._ingestor.ingest([IngestItem(Path(source.file), source)])
        except CHROMA_UNREACHABLE:
            return Published(
                draft, report, False, "已写入台账；检索服务暂时无法连接，稍后运行 policyqa ingest。"
            )
        if index.failed:
            return Published(
                draft, report, False, f"已写入台账；检索索引未更新：{index.failed[0][1]}"
            )
        return Published(draft, report, True)

    def _source(self, entry: dict[str, Any], file_name: str) -> Source:
        """The manifest entry: the one named by ``entry['id']`` updated by the fields given,
        or a new one."""
        values = {k: str(v).strip() for k, v in entry.items() if k in ENTRY_FIELDS and v}
        known = self._ingest.sources()
        base = known.get(values.get("id", ""))
        if base is None:
            if "id" not in values:
                # named after the file, never after an entry it would replace unasked
                stem = file_id(Path(file_name).stem)
                values["id"], n = stem, 1
                while values["id"] in known:
                    n += 1
                    values["id"] = f"{stem}-{n}"
            if not _ID.match(values["id"]):
                raise IntakeError("编号只能由字母、数字、汉字、下划线和连字符组成（最多 100 字）。")
            base = Source(id=values["id"], title="")
        if values.get("level", base.level) not in LEVELS:
            raise IntakeError(f"层级只能是：{'、'.join(LEVELS)}")
        if values.get("date") and not _DATE.match(values["date"]):
            raise IntakeError("成文日期的格式应为 YYYY-MM-DD。")
        source = replace(base, **values)
        if "ledger" in entry:
            source = replace(source, ledger=bool(entry["ledger"]))
        return source

    @staticmethod
    def _store(path: Path, data: bytes) -> None:
        """The upload under its content hash, written whole or not at all."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            partial = path.with_name(f".{path.name}.part")
            partial.write_bytes(data)
            os.replace(partial, path)
