"""Tests for retrieval.chunking: chunks of the real plan, sentence packing, responsibility notes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from retrieval.chunking import (
    Chunk,
    chunk_clause,
    chunk_document,
    split_text,
    trailing_parenthetical,
)
from retrieval.clauses import Clause, ParsedDocument, parse_clauses
from retrieval.loaders import read_blocks

PLAN = Path(__file__).resolve().parents[2] / "corpus" / "xiangyin-shuangtan-plan.txt"
SIZES = [50, 120, 300]
DUTY_1 = "县发改局、市生态环境局湘阴分局、县工信局、县自然资源局、县统计局按职责分工负责"
# Longer than 50 characters, so at that size no chunk holds it whole.
DUTY_BLUE_SKY = (
    "市生态环境局湘阴分局牵头，县住建局、县公安局、县发改局、县工信局、县交通运输局、"
    "县农业农村局、县应急管理局按职责分工负责"
)


@pytest.fixture(scope="module")
def plan() -> ParsedDocument:
    return parse_clauses(read_blocks(PLAN))


def clause(document: ParsedDocument, label: str) -> Clause:
    found = document.find(label)
    assert found is not None, label
    return found


def chunks_of(chunks: list[Chunk], label: str) -> list[Chunk]:
    return [chunk for chunk in chunks if chunk.clause == label]


# --- chunk_document over the real plan ---------------------------------------------------------


@pytest.mark.parametrize("max_chars", SIZES)
def test_every_chunk_fits(plan, max_chars):
    chunks = chunk_document(plan, max_chars=max_chars)

    assert chunks
    assert max(len(chunk.text) for chunk in chunks) <= max_chars


@pytest.mark.parametrize("max_chars", SIZES)
def test_chunks_never_cross_a_clause_or_a_paragraph(plan, max_chars):
    for chunk in chunk_document(plan, max_chars=max_chars):
        paragraphs = clause(plan, chunk.clause).text.split("\n")
        assert any(chunk.text in paragraph for paragraph in paragraphs), chunk


@pytest.mark.parametrize("max_chars", SIZES)
def test_a_clause_chunks_give_back_its_text(plan, max_chars):
    chunks = chunk_document(plan, max_chars=max_chars)

    for item in plan.walk():
        pieces = chunks_of(chunks, item.label)
        assert "".join(chunk.text for chunk in pieces) == item.text.replace("\n", "")
        assert [chunk.ordinal for chunk in pieces] == list(range(len(pieces)))


@pytest.mark.parametrize("max_chars", SIZES)
def test_chunks_follow_reading_order_and_skip_bare_headings(plan, max_chars):
    chunks = chunk_document(plan, max_chars=max_chars)
    with_text = [item.label for item in plan.walk() if item.text]

    assert list(dict.fromkeys(chunk.clause for chunk in chunks)) == with_text
    assert "二、（一）" not in with_text
    assert "二、（三）" in with_text


def test_small_sizes_split_long_clauses(plan):
    item = clause(plan, "二、（一）1.")

    assert len(chunk_clause(item, max_chars=300)) > 1
    assert len(chunk_clause(item, max_chars=50)) > len(chunk_clause(item, max_chars=120))


@pytest.mark.parametrize("max_chars", SIZES)
def test_responsibility_travels_with_every_chunk(plan, max_chars):
    chunks = chunk_clause(clause(plan, "二、（一）1."), max_chars=max_chars)
    note = f"（{DUTY_1}）"

    assert len(chunks) > 1
    assert {chunk.responsibility for chunk in chunks} == {DUTY_1}
    assert [chunk for chunk in chunks if note not in chunk.text], "some chunk lacks the note"
    for chunk in chunks:
        assert chunk.indexed_text.count(note) == 1
        if note not in chunk.text:
            assert chunk.indexed_text.endswith(chunk.text + note)


def test_a_note_longer_than_a_chunk_is_still_indexed_whole(plan):
    chunks = chunk_clause(clause(plan, "二、（二）1."), max_chars=50)
    note = f"（{DUTY_BLUE_SKY}）"

    assert len(note) > 50
    assert {chunk.responsibility for chunk in chunks} == {DUTY_BLUE_SKY}
    assert all(note in chunk.indexed_text for chunk in chunks)


@pytest.mark.parametrize("label", ["前言", "一、（一）", "三、"])
def test_clauses_without_a_note_have_no_responsibility(plan, label):
    for chunk in chunk_clause(clause(plan, label), max_chars=120):
        assert chunk.responsibility == ""
        assert chunk.indexed_text == f"{chunk.heading}\n{chunk.text}"


@pytest.mark.parametrize("max_chars", SIZES)
def test_indexed_text_starts_with_the_heading_path_and_text_does_not(plan, max_chars):
    item = clause(plan, "二、（一）2.")
    heading = "二、重点任务 > （一）有序实施碳达峰行动 > 2.培育绿色发展新动能"

    for chunk in chunk_clause(item, max_chars=max_chars):
        assert chunk.heading == heading
        assert chunk.clause == "二、（一）2."
        assert chunk.indexed_text.startswith(heading + "\n" + chunk.text)
        assert not chunk.text.startswith("二、重点任务")


def test_heading_of_a_body_after_a_bare_heading_is_indexed(plan):
    (chunk,) = chunk_clause(clause(plan, "三、"), max_chars=300)

    assert chunk.text.startswith("成立落实好重“双碳”促转型的任务工作专班")
    assert chunk.indexed_text.startswith("三、推进机制\n成立")


def test_bare_heading_gives_no_chunk(plan):
    assert chunk_clause(clause(plan, "二、（一）"), max_chars=120) == []


def test_paragraphs_of_one_clause_are_chunked_separately():
    document = parse_clauses(
        [
            "三、推进机制",
            "成立工作专班。由县政府办分管副主任担任召集人。",
            "专班办公室设在县发改局。负责日常协调和调度等工作。",
        ]
    )

    chunks = chunk_document(document, max_chars=100)

    assert [chunk.text for chunk in chunks] == [
        "成立工作专班。由县政府办分管副主任担任召集人。",
        "专班办公室设在县发改局。负责日常协调和调度等工作。",
    ]
    assert [chunk.ordinal for chunk in chunks] == [0, 1]


def test_short_numbered_items_are_searchable():
    document = parse_clauses(
        ["（三）保障措施", "（1）严格控制煤炭消费总量；", "（2）有序发展分散式风电；"]
    )

    indexed = "\n".join(chunk.indexed_text for chunk in chunk_document(document, max_chars=120))

    assert "严格控制煤炭消费总量" in indexed
    assert "有序发展分散式风电" in indexed


# --- split_text --------------------------------------------------------------------------------


def test_split_text_packs_whole_sentences_greedily():
    assert split_text("加快光伏建设。推进风电。完善电网。", 12) == [
        "加快光伏建设。推进风电。",
        "完善电网。",
    ]


def test_split_text_keeps_decimals_inside_a_sentence():
    assert split_text("全县PM2.5平均浓度达到省下达目标。受污染耕地安全利用率达标。", 20) == [
        "全县PM2.5平均浓度达到省下达目标。",
        "受污染耕地安全利用率达标。",
    ]


def test_split_text_cuts_a_long_sentence_after_commas():
    sentence = (
        "以热电联产、建材等领域为重点，建立拟建、在建、存量“两高”项目清单并实行动态管理，"
        "加强部门联合评估论证。"
    )

    pieces = split_text(sentence, 20)

    assert "".join(pieces) == sentence
    assert all(len(piece) <= 20 for piece in pieces)
    assert all(re.search(r"[，、。]$", piece) for piece in pieces), pieces


def test_split_text_cuts_hard_when_there_is_no_punctuation():
    text = "组织举办全县节能宣传周全国生态日环境日低碳日等系列宣传活动"

    assert split_text(text, 10) == [
        "组织举办全县节能宣传",
        "周全国生态日环境日低",
        "碳日等系列宣传活动",
    ]


def test_split_text_never_joins_lines():
    assert split_text("成立工作专班。\n专班办公室设在县发改局。", 100) == [
        "成立工作专班。",
        "专班办公室设在县发改局。",
    ]


@pytest.mark.parametrize("text", ["", "\n", "  \n  "])
def test_split_text_of_nothing(text):
    assert split_text(text, 50) == []


# --- trailing_parenthetical --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "note"),
    [
        (
            "推进碳足迹管理体系建设。（县发改局、县统计局按职责分工负责）",
            "县发改局、县统计局按职责分工负责",
        ),
        (
            "巩固较大面积农村黑臭水体治理成果。（市生态环境局湘阴分局牵头，县自然资源局按职责分工负责）",
            "市生态环境局湘阴分局牵头，县自然资源局按职责分工负责",
        ),
        ("加强横岭湖湿地保护建设。（县林业局牵头，县水利局配合）", "县林业局牵头，县水利局配合"),
        ("规范垂钓管理。（县水利局配合）", "县水利局配合"),
        ("推进绿色施工。(县住建局负责)", "县住建局负责"),
        ("推进绿色施工。（县住建局负责)", "县住建局负责"),
        (
            "积极申报省级零碳园区。（县高新区（含湘阴工业园）按职责分工负责）",
            "县高新区（含湘阴工业园）按职责分工负责",
        ),
        ("提升新能源消纳能力。（县发改局负责）。", "县发改局负责"),
        ("提升新能源消纳能力。（县发改局负责）；", "县发改局负责"),
        ("提升新能源消纳能力。（县发改局负责）  ", "县发改局负责"),
    ],
)
def test_trailing_responsibility_note(text, note):
    assert trailing_parenthetical(text) == note


@pytest.mark.parametrize(
    "text",
    [
        "湘阴县碳排放管理办法（试行）",
        "制定《湘阴县碳排放管理办法（试行）》",
        "贯彻落实《长江中游城市群大气污染防治攻坚三年行动方案（2026—2028年）》。",
        "积极对接实施全球环境基金（GEF）",
        "推进（县发改局负责）碳达峰行动。再推进。",
        "落实责任。（县发改局负责）（试行）",
        "提升新能源消纳能力。",
        "县发改局负责）",
        "（县发改局负责",
        "",
    ],
)
def test_no_responsibility_note(text):
    assert trailing_parenthetical(text) == ""
