"""上位依据: for a ledger task, the clauses of the texts above its plan (the nation's and the
province's plans, the laws) that govern the same work.

Each of the task's sentences is searched in those texts; a clause that closely matches one of them
is a candidate, and the clauses that match best, one per sentence first, are shown. Documents the
task names (贯彻落实《…》) come first when the corpus holds their text, and are listed by name when
it holds only their title. A provincial text applies to the province's own plans only: those of
the deployment's county and those that name the province.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from cachetools import LRUCache

from registry.service import Registry
from registry.views import TaskView
from retrieval.clauses import LOOKS_BACK
from retrieval.search import Searcher, SearchFilter, SearchHit
from retrieval.sources import Source
from retrieval.text import normalize, split_sentences

LEVEL_RANK = {"国家": 3, "省": 2, "市": 1, "县": 0}
_NAMED = re.compile(r"《([^《》]{4,80})》")
_TITLE_NOISE = re.compile(r"^中华人民共和国|[（(][^（）()]*[）)]$")
# a sentence this short says too little to search on ("强化监管。")
_MIN_SENTENCE = 10
# a clause with fewer words of its own is a heading ("（二）深入打好蓝天保卫战。")
_MIN_CLAUSE = 24
# parts of a higher text that require nothing: what was achieved, the situation, the principles
_NOT_REQUIRING = re.compile(
    rf"{LOOKS_BACK.pattern}|指导思想|基本原则|工作原则|总体要求|主要目标|总体目标"
)


@dataclass(frozen=True)
class BasisGate:
    """A clause is a basis when it is this close in meaning to one of the task's sentences, or
    shares this share of its terms."""

    similarity: float = 0.86
    coverage: float = 0.6


@dataclass(frozen=True)
class BasisLink:
    source_id: str
    document: str
    clause: str
    level: str
    text: str  # the clause's words, as written
    sentence: str  # the task's sentence it answers to
    similarity: float  # of the clause to that sentence (dense cosine)
    coverage: float  # share of the sentence's terms the clause holds
    score: float
    named: bool  # the task names this document


@dataclass(frozen=True)
class NamedDocument:
    """A document the task names that the corpus holds no text of."""

    source_id: str
    title: str
    level: str


@dataclass(frozen=True)
class TaskBasis:
    links: tuple[BasisLink, ...]
    named: tuple[NamedDocument, ...]


class BasisFinder:
    def __init__(
        self,
        searcher: Searcher,
        registry: Registry,
        sources: Callable[[], Mapping[str, Source]],
        *,
        county: str,
        limit: int = 5,
        gate: BasisGate | None = None,
    ) -> None:
        """``sources``: the manifest as it is now (uploads add entries); ``county``: the
        deployment's, whose plans the corpus's provincial texts are for."""
        self._searcher = searcher
        self._registry = registry
        self._sources = sources
        self._county = county
        self._limit = limit
        self._gate = gate or BasisGate()
        self._cache: LRUCache[tuple[str, ...], TaskBasis] = LRUCache(maxsize=4096)
        self._lock = threading.Lock()

    def basis(self, task: TaskView) -> TaskBasis:
        """The links of ``task``, best first (computed once per task text and index)."""
        plan = next(d for d in self._registry.documents() if d.id == task.document_id)
        plan_level = plan.level
        # the plan's own words decide whether a province's texts apply to it
        plan_text = plan.title + "".join(t.text for t in self._registry.tasks(document=plan.id))
        digest = hashlib.sha256(f"{task.text}\n{plan_text}".encode()).hexdigest()
        key = (self._searcher.generation(), task.document_id, task.clause, plan_level, digest)
        with self._lock:
            found = self._cache.get(key)
        if found is None:
            found = self._find(task, plan_level, plan_text)
            with self._lock:
                self._cache[key] = found
        return found

    def _find(self, task: TaskView, plan_level: str, plan_text: str) -> TaskBasis:
        sources = self._sources()
        above = self._above(sources, task.document_id, plan_level, plan_text)
        named_ids = _named_sources(task.text, sources)
        with_text = tuple(s for s in named_ids if s in above)
        named = tuple(
            NamedDocument(s, sources[s].title, sources[s].level)
            for s in named_ids
            if s not in with_text and s != task.document_id
        )
        if not above:
            return TaskBasis((), named)
        sentences = _sentences(task)
        best: dict[tuple[str, str], BasisLink] = {}
        for sentence in sentences:
            hits = self._search(sentence, above)
            if with_text:
                hits += self._search(sentence, with_text)
            for hit in hits:
                if not self._passes(hit) or not _requires(hit):
                    continue
                link = self._link(hit, sentence, named=hit.chunk.source_id in with_text)
                key = (link.source_id, link.clause)
                if key not in best or link.score > best[key].score:
                    best[key] = link
        return TaskBasis(self._chosen(best.values()), named)

    def _above(
        self, sources: Mapping[str, Source], own: str, plan_level: str, plan_text: str
    ) -> tuple[str, ...]:
        """The documents with a text above the plan's level that apply to it."""
        plan = sources.get(own)
        rank = LEVEL_RANK.get(plan_level, 0)
        ours = plan is not None and plan.jurisdiction == self._county
        found = []
        for source in sources.values():
            if not source.file or source.id == own or source.kind != "policy":
                continue
            if LEVEL_RANK.get(source.level, 0) <= rank:
                continue
            if source.level != "国家" and not (ours or _names_place(plan_text, source)):
                continue
            found.append(source.id)
        return tuple(found)

    def _search(self, sentence: str, source_ids: tuple[str, ...]) -> list[SearchHit]:
        return list(
            self._searcher.search(sentence, k=3, filters=SearchFilter(source_ids=source_ids))
        )

    def _passes(self, hit: SearchHit) -> bool:
        return hit.similarity >= self._gate.similarity or hit.coverage >= self._gate.coverage

    @staticmethod
    def _link(hit: SearchHit, sentence: str, *, named: bool) -> BasisLink:
        chunk = hit.chunk
        return BasisLink(
            source_id=chunk.source_id,
            document=chunk.document,
            clause=chunk.clause,
            level=chunk.level,
            text=chunk.text,
            sentence=sentence,
            similarity=round(hit.similarity, 4),
            coverage=round(hit.coverage, 4),
            score=round(hit.similarity + 0.2 * hit.coverage + (0.05 if named else 0.0), 4),
            named=named,
        )

    def _chosen(self, links: Iterable[BasisLink]) -> tuple[BasisLink, ...]:
        """The best link of each sentence first (so that every part of a broad task gets its
        basis), then the next best; documents the task names before the others."""
        ranked = sorted(links, key=lambda x: (-x.named, -x.score, x.source_id, x.clause))
        first: dict[str, BasisLink] = {}
        for link in ranked:
            first.setdefault(link.sentence, link)
        lead = sorted(first.values(), key=lambda x: (-x.named, -x.score))
        rest = [x for x in ranked if x not in lead]
        return tuple((lead + rest)[: self._limit])


def _sentences(task: TaskView) -> list[str]:
    """The task's sentences worth a search: not its title, not a few words."""
    text = task.text.replace("\n", "")
    found = [
        s.strip()
        for s in split_sentences(text)
        if len(s.strip()) >= _MIN_SENTENCE and task.title not in s
    ]
    return found or [f"{task.title}{text}"]


def _requires(hit: SearchHit) -> bool:
    """A clause that says what is to be done, not a heading or a review of the past."""
    chunk = hit.chunk
    own = chunk.text.removeprefix(chunk.clause).strip()
    where = f"{chunk.heading} {chunk.title}"
    return len(own) >= _MIN_CLAUSE and not _NOT_REQUIRING.search(where)


def _names_place(plan_text: str, source: Source) -> bool:
    """Whether a plan names the place a provincial or city text is for ("湖南省" or "湖南")."""
    place = source.jurisdiction
    if not place:
        return False
    short = re.sub(r"(?<=..)(?:省|市|自治区|壮族自治区|回族自治区|维吾尔自治区)$", "", place)
    return place in plan_text or short in plan_text


def _title_key(title: str) -> str:
    """A title as plans cite it: 《大气污染防治法》 for 《中华人民共和国大气污染防治法（2018修正）》."""
    return _TITLE_NOISE.sub("", normalize(title))


def _named_sources(text: str, sources: Mapping[str, Source]) -> tuple[str, ...]:
    """The manifest's documents that ``text`` names in 《》, in order of mention: the same title,
    else the one title that contains the name."""
    titles = {_title_key(s.title): s.id for s in sources.values() if s.title}
    found: list[str] = []
    for name in _NAMED.findall(text):
        wanted = _title_key(name)
        match = titles.get(wanted)
        if match is None:
            containing = [sid for title, sid in titles.items() if wanted in title]
            match = containing[0] if len(containing) == 1 else None
        if match and match not in found:
            found.append(match)
    return tuple(found)
