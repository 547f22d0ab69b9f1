"""The policies above the plan: national and Hunan texts and the laws, searched, cited by level
and article, kept out of the county's ledger; the county plan first for county questions."""

from __future__ import annotations

from pathlib import Path

from assistant.services import Services
from tests.conftest import fixed_services, make_settings


def test_a_fine_is_answered_from_the_law_by_article(plan_services: Services) -> None:
    answer = plan_services.answers.ask("露天焚烧秸秆罚多少钱", audience="public")
    first = answer.citations[0]
    assert (first.level, first.clause) == ("国家", "第一百一十九条")
    assert "大气污染防治法" in first.document
    assert "五百元以上二千元以下" in answer.answer  # the amount first, then the source
    assert "依据：国家《中华人民共和国大气污染防治法》第一百一十九条" in answer.answer


def test_a_penalty_question_gets_the_duty_and_the_penalty(plan_services: Services) -> None:
    """The duty (第五十三条) and its penalty (第八十二条) are two articles: both are cited."""
    answer = plan_services.answers.ask(
        "重点用能单位不报送能源利用状况报告，要受什么处罚？这项报送义务是怎么规定的？"
    )
    cited = [(c.document, c.clause) for c in answer.citations[:2]]
    assert [clause for _, clause in cited] == ["第八十二条", "第五十三条"]
    assert all("节约能源法" in document for document, _ in cited)
    assert "一万元以上五万元以下" in answer.answer
    assert "上年度的能源利用状况报告" in answer.citations[1].text


def test_an_article_is_quoted_with_what_follows_a_refusal(plan_services: Services) -> None:
    """ "拒不改正的，责令停工整治" ends the opening of 第一百一十五条, before its items."""
    answer = plan_services.answers.ask("工地扬尘不洒水不覆盖，会被怎么处罚？", audience="public")
    assert answer.citations[0].clause == "第一百一十五条"
    assert "一万元以上十万元以下" in answer.answer  # the amount asked, in the answer itself
    assert "责令停工整治" in answer.citations[0].text


def test_a_question_naming_the_issuer_is_answered_from_its_texts(
    plan_services: Services,
) -> None:
    answer = plan_services.answers.ask("國務院對酒店、餐飲等行業提供一次性用品有什麼要求？")
    assert "国务院" in answer.citations[0].document
    assert "不主动提供一次性用品" in answer.answer


def test_a_provincial_figure_comes_from_the_task_not_the_review(plan_services: Services) -> None:
    """The figure for 2025 is in a task clause; the review of “十三五” has older wind figures."""
    answer = plan_services.answers.ask("湖南“十四五”风电装机目标是多少？")
    assert answer.citations[0].clause == "四、（一）1." and "1200万千瓦以上" in answer.answer


def test_waste_sorting_duty_cites_the_solid_waste_law(plan_services: Services) -> None:
    answer = plan_services.answers.ask("家里不分类垃圾违法吗", audience="public")
    assert any(
        "固体废物污染环境防治法" in c.document and c.level == "国家" for c in answer.citations
    )


def test_a_provincial_target_is_answered_from_the_province(plan_services: Services) -> None:
    answer = plan_services.answers.ask("湖南省2025年非化石能源比重目标是多少")
    assert answer.citations[0].level == "省"
    assert "22%" in answer.answer


def test_county_questions_stay_with_the_county_plan(plan_services: Services) -> None:
    answer = plan_services.answers.ask("秸秆禁烧谁牵头？")
    assert (
        answer.citations[0].clause == "二、（二）1." and "市生态环境局湘阴分局牵头" in answer.answer
    )
    hits = plan_services.search.search("到2030年要新增多少公用充电桩", k=3)
    assert hits[0].level == "县" and hits[0].clause == "二、（一）2."


def test_search_filters_by_level_and_document(plan_services: Services) -> None:
    national = plan_services.search.search("秸秆", k=5, level="国家")
    assert national and all(h.level == "国家" for h in national)
    law = plan_services.search.search("秸秆 罚款", k=3, source_id="cn-air-pollution-law")
    assert law and {h.source_id for h in law} == {"cn-air-pollution-law"}


def test_higher_texts_stay_out_of_the_ledger(plan_services: Services) -> None:
    assert [d.id for d in plan_services.registry.documents()] == ["xiangyin-plan"]
    assert len(plan_services.registry.tasks()) == 10


def test_a_fresh_install_embeds_nothing(tmp_path: Path) -> None:
    """The corpus's vectors ship with it: the first ingest waits for no embedding."""
    services = fixed_services(make_settings(tmp_path / "data", tmp_path / "empty-cache"))
    report = services.ingest.ingest()
    assert not report.failed
    assert report.index.documents >= 27 and report.index.embedded == 0


def test_a_target_stated_as_a_rule_is_quoted_not_refused(plan_services: Services) -> None:
    answer = plan_services.answers.ask("湘阴县的PM2.5目标是多少？")
    assert answer.kind == "target"
    assert "全县PM2.5平均浓度达到省、市下达目标" in answer.answer
    assert answer.citations[0].clause == "一、（二）"
