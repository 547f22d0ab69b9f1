"""Which kind of question this is: keyword signals over the normalised question.

Registry questions (a department's tasks, who leads, targets, the task force, what is due) are
answered from the ledger; the rest from retrieved clauses. Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from assistant.intent import Intent
from assistant.models import Audience, Kind
from retrieval.sources import Source
from retrieval.text import normalize

_TASKFORCE = re.compile(r"专班|召集人|成员单位|办公室设在|领导小组|哪个领导|哪位领导|总牵头")
_DUE = re.compile(r"到期|逾期|里程碑|本月|这个月|本周|下个月|今年.{0,6}(完成|到期|截止|要做)")
# what departments have reported (进展): the ledger's, for officials only
_PROGRESS = re.compile(
    r"进展|进度|报了|报没报|报送|没报|未报|还没报|干完了没|做完了没|完成了没|干得怎么样|"
    r"完成情况|落实情况|推进情况|推进得怎么样|(?:建|装|完成|做|修|种|改造|新增)了(?:多少|几)|"
    r"(?:建成|落地|完成|装好|开工)了?(?:多少|几)[个家座项]?了"
)
# a question this short naming no topic asks on about the conversation's ("烧了罚多少钱？");
# the domain words that say what is asked, not about what
_ELLIPTIC = 12
_ASKING = re.compile(r"罚|多少|几|谁|管|哪")
# a follow-up naming an item of the list just shown: "第二项呢？"
ORDINAL = re.compile(r"第([一二三四五六七八九十]+|\d+)(?:项|个|条|件)")
# "这些里哪些逾期了？": the tasks just shown
THESE = re.compile(r"这些|这几项|这几个|上面|其中|刚才")
_RESPONSIBILITY = re.compile(
    r"谁牵头|牵头单位|牵头部门|谁负责|由谁|谁来|归谁|哪个部门|哪些部门|哪个单位|(?<!纳入)哪些单位|哪家|"
    r"配合单位|责任单位|责任部门|负责单位|负责部门|牵头的|配合的|谁管|归哪|挑头|哪几家|几家负责|谁抓"
)
_TARGET = re.compile(
    r"多少|几个|几家|几座|哪年|哪一年|什么时候|何时|截止|期限|时限|几年|目标是|要达到|到哪年|完成时间|多大|规模"
)
# what a task rests on: the clauses above it (上位依据)
_BASIS = re.compile(
    r"上位依据|上位文件|上位政策|上级依据|政策依据|依据是什么|依据什么|依据哪|根据什么文件|根据哪些?文件|"
    r"出处是|哪个上级文件|上级(?:文件|政策)(?:是|有|怎么|对)"
)
_DEPARTMENT_DUTY = re.compile(
    r"负责|任务|职责|干什么|做什么|干啥|做啥|管什么|管哪些|承担|工作|活儿|几项|手上|手头|牵头还是配合"
)
# several departments asked of together ("县发改局和县工信局共同牵头的是哪项")
TOGETHER = re.compile(r"共同|一起|同时|联合|都(?:有|是|参与|负责|牵头|配合)")
# asks when: of a department's tasks, their time limits ("县林业局的任务什么时候完成")
ASKS_WHEN = re.compile(r"什么时候|何时|哪年|哪一年|截止|期限|时限|完成时间|几时|多久")
_FOLLOW_UP = re.compile(r"^(那|那么|还有)|它|这项|该项|这个任务|其|呢[？?]?$")
# words that carry no topic of their own: a question made only of them continues the last one
_NO_TOPIC = frozenset(
    [
        "牵头",
        "负责",
        "部门",
        "单位",
        "配合",
        "责任",
        "完成",
        "时间",
        "目标",
        "多少",
        "哪年",
        "时候",
        "什么",
        "具体",
        "任务",
        "工作",
        "要求",
        "谁",
        "哪些",
        "哪个",
        "那",
        "它",
        "呢",
        "其",
        "这项",
        "该项",
        "还有",
        "那么",
        "截止",
        "期限",
        "何时",
        "几年",
        "是",
        "有",
        "的",
        "要",
        "哪",
        "管",
        "归",
        "数量",
        "达到",
        "怎么",
        "样",
        "主要",
        "分别",
        "又",
        "一下",
        "请问",
        "那它",
        "这事",
        "这块",
        "归谁",
        "几家",
        "哪几家",
        "定",
        "进展",
        "进度",
        "报",
        "报送",
        "没有",
        "如何",
        "怎么样",
        "了",
        "吗",
        "都",
        "挑头",
        "上位依据",
        "上位",
        "依据",
        "上级",
        "出处",
    ]
)  # what is left of a department question once the department and these words are removed
_GENERIC = re.compile(
    r"负责|哪些|什么|任务|职责|工作|承担|具体|主要|都|有|的|是|在|方案|中|里|干|做|管|啥|了|要|呢|吗|"
    r"请问|一下|县|那|几|两|哪|项|活儿?|手上|手头|双碳|牵头|配合|还是|[？?！!。，,、\s]"
)
# the nearest examples decide only when close and agreed (see bench/routing.py)
_CLOSE = 0.3
_AGREED = 0.6
_SURE = 0.6  # close enough to decide over an ambiguous keyword (多少, 截止)
_OUT_OF_SCOPE = re.compile(
    r"天气|气温|下雨|股票|股市|大盘|基金|彩票|双色球|比分|世界杯|球赛|明星|演唱会|电影|电视剧|八卦|"
    r"高考|分数线|房价|减肥|菜谱|餐馆|好吃|护照|签证|个税|个人所得税|医保|社保|养老保险|高铁|火车票"
)


@dataclass(frozen=True)
class Route:
    kind: Kind
    departments: tuple[str, ...]
    follow_up: bool


def is_follow_up(question: str, tokens: list[str], domain_terms: list[str]) -> bool:
    """A short question with no topic of its own ("那它什么时候完成？", "牵头的是谁？"), one
    naming nothing of the domain but what it asks ("烧了罚多少钱？"), or one naming an item of
    the list just shown ("第二项呢？"). A topic the question names wins over the conversation's
    ("林业碳汇摸底这项任务谁牵头？" is about 林业碳汇). ``domain_terms``: the lexicon's words
    in the question."""
    text = normalize(question)
    if ORDINAL.search(text) or THESE.search(text):
        return True
    if len(text) <= _ELLIPTIC and not [w for w in domain_terms if not _ASKING.search(w)]:
        return True
    return len(text) <= 16 and not set(tokens) - _NO_TOPIC


def asks_progress(question: str) -> bool:
    """What departments have reported ("进展怎么样", "报了没有")."""
    return bool(_PROGRESS.search(normalize(question)))


def continues(question: str) -> bool:
    """A short question that points back: it asks the previous question again, of what it
    names ("那净土保卫战呢？", "县水利局呢？")."""
    text = normalize(question)
    return len(text) <= 16 and bool(_FOLLOW_UP.search(text))


def only_department(
    question: str, departments: list[str], aliases: list[str], place: Sequence[str] = ()
) -> bool:
    """True when nothing but a department, the place's name ("湘阴") and generic words remains
    ("县林业局负责哪些任务")."""
    rest = normalize(question)
    for name in sorted((*departments, *aliases, *place), key=len, reverse=True):
        rest = rest.replace(normalize(name), "")
    return not _GENERIC.sub("", rest)


# Questions about what the law says, or what the nation or the province requires: answered from
# those texts, not from the county's ledger.
_ABOUT_LAW = re.compile(
    r"罚款|罚多少|处罚|被罚|罚不罚|会罚|能罚|罚吗|怎么罚|如何罚|罚钱|违法|犯法|合法|法律|法规|条例|依法|"
    r"哪条法|法律责任|起诉|法院|赔偿"
)
# 国家级/省级 name an award or a park's grade ("省级零碳园区"), not whose text is asked for.
_ABOUT_NATION = re.compile(r"国家(?!级)|国务院|党中央|中央(?:要求|规定|文件)")
_ABOUT_PROVINCE = re.compile(r"省里|全省|省委|省政府|省上")
_PROVINCE_SUFFIX = re.compile(r"(?<=..)(?:省|壮族自治区|回族自治区|维吾尔自治区|自治区|市)$")


# "国管局、国家发展改革委、财政部" and "中共中央 国务院" name several issuers; "生态环境部等7部门"
# names its first one.
_ISSUER_SEPARATOR = re.compile(r"[、，,；;\s]+|等\d*个?部门")


class Scope:
    """Which level's texts a question asks about; ``provinces`` are the places the corpus's
    provincial texts are for ("湖南省"), which a question names as "湖南省" or "湖南";
    ``issuers``: each text's id and issuer as the manifest gives them, so that a question naming
    an issuer ("国务院对…有什么要求") is answered from that issuer's texts first."""

    def __init__(
        self, provinces: Sequence[str] = (), issuers: Mapping[str, str] | None = None
    ) -> None:
        words = {w for p in provinces for w in (p, _PROVINCE_SUFFIX.sub("", p)) if w}
        names = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        self._province = re.compile(rf"(?:{names})(?!省?级)") if names else None
        self._issued: dict[str, list[str]] = {}
        for source_id, issuer in (issuers or {}).items():
            for name in filter(None, _ISSUER_SEPARATOR.split(normalize(issuer))):
                self._issued.setdefault(name, []).append(source_id)

    def issued_by(self, question: str) -> tuple[str, ...]:
        """The ids of the texts of the issuer a question names (the longest name it contains)."""
        text = normalize(question)
        named = [name for name in self._issued if name in text]
        return tuple(self._issued[max(named, key=len)]) if named else ()

    def of(self, question: str) -> str | None:
        """ "law", "国家" or "省" for a question about that level's texts; None for the county's."""
        text = normalize(question)
        if _ABOUT_LAW.search(text):
            return "law"
        if _ABOUT_NATION.search(text):
            return "国家"
        if _ABOUT_PROVINCE.search(text) or (self._province and self._province.search(text)):
            return "省"
        return None


def route(
    question: str,
    *,
    audience: Audience,
    departments: list[str],
    aliases_in_question: list[str],
    in_domain: bool,
    previous: Kind | None,
    follow_up: bool,
    place: Sequence[str] = (),
    scope: str | None = None,
    continues: bool = False,
    intent: Intent | None = None,
) -> Route:
    """``follow_up``: the question is about the previous turn's topic (see ``is_follow_up``);
    ``continues``: it asks the previous turn's question of a topic it names ("那净土保卫战呢？");
    ``place``: how people name the county ("湘阴县", "湘阴"); ``scope``: the level of texts it
    asks about (``Scope.of``); ``intent``: the nearest examples' reading (``intent``), for
    what no keyword decides."""
    text = normalize(question)
    follow_up = previous is not None and follow_up
    names = tuple(departments)
    if not in_domain and _OUT_OF_SCOPE.search(text):
        return Route("out_of_scope", names, False)
    if _TASKFORCE.search(text):
        return Route("taskforce", names, follow_up)
    if asks_progress(text) and not scope:  # "未按规定报送的如何处罚" asks the law
        return Route("progress" if audience == "official" else "restricted", names, follow_up)
    if _DUE.search(text):
        return Route("due" if audience == "official" else "restricted", names, follow_up)
    if _BASIS.search(text):
        return Route("basis", names, follow_up)
    if len(departments) > 1 and TOGETHER.search(text) and not scope:
        return Route("department_tasks", names, follow_up)  # the tasks they share
    if departments and only_department(text, departments, aliases_in_question, place):
        return Route("department_tasks", names, follow_up)
    if scope and not departments:
        return Route("green_living" if audience == "public" else "policy", names, follow_up)
    if _RESPONSIBILITY.search(text):
        return Route("responsibility", names, follow_up)
    if sure := _sure(intent, ("progress", "due")):
        # "本季度截止的有哪些", "建成几个了": put as the ledger's dates and reports are asked
        return Route(sure if audience == "official" else "restricted", names, follow_up)
    if departments and _DEPARTMENT_DUTY.search(text) and ASKS_WHEN.search(text) and not follow_up:
        return Route("department_tasks", names, follow_up)  # each task with its time limit
    if _TARGET.search(text):
        return Route("target", names, follow_up)
    if departments and _DEPARTMENT_DUTY.search(text) and not follow_up:
        return Route("department_tasks", names, follow_up)
    if previous == "department_tasks" and ORDINAL.search(text):
        return Route("responsibility", names, True)  # "第二项呢？": that item, in full
    if (follow_up or continues) and previous in ("target", "responsibility", "department_tasks"):
        return Route(previous, names, follow_up)
    if intent is not None and intent.similarity >= _CLOSE and intent.share >= _AGREED:
        # no keyword decided: how the question is put, by its nearest examples
        if intent.kind in ("progress", "due") and audience == "official" and not scope:
            return Route(intent.kind, names, follow_up)  # the public's only when sure
        if intent.kind == "department_tasks" and departments:
            return Route("department_tasks", names, follow_up)
        if intent.kind in ("responsibility", "target", "taskforce", "basis") and in_domain:
            return Route(intent.kind, names, follow_up)
    return Route("green_living" if audience == "public" else "policy", names, follow_up)


def _sure(intent: Intent | None, kinds: Sequence[Kind]) -> Kind | None:
    """The intent's kind, when one of ``kinds`` and put almost as an example is."""
    if intent is not None and intent.kind in kinds and intent.similarity >= _SURE:
        return intent.kind
    return None


@dataclass(frozen=True)
class Levels:
    """What the manifest says of its texts that answers need: which are laws (cited by article),
    which stand above the county's, and how questions name their provinces and issuers."""

    laws: tuple[str, ...] = ()
    higher: tuple[str, ...] = ()
    scope: Scope = field(default_factory=Scope)

    @classmethod
    def of(cls, sources: Mapping[str, Source]) -> Levels:
        present = [s for s in sources.values() if s.file]
        above = [s for s in present if s.level != "县"]
        return cls(
            laws=tuple(s.id for s in present if s.is_law),
            higher=tuple(s.id for s in above),
            # the places the provincial texts are for, as questions name them ("湖南省的…")
            scope=Scope(
                [s.jurisdiction for s in above if s.level == "省"], {s.id: s.issuer for s in above}
            ),
        )
