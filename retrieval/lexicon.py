"""The vocabulary that tunes tokenisation: domain terms, department names and aliases, stop words.

Read from data files in ``corpus/`` (``terms.txt``, ``departments.toml``, ``stopwords.txt``);
the files are optional so that the search works on any corpus folder.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from retrieval.text import normalize


@dataclass(frozen=True)
class DepartmentEntry:
    """One row of ``departments.toml``: the canonical name as the plan writes it, and aliases."""

    name: str
    full_name: str = ""
    level: str = "县"
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lexicon:
    terms: frozenset[str] = frozenset()
    stopwords: frozenset[str] = frozenset()
    # normalised alias → canonical department name (canonical names map to themselves)
    aliases: dict[str, str] = field(default_factory=dict)
    # normalised everyday word → the plan's words for it (query expansion)
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def resolve(self, name: str) -> str | None:
        """The canonical department name for any way of writing it, or None."""
        return self.aliases.get(normalize(name.strip()))


def load_departments(corpus_dir: Path) -> list[DepartmentEntry]:
    path = corpus_dir / "departments.toml"
    if not path.exists():
        return []
    return [
        DepartmentEntry(
            name=entry["name"],
            full_name=entry.get("full_name", ""),
            level=entry.get("level", "县"),
            aliases=tuple(entry.get("aliases", ())),
        )
        for entry in tomllib.loads(path.read_text("utf-8")).get("department", [])
    ]


def load_lexicon(corpus_dir: Path) -> Lexicon:
    terms = frozenset(normalize(line.split()[0]) for line in _lines(corpus_dir / "terms.txt"))
    stopwords = frozenset(normalize(line) for line in _lines(corpus_dir / "stopwords.txt"))
    aliases = {
        normalize(name): entry.name
        for entry in load_departments(corpus_dir)
        for name in (entry.name, entry.full_name, *entry.aliases)
        if name
    }
    synonyms_file = corpus_dir / "synonyms.toml"
    expand = (
        tomllib.loads(synonyms_file.read_text("utf-8")).get("expand", {})
        if synonyms_file.exists()
        else {}
    )
    synonyms = {normalize(word): tuple(map(normalize, plan)) for word, plan in expand.items()}
    return Lexicon(terms=terms, stopwords=stopwords, aliases=aliases, synonyms=synonyms)


def _lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [line.strip() for line in path.read_text("utf-8").splitlines() if line.strip()]
