"""Tests for registry.taskforce: the plan's 工作专班, and how other plans set up theirs."""

from __future__ import annotations

import pytest

from registry.taskforce import TaskForce, extract_taskforce
from retrieval.lexicon import load_lexicon
from tests.conftest import CORPUS

PLAN = (CORPUS / "xiangyin-shuangtan-plan.txt").read_text("utf-8")
MECHANISM = PLAN.split("三、推进机制", 1)[1]
PLAN_TASKFORCE = TaskForce(
    name="落实好重“双碳”促转型的任务工作专班",
    convener="县政府办分管副主任",
    deputy_conveners=("县发改局主要负责人", "市生态环境局湘阴分局主要负责人"),
    deputy_departments=("县发改局", "市生态环境局湘阴分局"),
    members=(
        "县教育局", "县科技局", "县工信局", "县公安局", "县财政局", "县人社局", "县自然资源局",
        "县住建局", "县交通运输局", "县水利局", "县农业农村局", "县商务粮食局", "县文旅广体局",
        "县应急管理局", "县市场监管局", "县统计局", "县机关事务服务中心", "县林业局", "县高新区",
    ),
    members_open_ended=True,
    office="县发改局",
    office_duties="负责日常协调和调度等工作",
)  # fmt: skip


@pytest.fixture(scope="module")
def resolve():
    return load_lexicon(CORPUS).resolve


@pytest.mark.parametrize("text", [MECHANISM, PLAN], ids=["paragraph", "whole plan"])
def test_the_plan_taskforce(resolve, text):
    assert extract_taskforce(text, resolve) == PLAN_TASKFORCE


def test_the_plan_has_nineteen_members_all_known(resolve):
    taskforce = extract_taskforce(MECHANISM, resolve)

    assert taskforce is not None
    assert len(taskforce.members) == 19
    assert all(resolve(member) == member for member in taskforce.members)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "各单位要加强协作，形成工作合力，确保各项任务落地见效。",
        PLAN.split("三、推进机制", 1)[0],
    ],
    ids=["empty", "no body", "plan without its mechanism"],
)
def test_no_taskforce(resolve, text):
    assert extract_taskforce(text, resolve) is None


def test_roles_written_inside_the_name(resolve):
    text = (
        "为加强组织领导，成立以县长为组长、常务副县长为副组长的县碳达峰碳中和工作领导小组，"
        "县发改局、县工信局、县财政局、县统计局等为成员单位。"
        "领导小组办公室设在县发改局，承担领导小组日常工作。"
    )

    assert extract_taskforce(text, resolve) == TaskForce(
        name="县碳达峰碳中和工作领导小组",
        convener="县长",
        deputy_conveners=("常务副县长",),
        deputy_departments=(),
        members=("县发改局", "县工信局", "县财政局", "县统计局"),
        members_open_ended=True,
        office="县发改局",
        office_duties="承担领导小组日常工作",
    )


def test_role_before_holder_and_members_with_titles(resolve):
    text = (
        "成立县双碳工作专班。组长由县长担任，副组长由县发改局、县工信局主要负责人担任，"
        "成员由县财政局、县林业局（含国有林场）负责同志组成。专班办公室设于县发改局，负责统筹协调。"
    )

    assert extract_taskforce(text, resolve) == TaskForce(
        name="县双碳工作专班",
        convener="县长",
        deputy_conveners=("县发改局主要负责人", "县工信局主要负责人"),
        deputy_departments=("县发改局", "县工信局"),
        members=("县财政局", "县林业局"),
        members_open_ended=False,
        office="县发改局",
        office_duties="负责统筹协调",
    )


def test_a_named_body_with_listed_members_unknown_kept_and_traditional(resolve):
    text = (
        "縣碳達峰碳中和工作領導小組由縣委副書記、縣長任組長，縣政府分管副縣長、縣發改局局長任副組長，"
        "成員單位包括縣工信局、縣碳匯中心。"
    )

    taskforce = extract_taskforce(text, resolve)

    assert taskforce == TaskForce(
        name="縣碳達峰碳中和工作領導小組",
        convener="縣委副書記、縣長",
        deputy_conveners=("縣政府分管副縣長", "縣發改局局長"),
        deputy_departments=("县发改局",),
        members=("县工信局", "縣碳匯中心"),
        members_open_ended=False,
        office="",
        office_duties="",
    )
