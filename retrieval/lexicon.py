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
class Lexicon:
    terms: frozenset[str] = frozenset()
    stopwords: frozenset[str] = frozenset()
    # normalised alias → canonical department name (canonical names map to themselves)
    aliases: dict[str, str] = field(default_factory=dict)

    @property
    def departments(self) -> frozenset[str]:
        return frozenset(self.aliases.values())


def load_lexicon(corpus_dir: Path) -> Lexicon:
    terms_file = corpus_dir / "terms.txt"
    terms = frozenset(normalize(line.split()[0]) for line in _lines(terms_file))
    stopwords = frozenset(normalize(line) for line in _lines(corpus_dir / "stopwords.txt"))
    aliases: dict[str, str] = {}
    departments_file = corpus_dir / "departments.toml"
    if departments_file.exists():
        for entry in tomllib.loads(departments_file.read_text("utf-8")).get("department", []):
            for name in (entry["name"], entry.get("full_name", ""), *entry.get("aliases", [])):
                if name:
                    aliases[normalize(name)] = entry["name"]
    return Lexicon(terms=terms, stopwords=stopwords, aliases=aliases)


def _lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [line.strip() for line in path.read_text("utf-8").splitlines() if line.strip()]
