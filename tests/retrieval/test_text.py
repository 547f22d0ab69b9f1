"""Tests for retrieval.text: the normalised form used for matching, and sentence splitting."""

from __future__ import annotations

import pytest

from retrieval.text import normalize, split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # full-width digits, letters and punctuation → half-width, then lower case
        ("ＰＭ２．５平均浓度", "pm2.5平均浓度"),
        ("新增公用充电桩１１０７个", "新增公用充电桩1107个"),
        ("（一）碳达峰控制指标：", "(一)碳达峰控制指标:"),
        ("全县\u3000新增风电光伏", "全县 新增风电光伏"),
        # Traditional → Simplified
        ("縣林業局負責碳達峰", "县林业局负责碳达峰"),
        ("湘陰縣發展和改革局", "湘阴县发展和改革局"),
        # lower case
        ("单位GDP二氧化碳排放", "单位gdp二氧化碳排放"),
        ("全球环境基金（GEF）", "全球环境基金(gef)"),
        # already normal
        ("碳达峰碳中和", "碳达峰碳中和"),
        ("", ""),
    ],
)
def test_normalize(text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize("text", ["ＰＭ２．５", "縣林業局", "單位ＧＤＰ", "县发改局"])
def test_normalize_is_idempotent(text):
    assert normalize(normalize(text)) == normalize(text)


def test_traditional_and_simplified_department_names_match():
    assert normalize("縣發改局") == normalize("县发改局") == "县发改局"


def test_split_sentences_keeps_punctuation_with_its_sentence():
    text = "加快光伏建设。推进风电！是否全面完成？落实责任；剩余部分"

    assert split_sentences(text) == [
        "加快光伏建设。",
        "推进风电！",
        "是否全面完成？",
        "落实责任；",
        "剩余部分",
    ]


def test_split_sentences_loses_nothing():
    text = "为树立和践行绿水青山就是金山银山理念，制定本方案。加快构建新型能源体系！"

    assert "".join(split_sentences(text)) == text


def test_split_sentences_ascii_ends():
    assert split_sentences("Done! Really? yes; ok") == ["Done!", " Really?", " yes;", " ok"]


@pytest.mark.parametrize(
    "text",
    [
        "全县PM2.5平均浓度达到省、市下达目标。",
        "至2030年新增风电光伏1.2GW，提升新能源消纳能力。",
        "以碳达峰碳中和为牵引，协同推进降碳、减污、扩绿、增长：全面完成。",
    ],
)
def test_decimal_points_commas_and_colons_do_not_end_a_sentence(text):
    assert split_sentences(text) == [text]


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_split_sentences_of_nothing(text):
    assert split_sentences(text) == []


def test_split_sentences_drops_blank_tails():
    assert split_sentences("加快建设。  ") == ["加快建设。"]
