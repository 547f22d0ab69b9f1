"""A small ledger with one task in every 督办 state, for the supervision tests (core, pages,
report): a plan written here, put in the ledger on 2026-07-01 and judged on ``NOW``
(2026-09-15, a Tuesday). What each task should be is read off the text below and the steps of
``build_ledger``, not off the program.

=====  ======================  ===================================================  ========
task   lead (co)               what happens                                         status
=====  ======================  ===================================================  ========
1.     县发改局 (县住建局)      office milestone due 09-18 (within 5 workdays);      临期
                               reported 09-10
2.     县交通运输局             text deadline 2026-12-31; reported 09-01              正常
3.     县农业农村局             no deadline, no milestone; reported 09-05             未设节点
4.     县机关事务中心*        text deadline 2026-08-31, open; never reported        逾期 (+未报送)
5.     县住建局                 text deadline 2027-06-30; its only report returned    未报送
6.     县林业局                 deadline met, reported, closed (办结) 09-14           已完成
=====  ======================  ===================================================  ========

* the alias table names it 县机关事务服务中心.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from assistant.services import Services
from retrieval.ingest import parse_source
from retrieval.loaders import read_blocks
from retrieval.sources import Source
from tests.conftest import NOW, FixedClock, fixed_services, make_settings

PLAN_TITLE = "某县“双碳”重点任务督办测试方案"
PLAN = f"""{PLAN_TITLE}

一、重点任务
（一）能源绿色低碳转型
1.屋顶分布式光伏。推进党政机关屋顶分布式光伏建设，2026年9月底前完成。（县发改局牵头，县住建局配合）
2.充电基础设施。新建公共充电桩200个，2026年12月底前完成。（县交通运输局牵头）
3.秸秆综合利用。秸秆综合利用率稳定在90%以上。（县农业农村局牵头）
（二）节能降碳增效
4.公共机构节能。完成全县公共机构能耗统计，2026年8月底前完成。（县机关事务中心牵头）
5.绿色建筑。新建建筑全面执行绿色建筑标准，2027年6月底前完成。（县住建局牵头）
6.森林碳汇。完成林业碳汇资源摸底，2026年6月底前完成。（县林业局牵头）
"""
SOURCE_ID = "supervision-test-plan"
INGESTED = dt.datetime(2026, 7, 1, 9, 0, tzinfo=NOW.tzinfo)
EXPECTED = {"逾期": 1, "临期": 1, "未报送": 1, "未设节点": 1, "正常": 1, "已完成": 1}
RETURN_COMMENT = "请补充已完成的光伏装机容量和并网时间"


@dataclass(frozen=True)
class Ledger:
    services: Services
    clock: FixedClock
    tasks: dict[str, int]  # clause → task id
    returned_report: int  # 县住建局's report on 5., returned with RETURN_COMMENT


def build_ledger(tmp_path: Path, cache_dir: Path) -> Ledger:
    clock = FixedClock(INGESTED)
    services = fixed_services(make_settings(tmp_path / "data", cache_dir), clock)
    registry = services.registry
    path = tmp_path / "plan.txt"
    path.write_text(PLAN, "utf-8")
    source = Source(id=SOURCE_ID, title=PLAN_TITLE, level="县", file=path.name)
    document = parse_source(read_blocks(path), source)
    registry.sync_document(source_id=SOURCE_ID, title=PLAN_TITLE, level="县", document=document)
    tasks = {t.clause: t.id for t in registry.tasks(document=SOURCE_ID)}
    clock.now = NOW
    office = "专班办公室"
    day = dt.date
    registry.add_milestone(
        tasks["一、（一）1."], due=day(2026, 9, 18), description="完成屋顶资源普查", actor=office
    )
    for clause, unit, on in (
        ("一、（一）1.", "县发改局", day(2026, 9, 10)),
        ("一、（一）2.", "县交通运输局", day(2026, 9, 1)),
        ("一、（一）3.", "县农业农村局", day(2026, 9, 5)),
        ("一、（二）6.", "县林业局", day(2026, 6, 20)),
    ):
        registry.add_progress(
            tasks[clause], department=unit, status="进行中", note="按计划推进", reporter=unit, on=on
        )
    returned = registry.add_progress(
        tasks["一、（二）5."],
        department="县住建局",
        status="进行中",
        note="已开展",
        reporter="县住建局",
        on=day(2026, 9, 8),
    )
    services.supervision.review(returned.id, accept=False, comment=RETURN_COMMENT, actor=office)
    forest = registry.task(tasks["一、（二）6."])
    registry.complete_milestone(forest.milestones[0].id, actor=office, on=day(2026, 6, 28))
    clock.now = NOW - dt.timedelta(days=1)
    registry.close_task(forest.id, note="摸底报告已印发", actor=office)
    clock.now = NOW
    return Ledger(services, clock, tasks, returned.id)
