"""Tests for registry.responsibility: every note of the plan, and the ways other plans write them."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.responsibility import Responsibility, parse_responsibility
from registry.units import canonical_unit, fold, split_unit_list
from retrieval.chunking import trailing_parenthetical
from retrieval.clauses import parse_clauses
from retrieval.lexicon import load_lexicon
from retrieval.loaders import read_blocks
from tests.conftest import CORPUS

PLAN = CORPUS / "xiangyin-shuangtan-plan.txt"
ECO = "市生态环境局湘阴分局"


@pytest.fixture(scope="module")
def resolve():
    return load_lexicon(CORPUS).resolve


@pytest.fixture(scope="module")
def notes() -> dict[str, str]:
    """Clause label → its responsibility note, for every clause of the plan that has one."""
    document = parse_clauses(read_blocks(Path(PLAN)))
    found = {clause.label: trailing_parenthetical(clause.text) for clause in document.walk()}
    return {label: note for label, note in found.items() if note}


# --- the plan ----------------------------------------------------------------------------------

PLAN_NOTES = {
    "二、（一）1.": ((), ("县发改局", ECO, "县工信局", "县自然资源局", "县统计局"), False),
    "二、（一）2.": ((), ("县发改局", ECO, "县工信局", "县科技局"), False),
    "二、（一）3.": ((), ("县发改局", "县工信局", "县农业农村局", ECO, "县高新区"), False),
    "二、（一）4.": (
        (),
        (
            "县发改局", "县自然资源局", ECO, "县财政局", "县商务粮食局", "县工信局", "县住建局",
            "县交通运输局", "县林业局",
        ),
        True,
    ),
    "二、（二）1.": (
        (ECO,),
        (
            "县住建局", "县公安局", "县发改局", "县工信局", "县交通运输局", "县农业农村局",
            "县应急管理局",
        ),
        False,
    ),
    "二、（二）2.": ((), (ECO, "县水利局", "县住建局", "县农业农村局", "县城管局"), True),
    "二、（二）3.": ((ECO,), ("县自然资源局", "县农业农村局"), False),
    "二、（二）4.": ((), (ECO, "县自然资源局", "县城管局", "县住建局"), False),
    "二、（二）5.": ((), ("县农业农村局", ECO, "县自然资源局", "县水利局", "县林业局"), True),
    "二、（三）": (
        (),
        (
            "县发改局", ECO, "县教育局", "县商务粮食局", "县住建局", "县林业局",
            "县机关事务服务中心", "县融媒体中心",
        ),
        False,
    ),
}  # fmt: skip


def test_the_plan_has_exactly_these_notes(notes):
    assert set(notes) == set(PLAN_NOTES)


@pytest.mark.parametrize("label", PLAN_NOTES)
def test_plan_note(notes, resolve, label):
    leads, co, open_ended = PLAN_NOTES[label]

    assert parse_responsibility(notes[label], resolve) == Responsibility(
        leads=leads, co=co, open_ended=open_ended, unknown=()
    )


def test_every_plan_note_keeps_every_unit_it_names(notes, resolve):
    for label, note in notes.items():
        result = parse_responsibility(note, resolve)
        named = len(result.leads) + len(result.co)
        # One name per 、 or ，-separated piece: none dropped, none invented.
        assert named == note.count("、") + note.count("，") + 1, label
        assert not set(result.leads) & set(result.co), label


# --- roles -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("note", "leads", "co"),
    [
        ("县发改局牵头，县工信局、县财政局按职责分工负责", ("县发改局",), ("县工信局", "县财政局")),
        ("县发改局牵头，县工信局、县财政局配合", ("县发改局",), ("县工信局", "县财政局")),
        ("县发改局、县工信局牵头，县财政局配合", ("县发改局", "县工信局"), ("县财政局",)),
        # 牵头 after several names, with more lists on either side
        (
            "县发改局、县工信局牵头，县财政局、县住建局按职责分工负责，县统计局协助",
            ("县发改局", "县工信局"),
            ("县财政局", "县住建局", "县统计局"),
        ),
        ("县发改局牵头负责，县林业局参与", ("县发改局",), ("县林业局",)),
        ("由县发改局牵头，县工信局配合", ("县发改局",), ("县工信局",)),
        # a lone unit marked 负责 leads; several of them share the duty without a lead
        ("县林业局负责", ("县林业局",), ()),
        ("县林业局按职责分工负责", ("县林业局",), ()),
        ("县林业局负责，县财政局配合", ("县林业局",), ("县财政局",)),
        ("县林业局、县财政局负责", (), ("县林业局", "县财政局")),
        ("县发改局牵头，县工信局负责", ("县发改局",), ("县工信局",)),
        # the labelled form
        (
            "牵头单位：县发改局；责任单位：县工信局、县财政局",
            ("县发改局",),
            ("县工信局", "县财政局"),
        ),
        ("牵头单位：县发改局；配合单位：县工信局", ("县发改局",), ("县工信局",)),
    ],
)
def test_roles(resolve, note, leads, co):
    result = parse_responsibility(note, resolve)

    assert (result.leads, result.co) == (leads, co)


def test_a_unit_both_lead_and_co_stays_lead_only(resolve):
    result = parse_responsibility("县发改局牵头，县工信局、发改局、县工信局配合", resolve)

    assert (result.leads, result.co) == (("县发改局",), ("县工信局",))


# --- how the list is written -------------------------------------------------------------------


@pytest.mark.parametrize(
    "note",
    [
        "县发改局牵头，县工信局、县财政局按职责分工负责",
        "（县发改局牵头，县工信局、县财政局按职责分工负责）",  # brackets kept by the caller
        "(县发改局牵头,县工信局,县财政局按职责分工负责)",  # half-width
        "（县发改局牵头；县工信局，县财政局按职责分工负责）。",
        "县发改局牵头 县工信局　县财政局 按职责分工负责",  # spaces, one of them full-width
        "縣發改局牽頭，縣工信局、縣財政局按職責分工負責",  # Traditional
        "湘阴县发展和改革局牵头，工信局、财政局按职责分工负责",  # aliases
    ],
)
def test_the_same_note_written_differently(resolve, note):
    assert parse_responsibility(note, resolve) == Responsibility(
        leads=("县发改局",), co=("县工信局", "县财政局"), open_ended=False, unknown=()
    )


def test_a_bracketed_qualifier_is_dropped_before_resolving(resolve):
    note = "县发改局牵头，县林业局（含国有林场、苗圃（基地））、县财政局按职责分工负责"

    result = parse_responsibility(note, resolve)

    assert result.co == ("县林业局", "县财政局")
    assert result.unknown == ()


def test_duty_words_inside_a_qualifier_are_not_markers(resolve):
    result = parse_responsibility("县发改局（负责综合协调）牵头，县工信局配合", resolve)

    assert (result.leads, result.co) == (("县发改局",), ("县工信局",))


@pytest.mark.parametrize(
    ("note", "open_ended"),
    [
        ("县发改局、县林业局等按职责分工负责", True),
        ("县发改局牵头，县工信局、县林业局等配合", True),
        ("县发改局牵头，县工信局等相关单位配合", True),
        ("县发改局、县林业局按职责分工负责", False),
    ],
)
def test_a_list_ending_in_etc_is_open_ended(resolve, note, open_ended):
    result = parse_responsibility(note, resolve)

    assert result.open_ended is open_ended
    assert not any("等" in name for name in result.leads + result.co)


def test_an_unknown_unit_is_kept_as_written_and_reported(resolve):
    note = "县发改局牵头，各乡镇（街道）、县火星探测局、县工信局按职责分工负责"

    result = parse_responsibility(note, resolve)

    assert result.leads == ("县发改局",)
    # as written, without the trailing qualifier (tests/data/plans/README.md)
    assert result.co == ("各乡镇", "县火星探测局", "县工信局")
    assert result.unknown == ("各乡镇", "县火星探测局")


@pytest.mark.parametrize(
    ("note", "co"),
    [
        # a department by its usual short form, last in the list (山西省促进绿色消费实施方案)
        ("各市发展改革委、市住建局、城管按职责分工负责", ("各市发展改革委", "市住建局", "城管")),
        ("城管、市林业局按职责分工负责", ("城管", "市林业局")),
        # a suffix written once still completes every name before it
        ("市公安、交通部门按职责分工负责", ("市公安部门", "交通部门")),
    ],
)
def test_a_short_form_no_suffix_follows_is_a_unit(resolve, note, co):
    result = parse_responsibility(note, resolve)

    assert (result.leads, result.co, result.unknown) == ((), co, co)


def test_an_unknown_lead_is_kept(resolve):
    result = parse_responsibility("县碳汇中心牵头，县林业局配合", resolve)

    assert result == Responsibility(
        leads=("县碳汇中心",), co=("县林业局",), open_ended=False, unknown=("县碳汇中心",)
    )


@pytest.mark.parametrize("note", ["", "  ", "（）", "按职责分工负责"])
def test_a_note_without_units_names_nobody(resolve, note):
    assert parse_responsibility(note, resolve) == Responsibility((), (), False, ())


# --- the shared helpers ------------------------------------------------------------------------


def test_fold_keeps_positions():
    text = "（縣發改局牽頭，ＰＭ２．５）"

    folded = fold(text)

    assert folded == "(县发改局牵头,PM2.5)"
    assert len(folded) == len(text)


def test_split_unit_list_splits_only_outside_brackets():
    names, open_ended = split_unit_list("由县发改局、县林业局（含国有林场、苗圃）等")

    assert names == ["县发改局", "县林业局（含国有林场、苗圃）"]
    assert open_ended


def test_canonical_unit(resolve):
    assert canonical_unit("縣林業局（含國有林場）", resolve) == "县林业局"
    assert canonical_unit("县火星探测局", resolve) is None
