"""The corpus manifest (``corpus/sources.toml``): what each document is, and where its text is."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

LEVELS = ("国家", "省", "市", "县")
KINDS = (
    "policy",
    "guide",
)  # a guide is our plain-language summary: searched, never a ledger source


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    level: str = "县"
    jurisdiction: str = ""
    issuer: str = ""
    date: str = ""
    doc_number: str = ""
    url: str = ""
    file: str = ""
    note: str = ""
    kind: str = "policy"


class ManifestError(ValueError):
    """The manifest is malformed; the message names the entry."""


def load_sources(manifest: Path) -> dict[str, Source]:
    if not manifest.exists():
        return {}
    known = {f.name for f in fields(Source)}
    sources: dict[str, Source] = {}
    for number, entry in enumerate(tomllib.loads(manifest.read_text("utf-8")).get("source", []), 1):
        if not entry.get("id") or not entry.get("title"):
            raise ManifestError(f"{manifest}: source #{number} needs an id and a title")
        if entry.get("kind", "policy") not in KINDS:
            raise ManifestError(f"{manifest}: source {entry['id']}: kind must be one of {KINDS}")
        if entry.get("level", "县") not in LEVELS:
            raise ManifestError(f"{manifest}: source {entry['id']}: level must be one of {LEVELS}")
        sources[entry["id"]] = Source(**{k: str(v) for k, v in entry.items() if k in known})
    return sources


def source_for_file(path: Path, sources: dict[str, Source], corpus_dir: Path) -> Source:
    """The manifest entry whose ``file`` is ``path``; otherwise a new entry named after the file."""
    resolved = path.resolve()
    for source in sources.values():
        if source.file and (corpus_dir / source.file).resolve() == resolved:
            return source
    # Chinese names stay (an ASCII-only slug made every one of them "doc", each replacing the
    # last); the registry keeps ids of up to 100 characters.
    slug = re.sub(r"[^\w-]+", "-", path.stem).strip("-")[:64] or "doc"
    return Source(id=slug, title="", file=str(path))
