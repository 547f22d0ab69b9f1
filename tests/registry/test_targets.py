"""Tests for registry.targets: the plan's targets, and sentences as other counties write them."""

from __future__ import annotations

import pytest

from registry.targets import KINDS, TargetFact, extract_targets
from tests.conftest import CORPUS

PLAN = (CORPUS / "xiangyin-shuangtan-plan.txt").read_text("utf-8")
PLAN_TARGETS = [
    TargetFact("2030年前实现碳达峰和碳排放强度下降目标", "碳达峰和碳排放强度下降目标", None, "", "deadline", 2030),
    TargetFact("确保2026年碳达峰目标任务全面落实到位", "碳达峰目标任务", None, "", "deadline", 2026),
    TargetFact("至2030年新增风电光伏1.2GW", "风电光伏", 1.2, "GW", "increment", 2030),
    TargetFact("至2030年新增公用充电桩1107个", "公用充电桩", 1107, "个", "increment", 2030),
    TargetFact("创建5家省级及以上绿色工厂", "省级及以上绿色工厂", 5, "家", "increment", None),
    TargetFact(
        "《长江中游城市群大气污染防治攻坚三年行动方案（2026—2028年）》",
        "长江中游城市群大气污染防治攻坚三年行动方案", None, "", "period", 2028, start_year=2026,
    ),
    TargetFact("现有15个标准化收储网点", "标准化收储网点", 15, "个", "baseline", None),
    TargetFact("建设用地安全利用率不低于95%", "建设用地安全利用率", 95, "%", "minimum", None),
]  # fmt: skip


@pytest.fixture(scope="module")
def plan_targets() -> list[TargetFact]:
    return extract_targets(PLAN)


def test_the_plan_targets(plan_targets):
    assert plan_targets == PLAN_TARGETS


@pytest.mark.parametrize(
    "name", ["十五五", "PM2.5", "GEF", "一核两心四廊", "五大标志性战役", "六大工程", "十年禁渔"]
)
def test_numbers_inside_names_are_not_targets(plan_targets, name):
    assert not [fact for fact in plan_targets if name in fact.text]


def test_bare_years_and_numbers_are_not_targets():
    text = "较2020年，全县15个乡镇、3大园区于2026年开展评估，落实PM2.5监测，建设用地面积500亩"

    assert extract_targets(text) == []


# --- other counties' plans (invented sentences) ------------------------------------------------


def test_a_year_lead_in_dates_every_target_of_its_sentence():
    text = "到2025年，全县森林覆盖率稳定在55%以上，单位地区生产总值能耗较2020年下降14%。"

    assert extract_targets(text) == [
        TargetFact("森林覆盖率稳定在55%以上", "森林覆盖率", 55, "%", "minimum", 2025),
        TargetFact("单位地区生产总值能耗较2020年下降14%", "单位地区生产总值能耗", 14, "%", "reduction", 2025),
    ]  # fmt: skip


def test_a_listed_second_number_shares_the_verb_and_year():
    text = "2025年底前新建公共充电站20座、换电站3座；全县共有12个乡镇。"

    assert extract_targets(text) == [
        TargetFact("2025年底前新建公共充电站20座", "公共充电站", 20, "座", "increment", 2025),
        TargetFact("换电站3座", "换电站", 3, "座", "increment", 2025),
    ]


def test_units_with_multipliers_and_a_leading_aspiration():
    text = "力争到2027年，全市新增光伏装机容量50万千瓦，建成5个零碳园区，投资不少于3.5亿元。"

    assert extract_targets(text) == [
        TargetFact("新增光伏装机容量50万千瓦", "光伏装机容量", 50, "万千瓦", "increment", 2027),
        TargetFact("建成5个零碳园区", "零碳园区", 5, "个", "increment", 2027),
        TargetFact("投资不少于3.5亿元", "投资", 3.5, "亿元", "minimum", 2027),
    ]


def test_a_status_dated_with_jiezhi_is_a_baseline_not_a_deadline():
    text = "截至2023年底，全县已建成充电桩500个。截至2023年底，各项工作有序推进。"

    assert extract_targets(text) == [
        TargetFact("已建成充电桩500个", "充电桩", 500, "个", "baseline", 2023)
    ]


def test_a_ceiling():
    text = "PM2.5年均浓度控制在35微克/立方米以内，新增建设用地不超过120公顷"

    assert extract_targets(text) == [
        TargetFact("PM2.5年均浓度控制在35微克/立方米以内", "PM2.5年均浓度", 35, "微克/立方米", "maximum", None),
        TargetFact("新增建设用地不超过120公顷", "新增建设用地", 120, "公顷", "maximum", None),
    ]  # fmt: skip


def test_a_share_followed_by_yishang_is_a_minimum():
    text = "城镇新建建筑中绿色建筑占比80%以上，农村生活污水治理率60%"

    assert extract_targets(text) == [
        TargetFact(
            "城镇新建建筑中绿色建筑占比80%以上",
            "城镇新建建筑中绿色建筑占比",
            80,
            "%",
            "minimum",
            None,
        )
    ]


def test_full_width_and_traditional_text():
    text = "至２０３０年新增風電光伏１．２ＧＷ，完成造林1,200畝"

    facts = extract_targets(text)

    assert [(f.text, f.value, f.unit, f.year) for f in facts] == [
        ("至２０３０年新增風電光伏１．２ＧＷ", 1.2, "GW", 2030),
        ("完成造林1,200畝", 1200, "亩", None),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "到2030年，全面建成绿色低碳循环发展经济体系。",
            TargetFact("到2030年，全面建成绿色低碳循环发展经济体系", "绿色低碳循环发展经济体系", None, "", "deadline", 2030),
        ),
        (
            "确保2027年底前基本消除城市黑臭水体",
            TargetFact("确保2027年底前基本消除城市黑臭水体", "消除城市黑臭水体", None, "", "deadline", 2027),
        ),
        (
            "2024—2026年，开展城市更新行动。",
            TargetFact("2024—2026年，开展城市更新行动", "城市更新行动", None, "", "period", 2026, start_year=2024),
        ),
    ],
)  # fmt: skip
def test_deadlines_and_periods(text, expected):
    assert extract_targets(text) == [expected]


def test_an_undated_multi_year_action_is_not_a_target():
    assert (
        extract_targets("落实《县城污水处理提质增效三年行动方案》，实施收储网点建设三年行动。")
        == []
    )


# --- invariants --------------------------------------------------------------------------------

SAMPLES = [
    PLAN,
    "到2025年，全县森林覆盖率稳定在55%以上，单位地区生产总值能耗较2020年下降14%。",
    "力争到2027年，全市新增光伏装机容量50万千瓦，建成5个零碳园区，投资不少于3.5亿元。",
    "至２０３０年新增風電光伏１．２ＧＷ，完成造林1,200畝",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_every_fact_is_well_formed(text):
    for fact in extract_targets(text):
        assert fact.text in text, fact
        assert fact.kind in KINDS, fact
        assert fact.metric and fact.metric in fact.text, fact
        assert (fact.value is None) == (fact.kind == "deadline" or not fact.unit), fact
        if fact.kind == "deadline":
            assert fact.year is not None, fact
        if fact.start_year is not None:
            assert fact.kind == "period" and fact.year is not None
            assert fact.start_year <= fact.year, fact
