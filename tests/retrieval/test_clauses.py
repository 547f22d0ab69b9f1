"""Tests for retrieval.clauses: the clause tree of the real plan, and official numbering variants."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.clauses import PREAMBLE, Clause, ParsedDocument, parse_clauses
from retrieval.loaders import read_blocks

PLAN = Path(__file__).resolve().parents[2] / "corpus" / "xiangyin-shuangtan-plan.txt"
TITLE = "落实好重“双碳”促转型的任务实施方案"
PLAN_LABELS = [
    "前言",
    "一、",
    "一、（一）",
    "一、（二）",
    "二、",
    "二、（一）",
    "二、（一）1.",
    "二、（一）2.",
    "二、（一）3.",
    "二、（一）4.",
    "二、（二）",
    "二、（二）1.",
    "二、（二）2.",
    "二、（二）3.",
    "二、（二）4.",
    "二、（二）5.",
    "二、（三）",
    "三、",
]


@pytest.fixture(scope="module")
def plan() -> ParsedDocument:
    return parse_clauses(read_blocks(PLAN))


def labels(document: ParsedDocument) -> list[str]:
    return [clause.label for clause in document.walk()]


def clause(document: ParsedDocument, label: str) -> Clause:
    found = document.find(label)
    assert found is not None, f"no clause {label}; have {labels(document)}"
    return found


# --- the real plan -----------------------------------------------------------------------------


def test_plan_gives_every_clause_in_reading_order(plan):
    assert labels(plan) == PLAN_LABELS


def test_plan_top_level_is_preamble_and_the_three_chapters(plan):
    assert [c.label for c in plan.clauses] == ["前言", "一、", "二、", "三、"]
    assert [c.label for c in clause(plan, "二、（二）").children] == [
        f"二、（二）{n}." for n in range(1, 6)
    ]


def test_plan_title_is_the_first_line_and_not_part_of_the_preamble(plan):
    preamble = clause(plan, PREAMBLE)

    assert plan.title == TITLE
    assert preamble.text.startswith("为树立和践行绿水青山就是金山银山理念")
    assert preamble.text.endswith("制定本方案。")
    assert TITLE not in preamble.text


def test_plan_bookmark_debris_never_reaches_a_clause(plan):
    assert not [c.label for c in plan.walk() if "bookmark" in c.text + c.title]


def test_heading_path_of_a_nested_item(plan):
    item = clause(plan, "二、（一）2.")

    assert item.heading_path == ("二、重点任务", "（一）有序实施碳达峰行动", "2.培育绿色发展新动能")
    assert item.marker == "2."


@pytest.mark.parametrize(
    ("label", "title"),
    [
        # body on the same line: the title runs to the first 。
        ("二、（一）1.", "健全碳排放双控制度体系"),
        ("二、（一）4.", "构建绿色转型新模式"),
        ("二、（二）4.", "加强固体废物和新污染物治理"),
        # ... or to the first ：
        ("一、（一）", "碳达峰控制指标"),
        ("一、（二）", "生态环境约束性指标"),
        # headings alone
        ("二、", "重点任务"),
        ("二、（一）", "有序实施碳达峰行动"),
        ("二、（三）", "倡导绿色低碳生活方式"),
        ("三、", "推进机制"),
    ],
)
def test_plan_clause_titles(plan, label, title):
    assert clause(plan, label).title == title


def test_numbered_item_keeps_its_number_and_whole_body(plan):
    text = clause(plan, "二、（一）1.").text

    assert text.startswith("1.健全碳排放双控制度体系。聚焦2030年前实现碳达峰")
    assert text.endswith("县统计局按职责分工负责）")
    assert "\n" not in text


@pytest.mark.parametrize("label", ["一、", "二、", "二、（一）", "二、（二）"])
def test_headings_alone_carry_no_text(plan, label):
    assert clause(plan, label).text == ""


def test_unnumbered_paragraphs_attach_to_the_heading_above(plan):
    lifestyle = clause(plan, "二、（三）").text
    mechanism = clause(plan, "三、").text

    assert lifestyle.startswith("组织举办全县节能宣传周")
    assert lifestyle.endswith("县融媒体中心按职责分工负责）")
    assert mechanism.startswith("成立落实好重“双碳”促转型的任务工作专班")
    assert mechanism.endswith("负责日常协调和调度等工作。")
    # and not to the numbered item before them
    assert "节能宣传周" not in clause(plan, "二、（二）5.").text


def test_find_unknown_label_is_none(plan):
    assert plan.find("四、") is None
    assert plan.find("二、（一）5.") is None


# --- numbering variants ------------------------------------------------------------------------


def test_half_width_brackets_are_the_same_level_as_full_width():
    document = parse_clauses(
        [
            "二、重点任务",
            "(一)有序实施碳达峰行动",
            "1.健全碳排放双控制度体系。聚焦2030年前实现碳达峰。",
            "(二)深入推进污染防治攻坚",
        ]
    )

    assert labels(document) == ["二、", "二、（一）", "二、（一）1.", "二、（二）"]
    assert clause(document, "二、（二）").heading_path == (
        "二、重点任务",
        "（二）深入推进污染防治攻坚",
    )


def test_number_with_dun_comma():
    document = parse_clauses(
        [
            "（二）深入推进污染防治攻坚",
            "1、持续深入打好蓝天保卫战。滚动实施大气污染防治五大标志性战役。",
        ]
    )
    item = clause(document, "（二）1.")

    assert item.title == "持续深入打好蓝天保卫战"
    assert item.text.startswith("1、持续深入打好蓝天保卫战。")


def test_full_width_digits_and_full_stop():
    document = parse_clauses(
        [
            "（一）有序实施碳达峰行动",
            "１．健全碳排放双控制度体系。聚焦碳达峰目标。",
            "２．培育绿色发展新动能。加快构建新型能源体系。",
        ]
    )

    assert labels(document) == ["（一）", "（一）1.", "（一）2."]
    assert clause(document, "（一）2.").title == "培育绿色发展新动能"
    assert clause(document, "（一）2.").text.startswith("２．培育绿色发展新动能")


def test_parenthesised_arabic_sub_items():
    document = parse_clauses(
        [
            "二、重点任务",
            "1.持续深入打好蓝天保卫战。打好扬尘污染防治标志性战役。",
            "（1）加强秸秆综合利用。实施收储网点建设三年行动。",
            "(2)推动烟花爆竹源头减量。推动产业升级。",
            "2.持续深入打好碧水保卫战。开展美丽河湖保护与建设。",
        ]
    )

    assert labels(document) == ["二、", "二、1.", "二、1.（1）", "二、1.（2）", "二、2."]
    assert clause(document, "二、1.（2）").heading_path == (
        "二、重点任务",
        "1.持续深入打好蓝天保卫战",
        "（2）推动烟花爆竹源头减量",
    )


def test_chapters_and_articles():
    document = parse_clauses(
        [
            "第一章 总则",
            "第一条 为推进碳达峰碳中和，制定本办法。",
            "第二条 本办法适用于全县行政区域。",
            "第二章 目标任务",
            "第三条 到2030年前实现碳达峰。",
            "第十二条 本办法自印发之日起施行。",
        ]
    )

    # an article is numbered through the whole law and cited alone: 《…法》第十二条
    assert labels(document) == ["第一章", "第一条", "第二条", "第二章", "第三条", "第十二条"]
    assert clause(document, "第一章").title == "总则"
    assert clause(document, "第三条").heading_path == (
        "第二章目标任务",
        "第三条到2030年前实现碳达峰",
    )
    assert clause(document, "第二条").text == "第二条 本办法适用于全县行政区域。"


@pytest.mark.parametrize(
    "block",
    [
        "2.5亿元投资用于屋顶光伏项目建设。",
        "1.2GW风电光伏项目于2030年前并网。",
        "2030年前新增公用充电桩1107个。",
        "PM2.5平均浓度达到省、市下达目标。",
    ],
)
def test_numbers_that_are_not_clause_numbers_stay_in_the_clause_above(block):
    document = parse_clauses(
        ["（一）有序实施碳达峰行动", "1.培育绿色发展新动能。加快构建新型能源体系。", block]
    )

    assert labels(document) == ["（一）", "（一）1."]
    assert clause(document, "（一）1.").text.endswith("\n" + block)


def test_going_back_up_a_level_pops_the_stack():
    document = parse_clauses(
        [
            "二、重点任务",
            "（一）有序实施碳达峰行动",
            "1.健全碳排放双控制度体系。聚焦碳达峰目标。",
            "（1）建立“两高”项目清单。实行动态管理。",
            "（二）深入推进污染防治攻坚",
            "1.持续深入打好蓝天保卫战。滚动实施五大标志性战役。",
            "三、推进机制",
            "成立工作专班。",
        ]
    )

    assert labels(document) == [
        "二、",
        "二、（一）",
        "二、（一）1.",
        "二、（一）1.（1）",
        "二、（二）",
        "二、（二）1.",
        "三、",
    ]
    assert clause(document, "二、（二）1.").heading_path == (
        "二、重点任务",
        "（二）深入推进污染防治攻坚",
        "1.持续深入打好蓝天保卫战",
    )
    assert clause(document, "三、").heading_path == ("三、推进机制",)
    assert clause(document, "三、").text == "成立工作专班。"


def test_a_skipped_level_hangs_below_the_nearest_higher_one():
    document = parse_clauses(["二、保障措施", "（1）加强组织领导。明确责任分工。"])

    assert labels(document) == ["二、", "二、（1）"]


def test_short_list_item_ending_in_semicolon_is_content_not_a_heading():
    document = parse_clauses(["（三）保障措施", "（1）严格控制煤炭消费总量；", "（2）加强组织领导"])

    assert clause(document, "（三）（1）").text == "（1）严格控制煤炭消费总量；"
    assert clause(document, "（三）（2）").text == ""


def test_paragraphs_after_a_heading_are_joined_by_newlines():
    document = parse_clauses(["三、推进机制", "成立工作专班。", "专班办公室设在县发改局。"])

    assert clause(document, "三、").text == "成立工作专班。\n专班办公室设在县发改局。"


def test_long_heading_without_punctuation_is_cut_with_an_ellipsis():
    rest = (
        "加快建设两高项目清单管理和动态更新机制确保全县重点用能单位全部纳入在线监测系统"
        "并实现能效碳效智慧管理推动节能降碳改造应用场景展示和成果分享"
    )
    block = "（一）" + rest
    item = clause(parse_clauses(["一、主要目标", block]), "一、（一）")

    assert len(rest) > 60
    assert item.title == rest[:60] + "…"
    assert item.text == block


# --- title and preamble ------------------------------------------------------------------------


def test_several_preamble_paragraphs_form_one_preamble_clause():
    document = parse_clauses(
        [
            TITLE,
            "为深入贯彻落实碳达峰碳中和决策部署，制定本方案。",
            "本方案适用于全县。",
            "一、主要目标",
        ]
    )

    assert document.title == TITLE
    assert labels(document) == ["前言", "一、"]
    assert (
        clause(document, "前言").text
        == "为深入贯彻落实碳达峰碳中和决策部署，制定本方案。\n本方案适用于全县。"
    )


def test_a_first_block_that_is_a_sentence_is_preamble_not_title():
    document = parse_clauses(["为深入贯彻落实碳达峰碳中和决策部署，制定本方案。", "一、主要目标"])

    assert document.title == ""
    assert clause(document, "前言").text == "为深入贯彻落实碳达峰碳中和决策部署，制定本方案。"


def test_given_title_names_a_document_that_starts_with_a_number():
    document = parse_clauses(["一、主要目标", "（一）碳达峰控制指标：全面完成。"], title="湘阴方案")

    assert document.title == "湘阴方案"
    assert labels(document) == ["一、", "一、（一）"]


def test_given_title_wins_over_the_title_line_which_is_still_not_preamble():
    document = parse_clauses([TITLE, "一、主要目标"], title="湘阴县双碳实施方案")

    assert document.title == "湘阴县双碳实施方案"
    assert labels(document) == ["一、"]


def test_no_blocks_no_clauses():
    assert parse_clauses([]) == ParsedDocument(title="", clauses=[])


# --- enclosed numbers (⑴ ⒈ ㈠) fold to several characters ---------------------------------------


@pytest.mark.parametrize(
    ("block", "label", "title"),
    [
        ("⑴加强组织领导。明确责任分工。", "一、（1）", "加强组织领导"),
        ("⒈健全碳排放双控制度体系。聚焦碳达峰。", "一、1.", "健全碳排放双控制度体系"),
        ("㈠有序实施碳达峰行动", "一、（一）", "有序实施碳达峰行动"),
        ("⑽强化考核。", "一、（10）", "强化考核"),
    ],
)
def test_enclosed_number_characters_keep_the_whole_title(block, label, title):
    item = clause(parse_clauses(["一、保障措施", block]), label)

    assert item.title == title
    assert item.heading_path == ("一、保障措施", item.marker + title)
