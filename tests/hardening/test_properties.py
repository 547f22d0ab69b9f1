"""Property tests of the text extractors: any input, no crash, and what they return is in the text.

Inputs are made of the pieces real plans are made of (clause numbers, department names and their
aliases, duty words, years, numbers with units, brackets and punctuation, full-width and
Traditional forms) shuffled with arbitrary text.
"""

from __future__ import annotations

import re
import tomllib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.responsibility import parse_responsibility
from registry.targets import KINDS, extract_targets
from registry.units import fold
from retrieval.clauses import parse_clauses
from retrieval.lexicon import load_lexicon
from retrieval.text import normalize
from tests.conftest import CORPUS

RESOLVE = load_lexicon(CORPUS).resolve
DEPARTMENTS = tomllib.loads((CORPUS / "departments.toml").read_text("utf-8"))["department"]
NAMES = [n for d in DEPARTMENTS for n in (d["name"], d.get("full_name", ""), *d["aliases"]) if n]
# every way of writing each canonical name that the alias table knows
WRITTEN_AS = {
    d["name"]: {normalize(n) for n in (d["name"], d.get("full_name", ""), *d["aliases"]) if n}
    for d in DEPARTMENTS
}
# Deterministic: a failure is the same on every machine and every run.
PROPERTY = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

TEXT = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["", " ", "\u3000", "\n", "\t"]
)


def _made_of(pieces: list[str], *, max_size: int = 30) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(pieces) | TEXT, max_size=max_size).map("".join)


# -- clauses -----------------------------------------------------------------------------------

MARKERS = [
    "第一章", "第十二章", "第3章", "第一条", "第二十条", "一、", "十一、", "二.", "（一）", "(二)",
    "（十）", "1.", "12.", "3、", "１．", "（1）", "(2)", "⑴", "⒉", "①", "1.5万吨", "2030年",
]  # fmt: skip
CLAUSE_TEXT = [
    "推进屋顶光伏", "。", "：", "；", "（县发改局牵头）", "到2030年新增充电桩1107个", "附件",
    "主要目标", "保障措施", "!", "?", ".", "　",
]  # fmt: skip
BLOCKS = st.lists(
    st.lists(st.sampled_from(MARKERS + CLAUSE_TEXT) | TEXT, max_size=8).map("".join),
    max_size=25,
)


@PROPERTY
@given(BLOCKS, st.sampled_from(["", "某县方案"]))
def test_clause_tree_invariants(blocks: list[str], title: str) -> None:
    document = parse_clauses(blocks, title=title)
    labels = [c.label for c in document.walk()]
    assert len(labels) == len(set(labels)), labels
    assert document.title in (title, *blocks[:1])
    for clause in document.walk():
        assert clause.label and clause.heading_path
        assert clause.text in "\n".join(blocks), clause  # original characters, in order
        for child in clause.children:
            assert child.label.startswith(clause.label) and child.rank > clause.rank
            assert child.heading_path[:-1] == clause.heading_path


# -- responsibility notes ----------------------------------------------------------------------

DUTY = [
    "牵头", "负责", "按职责分工负责", "分工负责", "配合", "协助", "参与", "牵头负责", "牵頭",
    "牵头单位：", "责任单位：", "配合单位:", "、", "，", ",", "；", "等", "等相关单位", "由", "和",
    "（", "）", "(", ")", "（含国有林场）", "（负责）", "。", " ",
]  # fmt: skip
UNKNOWN_UNITS = ["县某某局", "市甲中心", "乙镇政府", "县高新区管委会"]
NOTES = _made_of(NAMES + DUTY + UNKNOWN_UNITS)


@PROPERTY
@given(NOTES)
def test_responsibility_names_only_units_in_the_note(note: str) -> None:
    found = parse_responsibility(note, RESOLVE)
    written = normalize(note)
    for name in (*found.leads, *found.co):
        assert name.strip(), found
        if name in found.unknown:
            # kept as written, without the line breaks and spaces a PDF puts inside a name
            assert name in re.sub(r"\s", "", note), (name, note)
        else:
            assert any(alias in written for alias in WRITTEN_AS[name]), (name, note)
    assert not set(found.leads) & set(found.co)
    assert set(found.unknown) <= {*found.leads, *found.co}


# -- targets -----------------------------------------------------------------------------------

TARGET_PIECES = [
    "到", "至", "截至", "力争", "确保", "2030年", "２０２７年", "2026—2028年", "2025年底前", "前",
    "较2020年", "新增", "建成", "不低于", "不超过", "达到", "下降", "提高到", "现有", "累计",
    "1107", "1,200", "1.2", "55", "３．５", "个", "GW", "万千瓦", "%", "亿元", "吨标准煤", "座",
    "以上", "以内", "左右", "，", "。", "；", "、", "《", "》", "（", "）", "三年行动",
    "公用充电桩", "森林覆盖率", "PM2.5", "十五五", "实现碳达峰", "全面完成",
]  # fmt: skip


@PROPERTY
@given(_made_of(TARGET_PIECES, max_size=40))
def test_targets_are_phrases_of_the_text(text: str) -> None:
    for fact in extract_targets(text):
        assert fact.text and fact.text in text, fact
        assert fact.metric in fact.text, fact
        assert fact.kind in KINDS, fact
        if fact.value is not None:
            assert fact.unit and fact.value >= 0, fact
            assert fold(fact.text).count(fact.unit) >= 1, fact
        if fact.year is not None:
            assert str(fact.year) in fold(text), fact
        if fact.start_year is not None:
            assert fact.kind == "period" and fact.start_year <= fact.year, fact  # type: ignore[operator]
