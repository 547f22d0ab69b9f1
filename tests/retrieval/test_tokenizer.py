"""Tests for retrieval.tokenizer and retrieval.lexicon, with the real corpus dictionaries."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from retrieval.lexicon import Lexicon, load_lexicon
from retrieval.tokenizer import Tokenizer

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
FGJ = "县发改局"
LYJ = "县林业局"


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return load_lexicon(CORPUS)


@pytest.fixture(scope="module")
def tokenizer(lexicon) -> Tokenizer:
    return Tokenizer(lexicon)


# --- the real lexicon --------------------------------------------------------------------------


def test_real_lexicon_maps_aliases_and_full_names_to_the_plan_name(lexicon):
    assert lexicon.aliases["发改委"] == FGJ
    assert lexicon.aliases["县发展和改革局"] == FGJ
    assert lexicon.aliases["湘阴县发展和改革局"] == FGJ
    assert lexicon.aliases[FGJ] == FGJ
    assert lexicon.aliases["林业局"] == LYJ
    assert {FGJ, LYJ, "市生态环境局湘阴分局", "县机关事务服务中心"} <= set(lexicon.aliases.values())


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("发改委", FGJ),
        (" 縣林業局 ", LYJ),
        ("湘阴县林业局", LYJ),
        ("县县林业局", None),
        ("局", None),
    ],
)
def test_resolve_a_written_department_name(lexicon, name, canonical):
    assert lexicon.resolve(name) == canonical


def test_real_lexicon_terms_and_stopwords(lexicon):
    assert {"碳达峰", "碳中和", "双碳", "单位gdp"} <= lexicon.terms
    assert {"的", "哪些", "什么", "?"} <= lexicon.stopwords
    assert not {"完成", "任务", "负责", "牵头", "配合"} & lexicon.stopwords


# --- departments -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "发改委负责哪些任务？",
        "发改局牵头的任务有哪些",
        "县发展和改革局要完成什么任务",
        "湘阴县发展和改革局",
        "县发改局",
    ],
)
def test_development_and_reform_aliases(tokenizer, question):
    tokens = tokenizer.tokens(question)

    assert tokenizer.departments(question) == [FGJ]
    assert FGJ in tokens
    assert "发改委" not in tokens
    assert "发展和改革局" not in tokens


@pytest.mark.parametrize("text", ["林业局", LYJ, "湘阴县林业局", "縣林業局"])
def test_forestry_bureau_has_one_canonical_form(tokenizer, text):
    assert tokenizer.canonical(text) == LYJ
    assert tokenizer.departments(text) == [LYJ]
    assert LYJ in tokenizer.tokens(text)


def test_canonical_does_not_prefix_a_canonical_name_twice(tokenizer):
    canonical = tokenizer.canonical("县林业局负责哪些任务？")

    assert canonical == "县林业局负责哪些任务?"
    assert "县县" not in canonical


def test_traditional_question(tokenizer):
    question = "縣林業局負責什麼？"

    assert tokenizer.canonical(question) == "县林业局负责什么?"
    assert tokenizer.departments(question) == [LYJ]
    assert {LYJ, "负责"} <= set(tokenizer.tokens(question))


def test_departments_in_order_without_repeats(tokenizer):
    assert tokenizer.departments("发改委、林业局和县发改局，还有环保局") == [
        FGJ,
        LYJ,
        "市生态环境局湘阴分局",
    ]


def test_departments_of_a_responsibility_note(tokenizer):
    note = (
        "市生态环境局湘阴分局牵头，县住建局、县公安局、县发改局、县工信局、县交通运输局、"
        "县农业农村局、县应急管理局按职责分工负责"
    )

    assert tokenizer.departments(note) == [
        "市生态环境局湘阴分局",
        "县住建局",
        "县公安局",
        FGJ,
        "县工信局",
        "县交通运输局",
        "县农业农村局",
        "县应急管理局",
    ]


def test_short_forms_in_the_plan_map_to_the_listed_name(tokenizer):
    text = "县统计局、县机关事务中心、县高新区等为成员单位"

    assert tokenizer.departments(text) == ["县统计局", "县机关事务服务中心", "县高新区"]


def test_text_without_departments(tokenizer):
    assert tokenizer.departments("全县PM2.5平均浓度达到省、市下达目标") == []


def test_every_alias_resolves_to_its_department(tokenizer, lexicon):
    wrong = {
        alias: tokenizer.departments(alias)
        for alias, name in lexicon.aliases.items()
        if tokenizer.departments(alias) != [name] or tokenizer.canonical(alias) != name
    }

    assert not wrong


# --- tokens ------------------------------------------------------------------------------------


def test_policy_words_survive_and_stop_words_go(tokenizer):
    tokens = tokenizer.tokens("县林业局要完成哪些任务？是牵头还是配合？由谁负责的什么工作")

    assert {"完成", "任务", "牵头", "配合", "负责", LYJ} <= set(tokens)
    assert not {"的", "哪些", "什么", "要", "是", "谁"} & set(tokens)


def test_punctuation_is_dropped(tokenizer):
    tokens = tokenizer.tokens("（县发改局、县工信局按职责分工负责）。“双碳”：？！《方案》……→●％")

    assert tokens
    assert all(re.search(r"\w", token) for token in tokens), tokens
    assert {FGJ, "县工信局", "双碳", "方案"} <= set(tokens)


def test_domain_terms_stay_whole_and_are_normalised(tokenizer):
    tokens = tokenizer.tokens("单位ＧＤＰ二氧化碳排放下降率，ＰＭ２．５平均浓度")

    assert {"单位gdp", "二氧化碳排放", "pm2.5"} <= set(tokens)


def test_every_domain_term_is_a_token_of_itself(tokenizer, lexicon):
    assert not [term for term in lexicon.terms if term not in tokenizer.tokens(term)]


@pytest.mark.parametrize("text", ["", "   ", "？！。，", "的了吗"])
def test_nothing_to_search(tokenizer, text):
    assert tokenizer.tokens(text) == []


# --- a tiny lexicon ----------------------------------------------------------------------------

TINY_DEPARTMENTS = """
[[department]]
name = "县林业局"
full_name = "湘阴县林业局"
level = "县"
aliases = ["林業局", "林业局"]

[[department]]
name = "县发改局"
aliases = ["發改委", "发改局"]
"""


@pytest.fixture
def tiny_dir(tmp_path: Path) -> Path:
    (tmp_path / "terms.txt").write_text("碳足跡 2000\n零碳園區\n\n  ＧＥＦ项目  5\n", "utf-8")
    (tmp_path / "stopwords.txt").write_text("的\n？\n\n", "utf-8")
    (tmp_path / "departments.toml").write_text(TINY_DEPARTMENTS, "utf-8")
    return tmp_path


def test_tiny_lexicon_is_normalised_on_load(tiny_dir):
    lexicon = load_lexicon(tiny_dir)

    assert lexicon.terms == {"碳足迹", "零碳园区", "gef项目"}
    assert lexicon.stopwords == {"的", "?"}
    assert lexicon.aliases == {
        "县林业局": LYJ,
        "湘阴县林业局": LYJ,
        "林业局": LYJ,
        "县发改局": FGJ,
        "发改委": FGJ,
        "发改局": FGJ,
    }


def test_tiny_lexicon_tokenizer(tiny_dir):
    tokenizer = Tokenizer(load_lexicon(tiny_dir))
    tokens = tokenizer.tokens("林業局負責的碳足跡管理？發改委呢？")

    assert {LYJ, FGJ, "碳足迹", "负责"} <= set(tokens)
    assert not {"的", "?", "林業局", "發改委"} & set(tokens)
    # stop words come from the folder's file only: 呢 is not in this one
    assert "呢" in tokens
    assert tokenizer.departments("發改委和林业局") == [FGJ, LYJ]


def test_tiny_lexicon_terms_are_not_split(tiny_dir):
    tokens = Tokenizer(load_lexicon(tiny_dir)).tokens("湘阴县林业局牵头建设零碳園區和ＧＥＦ项目")

    assert {LYJ, "零碳园区", "gef项目"} <= set(tokens)
    assert "湘阴" not in tokens


def test_missing_files_give_an_empty_lexicon(tmp_path):
    lexicon = load_lexicon(tmp_path)
    tokenizer = Tokenizer(lexicon)

    assert lexicon == Lexicon()
    assert tokenizer.departments("县林业局负责") == []
    assert tokenizer.canonical("林業局") == "林业局"
    # without a stop word list nothing but punctuation is dropped
    tokens = tokenizer.tokens("县林业局负责的任务。（牵头，配合）")
    assert {"的", "任务", "牵头", "配合"} <= set(tokens)
    assert all(re.search(r"\w", token) for token in tokens), tokens
