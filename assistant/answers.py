"""The question-answering service every channel calls: ``ask(question, audience=...)``.

Registry facts answer first (a department's tasks, who leads, targets, the task force, what is
due); retrieved clauses back them with quotes. Without an LLM the answer is composed from those
rows and quotes only, so it never names a department or a number its citations do not hold.
When nothing relevant passes the evidence gate, it says so plainly.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from typing import TypeVar

from assistant.answer_cache import AnswerCache
from assistant.basis import BasisFinder
from assistant.conversation import ConversationStore, Turn
from assistant.intent import Intent, IntentIndex, frame
from assistant.ledger_names import LedgerNames
from assistant.llm import Rephraser
from assistant.models import Answer, Audience, Citation, Kind, where_cited
from assistant.routing import (
    ASKS_WHEN,
    ORDINAL,
    THESE,
    TOGETHER,
    Levels,
    Route,
    asks_progress,
    continues,
    is_follow_up,
    route,
)
from assistant.texts import Texts
from registry.db import DatabaseUnavailable
from registry.extract import is_task_of
from registry.service import Registry
from registry.targets import TargetFact, extract_targets
from registry.views import TargetView, TaskView
from retrieval.clauses import LOOKS_BACK
from retrieval.search import (
    IndexNotReady,
    IndexUnavailable,
    Searcher,
    SearchFilter,
    SearchHit,
    SearchResults,
)
from retrieval.text import normalize, split_sentences
from retrieval.tokenizer import Tokenizer

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

MAX_QUESTION = 500
LEDGER = "任务台账"
_CN_DIGITS = "零一二三四五六七八九"
_BULLETS = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_WHOLE_QUOTE = 160  # a passage this short is quoted whole
_SHARED_RUN = 8  # characters a chunk and a measure share, at least, to be of one another
# share of a stated indicator's words ("非化石能源消费比重") a question names, at least, to ask it
_NAMES_INDICATOR = 0.5
_METRIC_COVERAGE = 0.8
# A higher text's passage goes before the county's when it shares this much more of the question's
# terms, or is this much closer in meaning while sharing as many and the county's lacks some (one
# naming them all is as much an answer: a long clause's chunk of several topics is less close).
_CLEARLY_MORE_COVERAGE = 0.2
# a figure asked of a higher text may sit in a long plan's task clause below its overview: look
# this far down
_FIGURE_CANDIDATES = 20
# an article line (its opening, an item, a paragraph) splits into sentences; the opening ends
# at the colon before its items, so "拒不改正的，责令停工整治：" stays with the penalty
_ARTICLE_PARTS = re.compile(r"(?<=[。！？：])")
# a penalty question that asks the duty too: "…有什么要求？未按规定报送的如何处罚？"
_ASKS_DUTY = re.compile(r"什么要求|何要求|哪些要求|义务|怎么规定|如何规定|什么规定|哪些规定")
# where a penalty article's offence ends and who enforces it begins
_OFFENCE_END = re.compile(r"[，,](?:由|处)")
# kinds that answer for the whole county when "我们局" names no unit (a note says so)
_WHOLE_COUNTY = frozenset({"progress", "due", "taskforce", "out_of_scope", "restricted"})
# the asker's own unit: a department account or a chat bound to one
_OWN = re.compile(r"我们局|我局|本局|本单位|我们单位|我单位|我们部门|本部门|我们这边|我们的任务")
_NOT_YET = re.compile(
    r"谁还没报|谁没报|哪些单位.{0,4}没报|哪些部门.{0,4}没报|哪家.{0,4}没报|还有谁没|还有哪些没报"
)
# a subsidy asked of ("有补贴吗"), not whom to ask about it ("补贴该问哪个部门")
_ASKS_SUBSIDY = re.compile(
    r"有(?:没有)?(?:补贴|补助)|(?:补贴|补助)(?:吗|多少|标准|怎么算|有没有|没有)|补多少|能补"
)
# whom to ask or where to go, and the parts of a text that say it
_ASKS_WHOM = re.compile(
    r"找谁|问谁|问哪|哪个部门|咨询|手续|办理|去哪|哪去|送哪|放哪|往哪|哪个桶|交给谁|哪里办|申请"
)
_NAMES_WHOM = re.compile(r"咨询|请问|请以|申请|找|物业|网点|交给|投|反映|举报|联系")
# the classes of a thing ("垃圾要分哪几类") and a part naming them ("分为四大类")
_ASKS_CLASSES = re.compile(r"哪几类|几类|哪几种|几种|分哪")
_CLASSES = re.compile(r"[两二三四五六七八九十几]大?[类种]")
# what a kind includes ("有害垃圾都包括啥") and a part listing its items ("废电池、废灯管…等")
_ASKS_ITEMS = re.compile(r"包括|都有啥|都有什么|有哪些东西|算不算")
_ITEMS = re.compile(r"(?:[^、，。：；]{1,8}、){2,}[^、，。：；]{1,8}等")
# what to do about a thing ("装之前要注意些啥", "旧冰箱咋处理", "稻草能拿去干啥") and a part
# that says it: what one can or should do, step by step
_ASKS_HOW = re.compile(
    r"注意|咋办|怎么办|咋弄|怎么弄|咋处理|怎么处理|如何处理|怎样处理|怎么处置|咋整|干啥用|有什么用|去处|"
    r"怎么做|咋做|"
    r"(?:拿去|拿来|用来|能)(?:干啥|干什么|做什么|做啥)"
)
_ADVICE = re.compile(r"可以|交给|先|再|请|一定|用作")
_NAMES_OFFENCE = re.compile(r"罚|处分|后果|拘留|违法|违规|犯法|乱|偷|私自|擅自|非法")
_SHORT_PART = 40
_DIRECT_MAX = 160  # characters of a public direct answer a short part grows to
_ASKS_ROLE = re.compile(r"(牵头|配合)(?:的|哪|了|几|多少)")
_ONLY_OVERDUE = re.compile(r"逾期|超期|过期|拖期|延期")
_ALSO_DUE = re.compile(r"到期|将要|即将|快要|临期")
_ASKS_PENALTY = re.compile(r"罚|处分|后果|拘留|怎么处理|如何处理|会怎样|会怎么样")
# a sum of money, and what sets a penalty
_SUM = r"[\d.一二三四五六七八九十百千万亿]+(?:万|千|亿)?元"
_MONEY = re.compile(_SUM)
_AMOUNT_WORDS = rf"{_SUM}|拘留|倍以上|按日连续处罚"
_AMOUNT = re.compile(_AMOUNT_WORDS)
# what happens to an offence: a fine, detention, criminal liability
_CONSEQUENCE = re.compile(rf"{_AMOUNT_WORDS}|刑事责任|吊销")
# a text that says there is a penalty, with or without its amount ("…会被罚款。")
_PENALTY = re.compile(rf"{_AMOUNT_WORDS}|刑事责任|吊销|罚款")
_CLEARLY_CLOSER = 0.025
# the parts of a quote a direct answer is made of: sentences, clauses, the pieces joined with "……"
_SENTENCES = re.compile(r"(?<=[。！？])|……")
_CLAUSES = re.compile(r"(?<=[；;])")
_ITEM_REFERENCE = re.compile(r"第([一二三四五六七八九十]+)项")
_QUANTITY = re.compile(r"多少|几个|几家|几座|规模|多大|数量")
_WHEN = re.compile(r"哪年|哪一年|什么时候|何时|截止|期限|时限|几年|完成")
_CURRENT = re.compile(r"现在|现有|目前|已有|已经|当前|有多少|有几")
# words of a target question that name no metric
_NOT_METRIC = frozenset(
    [
        "个",
        "家",
        "年",
        "多少",
        "目标",
        "新增",
        "完成",
        "到",
        "要",
        "建",
        "建设",
        "哪年",
        "什么",
        "时候",
        "现在",
        "现有",
        "目前",
        "全县",
        "县",
        "达到",
        "实现",
        "任务",
        "几个",
        "几家",
        "什么时候",
        "截止",
        "期限",
        "时限",
        "多",
        "规模",
        "计划",
        "已有",
        "已经",
        "当前",
        "有",
        "是",
        "要求",
        "何时",
        "那",
        "它",
    ]
)
_UNIT_ASKED = {
    "money": (
        re.compile(r"多少钱|价格|价钱|补贴|费用|收费|电价|几块|多少元"),
        {"元", "万元", "亿元"},
    ),
    "weight": (re.compile(r"多少吨|几吨"), {"吨", "万吨", "吨标准煤", "吨标煤"}),
}
# Refusals and the internal due list keep their fixed wording.
_REPHRASED = {"department_tasks", "responsibility", "target", "taskforce", "policy", "green_living"}
_EMPTY_TEXT = "请输入您想了解的问题，例如：县林业局负责哪些任务？"


def chinese_count(n: int) -> str:
    """Counts in words, so that an answer's digits are only the ones its citations hold."""
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return f"{'' if tens == 1 else _CN_DIGITS[tens]}十{_CN_DIGITS[ones] if ones else ''}"


# How an answer names a higher level's document: 根据国家《…》, 根据省级《…》.
_LEVEL_NAMES = {"国家": "国家", "省": "省级", "市": "市级"}


@dataclass(frozen=True)
class EvidenceGate:
    """A hit is evidence when it shares most of the question's terms or is close in meaning."""

    coverage: float = 0.5
    similarity: float = 0.88

    def passes(self, hit: SearchHit) -> bool:
        return hit.coverage >= self.coverage or hit.similarity >= self.similarity


class AnswerService:
    def __init__(
        self,
        *,
        searcher: Searcher,
        registry: Registry,
        tokenizer: Tokenizer,
        conversations: ConversationStore,
        gate: EvidenceGate | None = None,
        texts: Texts,
        rephraser: Rephraser | None = None,
        county: str | None = None,
        levels: Callable[[], Levels] = Levels,
        basis: BasisFinder | None = None,
        cache: AnswerCache | None = None,
        intents: IntentIndex | None = None,
    ) -> None:
        """``levels``: the laws, the texts above the county's and how questions name their places
        and issuers, read from the manifest as it is (an upload published joins at once);
        ``basis``: finds a task's 上位依据; ``intents``: how each kind of question is put, for
        what the router's keywords leave open."""
        self._cache = cache
        self._searcher = searcher
        self._registry = registry
        self._tokenizer = tokenizer
        self._conversations = conversations
        self._gate = gate or EvidenceGate()
        self._rephraser = rephraser
        self._county = county
        self._texts = texts
        self._levels = levels
        self._basis = basis
        self._intents = intents
        self._not_metric = _NOT_METRIC | set(texts.county_words)
        self._ledger_names = LedgerNames(texts.county_words)

    def ask(
        self,
        question: str,
        *,
        audience: Audience = "official",
        conversation_id: str | None = None,
        department: str | None = None,
    ) -> Answer:
        """``department``: the asker's own (a department account, a chat bound to one): what
        "我们局", "本单位" name."""
        question = " ".join(question.split())[:MAX_QUESTION]
        department = department if audience == "official" else None
        if not question:
            return Answer(
                answer=_EMPTY_TEXT,
                citations=[],
                kind="not_covered",
                conversation_id=conversation_id,
            )
        previous = self._conversations.last(conversation_id)
        key = None
        if self._cache is not None and previous is None:
            key = self._cache_key(question, audience, department)
        cached = self._cache.get(key) if self._cache is not None and key is not None else None
        if cached is not None:
            answer, turn = cached
            self._conversations.remember(conversation_id, turn)
            return answer.model_copy(update={"conversation_id": conversation_id})
        decided, in_domain = self.route_of(
            question, audience=audience, department=department, previous=previous
        )
        own = _OWN.search(question)
        request = _Request(question, audience, decided, previous, in_domain)
        if own and not department and audience == "official":
            request.notes.append("您的账号没有所属部门，以下是全县的情况。")
        answer, turn = self._dispatch(request)
        self._conversations.remember(conversation_id, turn)
        if self._rephraser is not None and answer.kind in _REPHRASED:
            rephrased = self._rephraser.rephrase(question, answer)
            if rephrased is None:
                answer = answer.model_copy(update={"warnings": ["llm_unavailable"]})
            else:
                answer = rephrased
        warnings = [*request.warnings, *answer.warnings]
        answer = answer.model_copy(
            update={"conversation_id": conversation_id, "warnings": warnings}
        )
        if key is not None and self._cache is not None:
            self._cache.put(key, answer, turn)
        return answer

    def route_of(
        self,
        question: str,
        *,
        audience: Audience,
        department: str | None = None,
        previous: Turn | None = None,
        examples: bool = True,
    ) -> tuple[Route, bool]:
        """The route a question takes, and whether it is in the domain. ``examples``: the
        nearest examples decide what the keywords leave open (off only to measure them:
        ``bench.routing``)."""
        mentions = self._mentions(question)
        own = _OWN.search(question)
        departments = list(dict.fromkeys(name for _, name in mentions))
        if own and department:
            departments.append(department)
            mentions.append((own.group(), department))
        topics = self._tokenizer.domain_terms(question)
        in_domain = bool(departments or topics)
        framed, intent = self._read(question, mentions, topics)
        intent = intent if examples else None
        decided = route(
            question,
            audience=audience,
            departments=departments,
            aliases_in_question=[surface for surface, _ in mentions],
            in_domain=in_domain,
            previous=previous.kind if previous else None,
            follow_up=is_follow_up(
                question,
                self._tokenizer.tokens(question),
                # a department named is a topic of its own ("县科技局还有别的任务没？")
                [*topics, *(w for w, _ in mentions)],
            ),
            place=self._texts.county_words,
            scope=self._levels().scope.of(question),
            continues=continues(question),
            intent=intent,
        )
        # why this route, for the logs: what the question named, what it took from before and
        # how it is put (its frame and nearest examples)
        logger.info(
            "route %s: departments=%s follow_up=%s previous=%s in_domain=%s frame=%s intent=%s",
            decided.kind,
            ",".join(decided.departments) or "-",
            decided.follow_up,
            previous.kind if previous else "-",
            in_domain,
            framed,
            intent or "-",
        )
        return decided, in_domain

    def _mentions(self, question: str) -> list[tuple[str, str]]:
        """(words as written, unit) for each department the question names: by the alias
        table, then the ledger's units it does not list (another county's plan)."""
        known = self._tokenizer.mentions(question)
        try:
            units = [d.name for d in self._registry.departments()]
        except DatabaseUnavailable:
            return known
        named = {unit for _, unit in known}
        written = [surface for surface, _ in known]
        return known + [
            (form, unit)
            for form, unit in self._ledger_names.mentions(question, units)
            if unit not in named and not any(form in w or w in form for w in written)
        ]

    def intent_of(self, question: str) -> Intent | None:
        """How the question is put, read by its nearest examples alone (``bench.routing``)."""
        mentions, topics = self._mentions(question), self._tokenizer.domain_terms(question)
        return self._read(question, mentions, topics)[1]

    def _read(
        self, question: str, mentions: Sequence[tuple[str, str]], topics: Sequence[str]
    ) -> tuple[str, Intent | None]:
        """The question's frame (``intent.frame``) and its nearest examples' kind."""
        units = [*(w for w, _ in mentions), *self._texts.county_words]
        framed = frame(question, units, topics)
        return framed, self._intents.nearest(framed) if self._intents is not None else None

    def _cache_key(
        self, question: str, audience: Audience, department: str | None
    ) -> Hashable | None:
        """What a first question's answer depends on (see ``assistant.answer_cache``)."""
        try:
            generation, version = self._searcher.generation(), self._registry.version()
        except (DatabaseUnavailable, IndexNotReady, IndexUnavailable):
            return None  # answered without the cache, from what is there
        return question, audience, department, generation, version, self._registry.today()

    # -- routing to composers ------------------------------------------------------------------
    def _dispatch(self, r: _Request) -> tuple[Answer, Turn]:
        kind = r.route.kind
        if kind == "out_of_scope":
            return Answer(answer=self._texts.out_of_scope, citations=[], kind=kind), r.turn(kind)
        if kind == "restricted":
            what = "各单位的工作推进情况" if asks_progress(r.question) else "到期事项"
            text = f"{what}属于专班内部工作信息，公众渠道不提供；工作人员请登录后查询。"
            return Answer(answer=text, citations=[], kind=kind), r.turn(kind)
        own = _OWN.search(r.question)
        if (
            own
            and r.audience == "official"
            and not r.route.departments
            and kind not in _WHOLE_COUNTY
        ):
            # "我们局有哪些任务" from an account of no department: which unit is not known
            text = (
                f"您的账号没有所属部门，无法确定“{own.group()}”指哪个单位。"
                "请在问题中写明单位名称，例如“县××局负责哪些任务？”。"
            )
            return Answer(answer=text, citations=[], kind="not_covered"), r.turn("not_covered")
        if kind == "progress":
            return self._progress(r)
        if kind == "taskforce":
            return self._taskforce(r)
        if kind == "due":
            return self._due(r)
        if kind == "department_tasks":
            if len(r.route.departments) > 1 and TOGETHER.search(r.question):
                return self._shared_tasks(r, r.route.departments)
            department = r.route.departments[-1] if r.route.departments else ""
            if department:
                return self._department_tasks(r, department)
        tasks = self._topic_tasks(r)
        if kind == "basis" and tasks and self._basis is not None:
            return self._task_basis(r, tasks[0], self._basis)
        if kind == "responsibility" and tasks:
            # a clause label asked of ("二、（二）2.谁负责"): each of its measures when it holds several
            return self._responsibility(r, tasks if _LABEL.search(r.question) else tasks[:1])
        if kind == "target":
            answered = self._targets(r, tasks) if tasks else None
            if answered:
                return answered
            searched = self._search(r, k=5)
            if stated := self._stated_figures(r, searched):
                return stated
            hits = [h for h in searched if self._asks_what_the_text_says(r, h)]
            # no figure, but a passage that answers: "空调开多少度最省电" (the guide's advice),
            # "省考断面水质要达到啥要求" (a rule); never for a sum or a count the texts do not give
            money = _UNIT_ASKED["money"][0].search(r.question)
            count = r.audience == "official" and _QUANTITY.search(r.question)
            if not hits and not money and not count and any(map(self._gate.passes, searched)):
                kind: Kind = "green_living" if r.audience == "public" else "target"
                return self._passages(replace(r, route=replace(r.route, kind=kind)))
            if not hits:
                return self._not_covered(r)
            if ruled := self._target_rule(r, hits[0]):
                return ruled
        return self._passages(r)

    # -- registry answers --------------------------------------------------------------------------
    def _department_tasks(self, r: _Request, department: str) -> tuple[Answer, Turn]:
        tasks = self._registry.tasks(department=department)
        force = self._registry.taskforce()
        lines, citations = [], []
        by_document: dict[str, list[TaskView]] = {}
        for task in tasks:
            by_document.setdefault(task.document, []).append(task)
        n, shown = 0, []
        role = _role_asked(r.question)
        when = bool(ASKS_WHEN.search(r.question))  # "…的任务什么时候完成": with time limits
        for document, own in by_document.items():  # each task under its own document's title
            leads = sum(1 for t in own if t.role_of(department) == "牵头")
            counts = (
                f"{department}在《{document}》中承担{chinese_count(len(own))}项任务"
                f"（牵头{chinese_count(leads)}项、配合{chinese_count(len(own) - leads)}项）"
            )
            # "我们局牵头的是哪几项": those only, so that "第二项" names the second of them
            asked = [t for t in own if t.role_of(department) == role]
            if role and asked:
                lines.append(f"{counts}，{role}的是：")
            elif role:
                lines.append(f"{counts}，没有{role}的任务，全部任务是：")
            else:
                lines.append(f"{counts}：")
            for task in asked or own:
                shown.append(task)
                role_of = task.role_of(department)
                about = f"{role_of}；{_time_limit(task)}" if when else role_of
                lines.append(f"{_BULLETS[n % len(_BULLETS)]} {task.clause}{task.title}（{about}）")
                citations.append(self._task_citation(task, self._summary(task, department)))
                n += 1
        if force and force.convener.startswith(department):
            lines.append(f"{force.name}的召集人由{force.convener}担任（{force.clause}）。")
            sentence = _sentence_with(force.text, force.convener) or force.text
            citations.append(Citation(document=force.document, clause=force.clause, text=sentence))
        elif force and department in (*force.members, *force.deputy_departments, force.office):
            role = _taskforce_role(force, department)
            sentence = _sentence_with(force.text, department.removeprefix("县")) or force.text
            lines.append(
                f"{'此外，' if tasks else ''}{department}是{force.name}的{role}（{force.clause}）。"
            )
            if not tasks:
                lines.append(f"《{force.document}》中没有具体任务条款点名{department}。")
            citations.append(Citation(document=force.document, clause=force.clause, text=sentence))
        if not lines:
            return self._not_covered(r)
        turn = r.turn(
            "department_tasks", task_ids=tuple(t.id for t in shown), departments=(department,)
        )
        return Answer(answer="\n".join(lines), citations=citations, kind="department_tasks"), turn

    def _shared_tasks(self, r: _Request, departments: Sequence[str]) -> tuple[Answer, Turn]:
        """The tasks every department named takes part in ("县发改局和县工信局共同牵头的是哪项"):
        with a role asked, those in which each of them has that role."""
        role = _role_asked(r.question) or next(
            (w for w in ("牵头", "配合") if w in r.question), None
        )
        tasks = self._ledger(r, self._registry.tasks, [])
        shared = [t for t in tasks if all(t.role_of(d) for d in departments)]
        if role:
            shared = [t for t in shared if all(t.role_of(d) == role for d in departments)]
        names = "、".join(departments)
        did = f"共同{role}" if role else "共同承担"
        if not shared:
            text = f"台账中没有{names}{did}的任务。"
            return Answer(answer=text, citations=[], kind="department_tasks"), r.turn(
                "department_tasks", departments=tuple(departments)
            )
        lines = [f"{names}{did}的任务有{chinese_count(len(shared))}项："]
        citations = []
        for n, task in enumerate(shared):
            roles = "、".join(f"{d}{task.role_of(d)}" for d in departments)
            lines.append(f"{_BULLETS[n % len(_BULLETS)]} {task.clause}{task.title}（{roles}）")
            citations.append(self._task_citation(task, self._summary(task, departments[0])))
        turn = r.turn(
            "department_tasks", task_ids=tuple(t.id for t in shared), departments=tuple(departments)
        )
        return Answer(answer="\n".join(lines), citations=citations, kind="department_tasks"), turn

    def _responsibility(self, r: _Request, tasks: Sequence[TaskView]) -> tuple[Answer, Turn]:
        lines, citations = [], []
        for task in tasks:
            who = _who(task)
            who = f"由{who}" if task.lead_departments else f"没有指定牵头单位，由{who}"
            lines.append(f"这项工作属于《{task.document}》{task.clause}“{task.title}”，{who}。")
            quote = self._best_sentences(task.text, r.search_query, limit=1)
            citations.append(self._task_citation(task, quote))
        answer = Answer(answer="\n".join(lines), citations=citations, kind="responsibility")
        return answer, r.turn("responsibility", task_ids=tuple(t.id for t in tasks))

    def _task_basis(self, r: _Request, task: TaskView, finder: BasisFinder) -> tuple[Answer, Turn]:
        """The clauses above a task, each quoted where it meets the task's own words."""
        found = self._ledger(r, lambda: finder.basis(task), None)
        if found is None:
            return self._not_covered(r)
        lines = [f"《{task.document}》{task.clause}“{task.title}”的上位依据（按相关程度排列）："]
        quotes = []
        citations = []
        for n, link in enumerate(found.links):
            quote = self._best_sentences(link.text, link.sentence, limit=1)
            quote = quote.removeprefix(link.clause).strip()
            level = _LEVEL_NAMES.get(link.level, "")
            lines.append(
                f"{_BULLETS[n % len(_BULLETS)]} {level}《{link.document}》{link.clause}：{quote}"
            )
            quotes.append(link.sentence)
            citations.append(
                Citation(document=link.document, clause=link.clause, text=quote, level=link.level)
            )
        if found.named:
            titles = "、".join(f"《{d.title}》" for d in found.named)
            lines.append(f"方案这一条点名贯彻的{titles}，本库只有目录信息，未收录全文。")
            quotes += [
                s for s in split_sentences(task.text) if any(d.title in s for d in found.named)
            ]
        if not found.links:
            lines.append("现有的国家、省级文件和法律中没有找到与这项任务直接对应的条款。")
        own = "".join(dict.fromkeys(quotes)) or self._best_sentences(
            task.text, r.search_query, limit=1
        )
        citations.insert(0, self._task_citation(task, own))
        answer = Answer(answer="\n".join(lines), citations=citations, kind="basis")
        return answer, r.turn("basis", task_ids=(task.id,))

    def _targets(self, r: _Request, tasks: Sequence[TaskView]) -> tuple[Answer, Turn] | None:
        """Targets of the task(s) the question is about that name what it asks for."""
        fits = self._asked_figure(r)
        # the indicator the question names ("受污染耕地安全利用率") must be the task's own
        named = set(self._tokenizer.domain_terms(r.question))
        chosen: dict[int, list[TargetView]] = {}
        for task in tasks:
            if not r.route.follow_up and any(w not in normalize(task.text) for w in named):
                continue
            relevant = [t for t in task.targets if fits(t)]
            if relevant:
                chosen[task.id] = relevant
                break
        if not chosen:
            return None
        lines, citations = [], []
        for task in tasks:
            if task.id not in chosen:
                continue
            phrases = "；".join(t.text for t in chosen[task.id])
            lines.append(f"按《{task.document}》{task.clause}“{task.title}”：{phrases}。")
            lines.append(f"责任单位：{_who(task)}。")
            quote = "……".join(
                s for s in split_sentences(task.text) if any(t.text in s for t in chosen[task.id])
            )
            citations.append(self._task_citation(task, quote))
        turn = r.turn("target", task_ids=tuple(chosen))
        return Answer(answer="\n".join(lines), citations=citations, kind="target"), turn

    def _metric_terms(self, r: _Request) -> set[str]:
        """The question's words (and their plan synonyms) that may name an indicator."""
        return set(self._tokenizer.tokens(self._tokenizer.expand(r.question))) - self._not_metric

    def _asked_figure(self, r: _Request) -> Callable[[TargetView | TargetFact], bool]:
        """Whether a target names what the question asks: a current figure or a goal, in the
        unit asked, a number when a quantity is asked, one of the question's words."""
        metric_terms = self._metric_terms(r)
        asked_units = {
            u
            for pattern, units in _UNIT_ASKED.values()
            if pattern.search(r.question)
            for u in units
        }
        current = bool(_CURRENT.search(r.question))
        quantity = bool(_QUANTITY.search(r.question)) and not _WHEN.search(r.question)
        question = normalize(r.question)

        def names(target: TargetView | TargetFact) -> bool:
            """The target shares a word of the question, and its indicator is the one asked:
            most of its words, or its head (a Chinese name ends in what it is: "森林覆盖率" is
            not "森林抚育" though both say 森林; "收储点" is "标准化收储网点")."""
            if not metric_terms & set(self._tokenizer.tokens(target.text)):
                return False
            own = {w for w in self._tokenizer.tokens(target.metric) if not w.isdigit()}
            shared = metric_terms & own
            return not own or 2 * len(shared) > len(own) or target.metric[-1] in question

        def fits(target: TargetView | TargetFact) -> bool:
            return (
                (target.kind == "baseline") == current
                and (not asked_units or target.unit in asked_units)
                and (not quantity or target.value is not None)
                and (r.route.follow_up or names(target))
            )

        return fits

    def _stated_figures(self, r: _Request, hits: Sequence[SearchHit]) -> tuple[Answer, Turn] | None:
        """A figure no task of the ledger holds, stated where the question finds it: a plan's
        主要目标 without a responsibility note ("到2027年…非化石能源消费比重达到22%左右"). The
        phrases of the first passage that set it for the indicator the question names most
        fully, quoted with their sentence."""
        fits = self._asked_figure(r)
        words = self._metric_terms(r)
        terms = self._tokenizer.domain_terms(r.question)  # an indicator named must be the one set

        def named(fact: TargetFact) -> float:
            """The share of the indicator's words the question names (0 unless it names all of
            the question's indicator terms)."""
            own = set(self._tokenizer.tokens(fact.metric))
            if not own or any(t not in normalize(fact.text) for t in terms):
                return 0.0
            return len(words & own) / len(own)

        # a county question is answered by the county's texts: a higher text's figure for the
        # same indicator is not the county's ("受污染耕地安全利用率": 省、市下达目标, not 93%)
        county = self._levels().scope.of(r.question) is None
        for hit in hits[:3]:
            if not self._gate.passes(hit) or (county and hit.chunk.level != "县"):
                continue
            whole = self._whole(hit)
            facts = {f.text: named(f) for f in extract_targets(whole) if fits(f)}
            best = max(facts.values(), default=0.0)
            if best < _NAMES_INDICATOR:
                continue
            phrases = [text for text, share in facts.items() if share == best]
            quote = "……".join(
                s for s in split_sentences(whole.replace("\n", "")) if any(p in s for p in phrases)
            )
            return self._as_stated(r, hit, f"{'；'.join(phrases)}。", quote)
        return None

    @staticmethod
    def _as_stated(r: _Request, hit: SearchHit, words: str, quote: str) -> tuple[Answer, Turn]:
        """A target answered in the passage's own ``words``, ``quote`` cited."""
        chunk = hit.chunk
        answer = f"按{where_cited(chunk.document, chunk.clause, verified=chunk.verified)}：{words}"
        citation = Citation(
            document=chunk.document,
            clause=chunk.clause,
            text=quote,
            level=chunk.level,
            verified=chunk.verified,
        )
        return Answer(answer=answer, citations=[citation], kind="target"), r.turn("target")

    def _target_rule(self, r: _Request, hit: SearchHit) -> tuple[Answer, Turn] | None:
        """A target the text states as a rule, not a number ("全县PM2.5平均浓度达到省、市下达目标"):
        the sentence that names what is asked, quoted."""
        terms = set(self._tokenizer.tokens(r.question)) - self._not_metric
        clauses = re.split(r"(?<=[。；;])", hit.chunk.text.replace("\n", ""))
        named = [c for c in clauses if terms <= set(self._tokenizer.tokens(c))]
        if not named:
            return None
        rule = "".join(named).strip().rstrip("；;。") + "。"
        rule = re.sub(r"^[（(][一二三四五六七八九十]+[）)][^：:]{0,20}[：:]", "", rule)
        return self._as_stated(r, hit, rule, rule)

    def _asks_what_the_text_says(self, r: _Request, hit: SearchHit) -> bool:
        """The passage names what a target question asks about (nearly all its terms)."""
        terms = set(self._tokenizer.tokens(r.question)) - self._not_metric
        if not terms or any(p.search(r.question) for p, _ in _UNIT_ASKED.values()):
            return False
        return len(terms & set(hit.chunk.tokens)) / len(terms) >= _METRIC_COVERAGE

    def _taskforce(self, r: _Request) -> tuple[Answer, Turn]:
        force = self._registry.taskforce()
        if force is None:
            return self._not_covered(r)
        members = "、".join(force.members) + ("等" if force.members_open_ended else "")
        text = (
            f"{force.name}（《{force.document}》{force.clause}）：召集人由{force.convener}担任；"
            f"副召集人为{'、'.join(force.deputy_conveners)}；成员单位有{members}，"
            f"共{chinese_count(len(force.members))}个；专班办公室设在{force.office}，{force.office_duties}。"
        )
        citation = Citation(document=force.document, clause=force.clause, text=force.text)
        return Answer(answer=text, citations=[citation], kind="taskforce"), r.turn("taskforce")

    def _due(self, r: _Request) -> tuple[Answer, Turn]:
        today = self._registry.today()
        horizon, label = _horizon(r.question, today)
        items = self._registry.due(within_days=(horizon - today).days)
        if r.listed and THESE.search(r.question):
            items = [i for i in items if i.task_id in r.listed]  # of the list shown
        whose = ""
        if r.route.departments:
            wanted = set(r.route.departments)
            items = [i for i in items if wanted & {*i.lead_departments, *i.co_departments}]
            whose = "、".join(r.route.departments)
        what = "到期或逾期未完成的里程碑"
        if _ONLY_OVERDUE.search(r.question) and not _ALSO_DUE.search(r.question):
            items = [i for i in items if i.days_left < 0]  # overdue means overdue
            label, what = "", "逾期未完成的里程碑"
        lead = [*r.notes, f"{whose}{label}{what}"]
        if not items:
            text = "\n".join([*r.notes, f"{whose}{label}没有{what}。"])
            return Answer(answer=text, citations=[], kind="due"), r.turn("due")
        lines = [*lead[:-1], f"{lead[-1]}有{chinese_count(len(items))}个："]
        citations = []
        for item in items:
            state = "已逾期" if item.days_left < 0 else "待完成"
            units = "、".join((*item.lead_departments, *item.co_departments))
            lines.append(
                f"- {item.milestone.due.isoformat()}（{state}）{item.clause}{item.title}：{item.milestone.description}［{units}］"
            )
            citations.append(
                Citation(
                    document=LEDGER,
                    clause=item.clause,
                    text=f"{item.milestone.due.isoformat()} {item.milestone.description}［{units}］",
                )
            )
        turn = r.turn("due", task_ids=tuple(dict.fromkeys(i.task_id for i in items)))
        return Answer(answer="\n".join(lines), citations=citations, kind="due"), turn

    def _progress(self, r: _Request) -> tuple[Answer, Turn]:
        """What the departments have reported: of the task(s) asked about, of a department's
        tasks, or which departments have reported nothing yet. Dates and reporters as filed."""
        tasks = self._ledger(r, self._registry.tasks, [])
        open_tasks = [t for t in tasks if t.closure is None]
        if _NOT_YET.search(r.question) and not r.route.departments:
            return self._not_reported(r, open_tasks)
        if r.route.departments:
            wanted = set(r.route.departments)
            asked = [t for t in tasks if wanted & {*t.lead_departments, *t.co_departments}]
            if "牵头" in r.question:  # "环保分局牵头的那两项报了没有"
                asked = [t for t in asked if wanted & set(t.lead_departments)]
        else:
            asked = self._topic_tasks(r)
        if not asked:
            return self._not_covered(r)
        lines = [*r.notes]
        whose = "、".join(r.route.departments)
        lines.append(f"{whose}{'的' if whose else ''}任务报送情况：")
        citations = []
        for n, task in enumerate(asked):
            head = f"{_BULLETS[n % len(_BULLETS)]} {task.clause}{task.title}"
            citations.append(
                self._task_citation(task, self._best_sentences(task.text, r.search_query, limit=1))
            )
            if task.closure is not None:
                lines.append(f"{head}：已办结（{task.closure.closed_on.isoformat()}）")
                citations.append(
                    Citation(
                        document=LEDGER,
                        clause=task.clause,
                        text=f"{task.closure.closed_on.isoformat()} 办结：{task.closure.note}",
                    )
                )
                continue
            if not task.progress:
                lines.append(f"{head}：尚未报送进展")
                continue
            last = max(task.progress, key=lambda p: (p.reported_on, p.id))
            filed = f"{last.reported_on.isoformat()} {last.department}"
            who = f"（{last.reporter}{'，办公室代填' if last.on_behalf else ''}）"
            lines.append(
                f"{head}：最近一次 {filed}{who}报“{last.status}”，{last.review}；"
                f"共报送{chinese_count(len(task.progress))}次"
            )
            citations.append(
                Citation(
                    document=LEDGER,
                    clause=task.clause,
                    text=f"{filed}{who}{last.status}：{last.note}［{last.review}］",
                )
            )
        turn = r.turn("progress", task_ids=tuple(t.id for t in asked))
        return Answer(answer="\n".join(lines), citations=citations, kind="progress"), turn

    def _not_reported(self, r: _Request, tasks: Sequence[TaskView]) -> tuple[Answer, Turn]:
        """The departments named by open tasks that have no report from them at all."""
        missing: dict[str, list[TaskView]] = {}
        for task in tasks:
            reported = {p.department for p in task.progress}
            for name in (*task.lead_departments, *task.co_departments):
                if name not in reported:
                    missing.setdefault(name, []).append(task)
        if not missing:
            return Answer(
                answer="各责任单位都已报送过进展。", citations=[], kind="progress"
            ), r.turn("progress")
        lines = [*r.notes, f"尚未报送进展的单位有{chinese_count(len(missing))}个："]
        cited: dict[int, TaskView] = {}
        for name, own in missing.items():
            lines.append(f"- {name}：{'、'.join(t.clause for t in own)}")
            cited.update((t.id, t) for t in own)
        citations = [self._task_citation(t, self._summary(t, "")) for t in cited.values()]
        turn = r.turn("progress", task_ids=tuple(cited))
        return Answer(answer="\n".join(lines), citations=citations, kind="progress"), turn

    # -- text answers ----------------------------------------------------------------------------
    def _passages(self, r: _Request) -> tuple[Answer, Turn]:
        searched = self._search(r, k=8)
        hits = [h for h in searched if self._gate.passes(h)]
        if not hits and not r.in_domain:
            return Answer(
                answer=self._texts.out_of_scope, citations=[], kind="out_of_scope"
            ), r.turn("out_of_scope")
        if not hits:
            hits = searched[:2]
        elif r.in_domain and not any(h.chunk.level == "县" for h in hits):
            # a county question a higher text answers: the county's passages sharing most of its
            # words still count (a score a hair higher is no reason to cite another topic)
            county = sorted(
                (h for h in searched if h.chunk.level == "县"), key=lambda h: -h.coverage
            )
            hits += county[:2]
        seen: dict[tuple[str, str], SearchHit] = {}
        for hit in hits:
            seen.setdefault((hit.chunk.source_id, hit.chunk.clause), hit)
        citations: list[Citation] = []
        passages: list[str] = []  # the passages' quotes (not the plan clauses a guide rests on)
        sources: list[str] = []  # where the answer comes from, named once: the quotes are cited
        tasks = {(t.document, t.clause): t for t in self._ledger(r, self._registry.tasks, [])}
        # two passages; a third when a higher text joined the county's
        mixed = len({h.chunk.level == "县" for h in seen.values()}) > 1
        for hit in list(seen.values())[: 3 if mixed else 2]:
            if any(
                (c.document, c.clause) == (hit.chunk.document, hit.chunk.clause) for c in citations
            ):
                continue
            quote = self._quote(hit, r)
            level = _LEVEL_NAMES.get(hit.chunk.level, "")
            # an article's "title" is only its opening words: 第一百一十九条 is the citation
            title = "" if hit.chunk.clause.endswith("条") else f"（{hit.chunk.title}）"
            where = where_cited(hit.chunk.document, hit.chunk.clause, verified=hit.chunk.verified)
            sources.append(f"{level}{where}{title}")
            passages.append(quote)
            citations.append(
                Citation(
                    document=hit.chunk.document,
                    clause=hit.chunk.clause,
                    text=quote,
                    level=hit.chunk.level,
                    verified=hit.chunk.verified,
                )
            )
            # a guide section names the plan clause it rests on: cite that clause too
            for task in (tasks.get(key) for key in _basis(hit.chunk.responsibility)):
                if task is not None and all(
                    (c.document, c.clause) != (task.document, task.clause) for c in citations
                ):
                    basis = self._best_sentences(task.text, r.search_query, limit=1)
                    sources.append(f"《{task.document}》{task.clause}")
                    citations.append(self._task_citation(task, basis))
        if not citations:
            return self._not_covered(r)
        if _ASKS_SUBSIDY.search(r.question) and not any(_MONEY.search(q) for q in passages):
            return self._unsettled(r, passages, citations)
        direct = self._direct(r, passages)
        text = f"{direct}\n依据：{'；'.join(sources)}"
        kind: Kind = r.route.kind if r.route.kind in ("green_living", "target") else "policy"
        if kind == "policy" and r.audience == "public":
            kind = "green_living"
        return Answer(answer=text, citations=citations, kind=kind), r.turn(kind)

    def _direct(self, r: _Request, quotes: Sequence[str]) -> str:
        """The words that answer, before the sources. Officials: the first passage's words as
        quoted (its best sentences; of an article, what it requires and the matching items and
        penalty). The public: the part of the passages shown that names what is asked (the
        penalty, whom to ask, the classes or items of a kind: ``_asked``), else the one that
        meets the question best. A part is a sentence or its clause ("…，投可回收物；"); a
        penalty is judged with the offence its sentence names. A short part says too little
        alone ("动手之前先做好三件事。"): its whole sentence, else what follows it, joins it."""
        if r.audience == "official":
            return quotes[0]
        own = set(self._tokenizer.tokens(r.question))  # the asker's own words count double
        wanted = set(self._tokenizer.tokens(self._tokenizer.expand(r.search_query)))
        prefer = r.asked
        parts = [
            _Part(n, s, i, part, sentence)
            for n, quote in enumerate(quotes)
            for s, sentence in enumerate(_SENTENCES.split(quote.replace("\n", "")))
            for i, part in enumerate(_CLAUSES.split(sentence))
            if part.strip("…；; ")
        ]

        def overlap(text: str) -> int:
            words = set(self._tokenizer.tokens(text))
            return len(wanted & words) + len(own & words)

        def rank(part: _Part) -> tuple[int, int, int, int, int, int]:
            found = overlap(part.text)
            # a penalty is read with the offence it punishes: the rest of its sentence ("未在指定
            # 的地点分类投放…的，…；情节严重的，…罚款。") and the items it names ("个人有前款第一
            # 项…" → "（一）随意倾倒…"); between penalties of a passage as close, these decide
            if prefer is _CONSEQUENCE:
                named = (
                    m.group()
                    for number in _ITEM_REFERENCE.findall(part.text)
                    if (m := re.search(rf"（{number}）[^；。]*", quotes[part.n]))
                )
                context = overlap("".join([part.sentence, *named]))
            else:
                context = found
            if prefer is not None and prefer.search(part.text):
                # what is asked for (the penalty, whom to ask …), closest to what is asked about;
                # whom to ask: a part naming the department before one saying "ask someone"
                vague = prefer is _NAMES_WHOM and not self._tokenizer.departments(part.text)
                return (int(vague), -found, part.n, -context, part.s, part.i)
            return (2, -found, part.n, -context, part.s, part.i)

        ranked = sorted(parts, key=rank)
        best = ranked[0]
        chosen = [best]
        if len(best.text) < _SHORT_PART:
            same = [p for p in parts if (p.n, p.s) == (best.n, best.s)]
            after = [p for p in parts if p.n == best.n and (p.s, p.i) > (best.s, best.i)]
            if len(best.sentence) <= _DIRECT_MAX and len(same) > 1:
                chosen = same
            for part in after if len(chosen) == 1 else ():
                if sum(len(p.text) for p in chosen) + len(part.text) > _DIRECT_MAX:
                    break
                chosen.append(part)
            if len(chosen) == 1:
                chosen += ranked[1:2]
        chosen.sort(key=lambda p: (p.n, p.s, p.i))
        words = "".join(p.text.strip("…") for p in chosen).strip().rstrip("；;，,：:")
        return words if words.endswith(("。", "！", "？")) else f"{words}。"

    def _unsettled(
        self, r: _Request, passages: Sequence[str], citations: list[Citation]
    ) -> tuple[Answer, Turn]:
        """A subsidy the texts speak of but set no amount for: what is known, what is not, and
        whom to ask."""
        known = self._direct(r, passages)
        text = f"现有文件没有写明补贴的标准和金额。文件中有关的内容是：{known}"
        if office := self._office(r):
            where, cited = office
            text += f"\n具体政策请以有关部门的最新公告为准，也可以咨询县“双碳”工作专班办公室（设在{where}）。"
            citations = [*citations, cited]
        return Answer(answer=text, citations=citations, kind="not_covered"), r.turn("not_covered")

    def _not_covered(self, r: _Request) -> tuple[Answer, Turn]:
        text = "抱歉，现有文件中没有找到能回答这个问题的内容，我不能凭空作答。"
        citations = []
        if office := self._office(r):
            where, cited = office
            text += f"建议咨询县“双碳”工作专班办公室（设在{where}）。"
            citations.append(cited)
        return Answer(answer=text, citations=citations, kind="not_covered"), r.turn("not_covered")

    def _office(self, r: _Request) -> tuple[str, Citation] | None:
        """Whom to ask: where the task force's office sits, and the sentence that says so."""
        force = self._ledger(r, self._registry.taskforce, None)
        if force is None:
            return None
        sentence = _sentence_with(force.text, "办公室") or force.text
        return force.office, Citation(document=force.document, clause=force.clause, text=sentence)

    # -- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def _ledger(r: _Request, read: Callable[[], _T], unavailable: _T) -> _T:
        """``read()`` from the registry, or ``unavailable`` while its database cannot be reached:
        answers from the texts keep working, with a warning. Registry answers still fail."""
        try:
            return read()
        except DatabaseUnavailable:
            if "registry_unavailable" not in r.warnings:
                logger.warning("registry unreachable: answering from the texts only")
                r.warnings.append("registry_unavailable")
            return unavailable

    def _search(self, r: _Request, *, k: int) -> list[SearchHit]:
        """Officials get the official texts; the public also our plain-language guide.

        A question about the law (罚款, 处罚, 违法, 法律 …) searches the laws and regulations first;
        one naming the nation or the province, that level's documents first (then every level);
        one naming an issuer (国务院, 湖南省人民政府), that issuer's texts before those. Any other question is a county question: the county's own documents answer it, and a
        higher text's passage joins them when it answers too (see ``_with_higher``)."""
        kinds = ("policy", "guide") if r.audience == "public" else ("policy",)
        # a file no manifest lists is unverified: officials see it marked, the public never
        base = SearchFilter(kinds=kinds, county=self._county, unverified=r.audience == "official")
        levels = self._levels()
        scope = levels.scope.of(r.question)
        if scope == "law" and levels.laws:
            tries = [replace(base, source_ids=levels.laws), base]
        elif scope in ("国家", "省"):
            tries = [replace(base, level=scope), base]
        else:
            tries = [replace(base, level="县")]
        if scope and (issued := levels.scope.issued_by(r.question)):
            tries.insert(0, replace(base, source_ids=issued))
        figures = scope is not None and bool(_QUANTITY.search(r.question))
        if figures:
            k = max(k, _FIGURE_CANDIDATES)
        hits = SearchResults()
        for filters in tries:
            hits = self._searcher.search(r.search_query, k=k, filters=filters)
            if any(self._gate.passes(hit) for hit in hits[:3]):
                break
        if scope == "law" and _ASKS_PENALTY.search(r.question):
            hits = self._penalties_first(r.question, hits)
            if r.audience == "public":
                hits = self._with_plain_words(r, hits, replace(base, kinds=("guide",)))
        elif figures:
            hits = self._figures_first(r, hits)
        if scope is None and levels.higher and not self._names_county(r.question):
            hits = self._with_higher(r, hits, replace(base, source_ids=levels.higher))
        if hits.degraded and "search_degraded" not in r.warnings:
            r.warnings.append("search_degraded")  # keyword search only: the vector store is down
        return hits

    def _names_county(self, question: str) -> bool:
        return any(word in question for word in self._texts.county_words)

    def _penalties_first(self, question: str, hits: SearchResults) -> SearchResults:
        """For a question about a penalty, the articles that set one go first. When it asks the
        duty as well, the duty the first penalty punishes (which another article imposes) goes
        second."""

        marks = [self._sets_penalty(h) for h in hits]
        penalties = [h for h, mark in zip(hits, marks, strict=True) if mark]
        duties = [h for h, mark in zip(hits, marks, strict=True) if not mark]
        if not _ASKS_DUTY.search(question):
            return hits.reordered([*penalties, *duties])
        if penalties and duties:
            # the duty is the one the penalty names ("…未按照本法规定报送能源利用状况报告的，由…"):
            # the article most made of the offence's words
            offence = set(self._tokenizer.tokens(_OFFENCE_END.split(penalties[0].chunk.text)[0]))

            def names_offence(hit: SearchHit) -> float:
                words = set(self._tokenizer.tokens(hit.chunk.text))
                return len(offence & words) / (len(words) or 1)

            duties.sort(key=names_offence, reverse=True)
        return hits.reordered([*penalties[:1], *duties[:1], *penalties[1:], *duties[1:]])

    def _with_plain_words(
        self, r: _Request, hits: SearchResults, filters: SearchFilter
    ) -> SearchResults:
        """A penalty asked by the public: our guide's section on it, when it states the amount
        (of a regulation the corpus may not hold: 烟花爆竹), joins second after the law."""
        found = self._searcher.search(r.search_query, k=2, filters=filters)
        plain = next((h for h in found if self._gate.passes(h) and self._names_penalty(h)), None)
        if plain is None:
            return hits
        return hits.reordered([*hits[:1], plain, *hits[1:]])

    def _sets_penalty(self, hit: SearchHit) -> bool:
        return bool(_AMOUNT.search(self._whole(hit)))

    def _names_penalty(self, hit: SearchHit) -> bool:
        return bool(_PENALTY.search(self._whole(hit)))

    def _whole(self, hit: SearchHit) -> str:
        """The whole clause a hit is a chunk of."""
        return self._searcher.clause_text(hit.chunk.source_id, hit.chunk.clause) or hit.chunk.text

    def _figures_first(self, r: _Request, hits: SearchResults) -> SearchResults:
        """For a figure asked of a higher text ("湖南“十四五”风电装机目标是多少"), the passages that
        set a figure for more of what is asked go first; a part looking back (现状, “十三五”成效)
        sets none."""
        terms = set(self._tokenizer.tokens(self._tokenizer.expand(r.question))) - self._not_metric

        def figure_terms(hit: SearchHit) -> int:
            """How many of the question's terms the passage's best figure names."""
            if LOOKS_BACK.search(f"{hit.chunk.heading} {hit.chunk.title}"):
                return 0
            facts = extract_targets(self._whole(hit))
            return max(
                (
                    len(terms & set(self._tokenizer.tokens(fact.text)))
                    for fact in facts
                    if fact.value is not None and fact.kind != "baseline"
                ),
                default=0,
            )

        return hits.reordered(sorted(hits, key=figure_terms, reverse=True))

    def _with_higher(
        self, r: _Request, county: SearchResults, filters: SearchFilter
    ) -> SearchResults:
        """A county question that a higher text (a law, say) answers as well: its best passage
        joins the county's, first when it matches the question clearly better."""
        found = self._searcher.search(r.search_query, k=3, filters=filters)
        higher = next((h for h in found if self._gate.passes(h)), None)
        if higher is None:
            return county
        own = county[0] if county else None
        if own is None or (
            higher.coverage >= own.coverage + _CLEARLY_MORE_COVERAGE
            or (
                higher.similarity >= own.similarity + _CLEARLY_CLOSER
                and higher.coverage >= own.coverage
                and own.coverage < 1.0
            )
        ):
            merged = [higher, *county]
        elif higher.coverage >= own.coverage or higher.similarity >= own.similarity:
            merged = [own, higher, *county[1:]]
        else:
            return county
        return county.reordered(merged)

    def _topic_tasks(self, r: _Request) -> list[TaskView]:
        """Tasks the question is about: the item of the list just shown it names ("第二项"),
        the previous turn's for a follow-up, the clause it names, else by search."""
        by_id = {t.id: t for t in self._ledger(r, self._registry.tasks, [])}
        if r.route.follow_up and r.previous:
            if item := ORDINAL.search(r.question):
                listed = [by_id[i] for i in r.listed if i in by_id]
                n = _ordinal(item.group(1))
                return listed[n - 1 : n] if 0 < n <= len(listed) else []
            ids = r.listed if THESE.search(r.question) else r.previous.task_ids or r.listed
            if shown := [by_id[i] for i in ids if i in by_id]:
                return shown
        if labels := _LABEL.findall(r.question):
            named = [
                t for t in by_id.values() if any(is_task_of(t.clause, label) for label in labels)
            ]
            if named:
                return named
        of_document: dict[str, list[TaskView]] = {}
        for task in by_id.values():
            of_document.setdefault(task.document_id, []).append(task)
        found: list[TaskView] = []
        for hit in self._search(r, k=10):
            task = _task_of(hit, of_document.get(hit.chunk.source_id, []))
            if task and task not in found and (self._gate.passes(hit) or r.on_topic):
                found.append(task)
        return found[:3]

    def _quote(self, hit: SearchHit, r: _Request) -> str:
        """A passage's words for an answer: all of a short one; of an article, its opening (what
        it requires, who enforces, the penalty) and the items and paragraphs that match; else the
        sentences of the clause that match, those naming what is asked first (``r.asked``).
        Without the label: "第一百一十九条 违反本法…" is cited as 第一百一十九条. A clause split into
        several chunks is quoted from all of them."""
        whole = self._whole(hit)
        if len(whole.replace("\n", "")) <= _WHOLE_QUOTE:
            quote = whole.replace("\n", "")
        elif hit.chunk.clause.endswith("条"):
            quote = self._article_quote(whole, r.search_query)
        else:
            quote = self._best_sentences(
                whole, r.search_query, limit=2, prefer=r.asked, own=r.question
            )
        return quote.removeprefix(hit.chunk.clause).strip()

    def _article_quote(self, text: str, query: str) -> str:
        """An article's opening (up to the colon that opens its items) and its best three items
        or paragraphs; the ones that set an amount count more when a penalty is asked."""
        parts = [p.strip() for line in text.splitlines() for p in _ARTICLE_PARTS.split(line)]
        parts = [p for p in parts if p]
        wanted = set(self._tokenizer.tokens(self._tokenizer.expand(query)))
        fine = bool(_ASKS_PENALTY.search(query))

        def overlap(i: int) -> int:
            found = len(wanted & set(self._tokenizer.tokens(parts[i])))
            return found + (2 if fine and _AMOUNT.search(parts[i]) else 0)

        best = sorted(range(1, len(parts)), key=lambda i: (-overlap(i), i))[:3]
        quote, previous = "", -1
        for i in sorted({0, *(i for i in best if overlap(i))}):
            quote += ("……" if previous >= 0 and i != previous + 1 else "") + parts[i]
            previous = i
        return quote

    def _best_sentences(
        self,
        text: str,
        query: str,
        *,
        limit: int,
        prefer: re.Pattern[str] | None = None,
        own: str = "",
    ) -> str:
        """The ``limit`` sentences sharing most of the query's words (``own``: the asker's
        words, which count double), in their order; those matching ``prefer`` (what the question
        asks for: an amount, whom to ask) first. A short sentence that opens what follows
        ("动手之前先做好三件事。") brings the sentences after it, up to ``_DIRECT_MAX``."""
        wanted = set(self._tokenizer.tokens(self._tokenizer.expand(query)))
        asker = set(self._tokenizer.tokens(own))
        sentences = [s for s in split_sentences(text.replace("\n", "")) if s.strip()]

        def rank(i: int) -> tuple[bool, int, int]:
            words = set(self._tokenizer.tokens(sentences[i]))
            found = len(wanted & words) + len(asker & words)
            return (prefer is None or not prefer.search(sentences[i]), -found, i)

        keep = set(sorted(range(len(sentences)), key=rank)[:limit])
        for i in sorted(keep):
            size, j = len(sentences[i]), i + 1
            while size < _SHORT_PART and j < len(sentences):
                if size + len(sentences[j]) > _DIRECT_MAX:
                    break
                keep.add(j)
                size, j = size + len(sentences[j]), j + 1
        return "".join(sentences[i] for i in sorted(keep))

    def _summary(self, task: TaskView, department: str) -> str:
        """The sentence of the task that most concerns the department, else its opening one."""
        stem = re.sub(r"^(县|市)|(局|中心|分局|服务中心)$", "", department)
        sentences = split_sentences(task.text.replace("\n", ""))
        body = [s for s in sentences if "按职责分工负责" not in s and "牵头" not in s]
        return _sentence_with("".join(body), stem) or (body[1] if len(body) > 1 else body[0])

    @staticmethod
    def _task_citation(task: TaskView, quote: str) -> Citation:
        note = f"（{task.note}）" if task.note else ""
        text = quote if not note or task.note in quote else f"{quote}……{note}"
        return Citation(document=task.document, clause=task.clause, text=text)


def _time_limit(task: TaskView) -> str:
    """A task's time limit as its plan writes it, or that it states none."""
    if task.deadline is None:
        return "方案未写明完成时限"
    return f"完成时限：{task.deadline.text}"


def _who(task: TaskView) -> str:
    """Its units as its note assigns them: "县发改局牵头，县工信局等按职责分工负责"."""
    parts = []
    if task.lead_departments:
        parts.append(f"{'、'.join(task.lead_departments)}牵头")
    if task.co_departments:
        etc = "等" if task.open_ended else ""
        parts.append(f"{'、'.join(task.co_departments)}{etc}按职责分工负责")
    return "，".join(parts)


def _task_of(hit: SearchHit, tasks: Sequence[TaskView]) -> TaskView | None:
    """The task of ``tasks`` (one document's) a hit's chunk belongs to: its clause's; of a clause
    with several notes (tasks 二、（二）2.（1） and 二、（二）2.（2）, or …第1项, …第2项), the one whose
    measure shares the longest run of text with the chunk."""
    clause = hit.chunk.clause
    if own := next((t for t in tasks if t.clause == clause), None):
        return own
    runs = [
        (SequenceMatcher(None, t.text, hit.chunk.text, autojunk=False).find_longest_match().size, t)
        for t in tasks
        if is_task_of(t.clause, clause)
    ]
    size, best = max(runs, key=lambda run: run[0], default=(0, None))
    return best if size >= _SHARED_RUN else None


@dataclass(frozen=True)
class _Part:
    """A part of a quote a public answer is made of: passage n, sentence s, its clause i."""

    n: int
    s: int
    i: int
    text: str
    sentence: str


@dataclass(frozen=True)
class _Request:
    question: str
    audience: Audience
    route: Route
    previous: Turn | None
    in_domain: bool
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # said before the answer

    @property
    def on_topic(self) -> bool:
        """In the domain, itself or as a follow-up of a question that was."""
        return self.in_domain or (self.route.follow_up and self.previous is not None)

    @property
    def asked(self) -> re.Pattern[str] | None:
        """What the answer must name (``_asked``); a question pointing back that asks nothing
        itself ("那用完的干电池呢？" after "旧衣服放哪个桶？") asks what the last one asked."""
        own = _asked(self.question)
        if own is None and self.previous is not None and continues(self.question):
            return _asked(self.previous.query)
        return own

    @property
    def search_query(self) -> str:
        if self.route.follow_up and self.previous:
            return f"{self.previous.query} {self.question}"
        return self.question

    def turn(
        self, kind: Kind, *, task_ids: tuple[int, ...] = (), departments: tuple[str, ...] = ()
    ) -> Turn:
        listed = task_ids if len(task_ids) > 1 else self.listed
        return Turn(
            kind=kind,
            query=self.search_query,
            task_ids=task_ids,
            departments=departments,
            listed=listed,
        )

    @property
    def listed(self) -> tuple[int, ...]:
        """The tasks of the last list shown in the conversation."""
        return self.previous.listed if self.previous else ()


_BASIS = re.compile(r"依据《(?P<document>[^》]+)》(?P<clauses>.+)$")
_LABEL = re.compile(r"[一二三四五六七八九十]+、(?:（[一二三四五六七八九十]+）)?(?:\d+\.)?")


def _basis(note: str) -> list[tuple[str, str]]:
    """(document, clause) pairs a guide's note rests on: "依据《方案》二、（一）2.和二、（一）4."."""
    found = _BASIS.search(note)
    if not found:
        return []
    return [(found["document"], label) for label in _LABEL.findall(found["clauses"])]


def _asked(question: str) -> re.Pattern[str] | None:
    """What a sentence that answers names: what follows an offence, whom to ask or where to
    go, the classes of a thing, the items of a kind."""
    question = normalize(question)
    # "旧冰箱怎么处理" asks what to do with it; "乱扔垃圾怎么处理", "违法排污怎么处理" the penalty
    if _ASKS_PENALTY.search(question) and (
        _NAMES_OFFENCE.search(question) or not _ASKS_HOW.search(question)
    ):
        return _CONSEQUENCE
    if _ASKS_WHOM.search(question):
        return _NAMES_WHOM
    if _ASKS_CLASSES.search(question):
        return _CLASSES
    if _ASKS_ITEMS.search(question):
        return _ITEMS
    return _ADVICE if _ASKS_HOW.search(question) else None


def _role_asked(question: str) -> str | None:
    """ "牵头的是哪几项" asks the tasks a department leads; "配合的有哪些", those it supports."""
    found = _ASKS_ROLE.search(normalize(question))
    return found.group(1) if found else None


def _ordinal(word: str) -> int:
    """第二 → 2, 第十二 → 12, 第3 → 3."""
    if word.isdigit():
        return int(word)
    tens, _, ones = word.rpartition("十")
    if "十" not in word:
        return _CN_DIGITS.index(word)
    return (_CN_DIGITS.index(tens) if tens else 1) * 10 + (_CN_DIGITS.index(ones) if ones else 0)


def _sentence_with(text: str, word: str) -> str:
    return next((s for s in split_sentences(text.replace("\n", "")) if word and word in s), "")


def _taskforce_role(force, department: str) -> str:  # type: ignore[no-untyped-def]
    if department == force.office and department in force.deputy_departments:
        return "副召集人单位和专班办公室所在单位"
    if department in force.deputy_departments:
        return "副召集人单位"
    return "成员单位" if department in force.members else "专班办公室所在单位"


def _horizon(question: str, today: dt.date) -> tuple[dt.date, str]:
    """The last day a due question covers, and how to say it."""
    if "今年" in question or "本年" in question:
        return dt.date(today.year, 12, 31), "今年内"
    if "本月" in question or "这个月" in question:
        following = dt.date(today.year + today.month // 12, today.month % 12 + 1, 1)
        return following - dt.timedelta(days=1), "本月内"
    if "本周" in question or "这周" in question:
        return today + dt.timedelta(days=6 - today.weekday()), "本周内"
    return today + dt.timedelta(days=30), "三十天内"
