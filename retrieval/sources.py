"""The corpus manifest (``corpus/sources.toml``): what each document is, and where its text is."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Container
from dataclasses import dataclass, fields
from pathlib import Path

import tomlkit

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
    # false for a text above the plan (a national plan, a law): searched and cited, but its notes
    # are not read into the county's task ledger
    ledger: bool = True
    complete: bool = True  # false: the text we hold stops short of the official one (see note)

    @property
    def is_law(self) -> bool:
        """A law or regulation (…法, …条例), cited by article: 《…大气污染防治法》第一百一十九条."""
        return bool(_LAW_TITLE.search(self.title))


_FLAGS = ("ledger", "complete")
_LAW_TITLE = re.compile(r"(?:法|条例)(?:[（(][^）)]*[）)])?$")


class ManifestError(ValueError):
    """The manifest is malformed; the message names the entry."""


def load_sources(*manifests: Path) -> dict[str, Source]:
    """The entries of every manifest that exists; a later manifest's entry replaces an earlier
    one's of the same id (the office's uploads over the shipped corpus)."""
    sources: dict[str, Source] = {}
    for manifest in manifests:
        if manifest.exists():
            sources.update(_load(manifest))
    return sources


def save_source(manifest: Path, source: Source) -> None:
    """Write ``source`` into ``manifest`` (replacing the entry of its id), keeping the file's
    comments and layout; the file is replaced whole, never left half written."""
    document = (
        tomlkit.parse(manifest.read_text("utf-8")) if manifest.exists() else tomlkit.document()
    )
    entries = document.get("source")
    if entries is None:
        entries = tomlkit.aot()
        document.append("source", entries)
    entry = tomlkit.table()
    for f in fields(Source):
        value = getattr(source, f.name)
        if value != f.default or f.name in ("id", "title", "level"):
            entry[f.name] = value
    index = next((i for i, e in enumerate(entries) if e.get("id") == source.id), None)
    if index is None:
        entries.append(entry)
    else:
        entries[index] = entry
    manifest.parent.mkdir(parents=True, exist_ok=True)
    partial = manifest.with_name(f".{manifest.name}.part")
    partial.write_text(tomlkit.dumps(document), "utf-8")
    os.replace(partial, manifest)


def _load(manifest: Path) -> dict[str, Source]:
    known = {f.name for f in fields(Source)}
    sources: dict[str, Source] = {}
    for number, entry in enumerate(tomllib.loads(manifest.read_text("utf-8")).get("source", []), 1):
        if not entry.get("id") or not entry.get("title"):
            raise ManifestError(f"{manifest}: source #{number} needs an id and a title")
        if entry.get("kind", "policy") not in KINDS:
            raise ManifestError(f"{manifest}: source {entry['id']}: kind must be one of {KINDS}")
        if entry.get("level", "县") not in LEVELS:
            raise ManifestError(f"{manifest}: source {entry['id']}: level must be one of {LEVELS}")
        for flag in _FLAGS:
            if not isinstance(entry.get(flag, True), bool):
                raise ManifestError(
                    f"{manifest}: source {entry['id']}: {flag} must be true or false"
                )
        sources[entry["id"]] = Source(
            **{k: v if k in _FLAGS else str(v) for k, v in entry.items() if k in known}
        )
    return sources


def source_for_file(path: Path, sources: dict[str, Source], corpus_dir: Path) -> Source | None:
    """The manifest entry whose ``file`` is ``path``, if there is one."""
    resolved = path.resolve()
    for source in sources.values():
        if source.file and (corpus_dir / source.file).resolve() == resolved:
            return source
    return None


def unlisted_source(path: Path, sources: dict[str, Source]) -> Source:
    """An entry for a file the manifest does not list, named after it: never after an entry it
    would replace (``xiangyin-plan.html`` is ``xiangyin-plan-2`` beside the plan)."""
    return Source(id=new_id(file_id(path.stem), sources), title="", file=str(path))


def new_id(stem: str, taken: Container[str]) -> str:
    """``stem``, or ``stem-2``, ``stem-3`` … when it is taken."""
    found, n = stem, 1
    while found in taken:
        n += 1
        found = f"{stem}-{n}"
    return found


def file_id(stem: str) -> str:
    """A source id made of a file's name. Chinese names stay (an ASCII-only slug made every one
    of them "doc", each replacing the last); the registry keeps ids of up to 100 characters."""
    return re.sub(r"[^\w-]+", "-", stem).strip("-")[:64] or "doc"
