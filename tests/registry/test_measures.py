"""Many plans in one ledger: measures per note, deadlines as milestones, documents kept apart;
on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from registry.service import Registry
from retrieval.clauses import parse_clauses
from retrieval.loaders import read_blocks

PLANS = Path(__file__).resolve().parents[1] / "data" / "plans"
LINES = PLANS / "lines-plan.txt"
TABLE = PLANS / "table-plan.docx"


def _sync(registry: Registry, path: Path, source_id: str, *, own: bool = True) -> None:
    document = parse_clauses(read_blocks(path))
    registry.sync_document(
        source_id=source_id,
        title=document.title,
        level="县",
        document=document,
        canonical_names=own,
    )


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plan.txt"
    path.write_text(text, "utf-8")
    return path


def test_several_notes_in_one_item_are_several_measures(registry: Registry) -> None:
    _sync(registry, LINES, "lines", own=False)
    park = [t for t in registry.tasks() if t.clause.startswith("二、（二）2.")]
    assert [t.clause for t in park] == ["二、（二）2.（1）", "二、（二）2.（2）"]
    first, second = park
    assert first.lead_departments == ("县经开区管委会",) and not first.co_departments
    assert first.text.endswith("2027年9月底前建成园区能源管理中心")
    assert "县经开区管委会负责" not in first.text  # the note is not the measure's text
    assert second.text.startswith("加强工业固体废物综合利用")
    assert second.lead_departments == ("县工信局",)
    assert second.co_departments == ("市生态环境局临澧分局", "县住建局")


def test_a_time_limit_becomes_a_milestone_that_follows_the_text(
    registry: Registry, tmp_path: Path
) -> None:
    text = LINES.read_text("utf-8")
    _sync(registry, LINES, "lines", own=False)
    coal = next(t for t in registry.tasks() if t.clause == "二、（一）2.")
    assert coal.deadline is not None
    assert (coal.deadline.date, coal.deadline.kind) == (dt.date(2027, 12, 31), "date")
    assert coal.deadline.text == "2027年12月底前"
    [from_text] = coal.milestones
    assert (from_text.origin, from_text.due) == ("text", dt.date(2027, 12, 31))
    office = registry.add_milestone(
        coal.id, due=dt.date(2027, 3, 31), description="完成锅炉摸底", actor="专班办公室"
    )

    # the county moves the time limit: the text's milestone follows, the office's stays
    _sync(registry, _write(tmp_path, text.replace("2027年12月底前", "2027年9月底前")), "lines")
    after = registry.task(coal.id)
    assert [(m.origin, m.due) for m in after.milestones] == [
        ("office", dt.date(2027, 3, 31)),
        ("text", dt.date(2027, 9, 30)),
    ]
    assert after.milestones[0].id == office.id

    # done is done: a completed milestone is neither moved nor made again
    done = registry.complete_milestone(after.milestones[1].id, actor="专班办公室")
    _sync(registry, _write(tmp_path, text.replace("2027年12月底前", "2027年9月底前")), "lines")
    assert [m.id for m in registry.task(coal.id).milestones if m.origin == "text"] == [done.id]


def test_annual_and_ongoing_time_limits_have_no_date(registry: Registry) -> None:
    _sync(registry, LINES, "lines", own=False)
    kinds = {t.clause: t.deadline for t in registry.tasks() if t.deadline and not t.deadline.date}
    assert {(d.kind, d.text) for d in kinds.values()} >= {("ongoing", "长期坚持")}
    assert all(not t.milestones for t in registry.tasks() if t.clause in kinds)


def test_documents_share_one_ledger_and_never_touch_each_other(
    registry: Registry, tmp_path: Path
) -> None:
    _sync(registry, LINES, "lines", own=False)
    _sync(registry, TABLE, "table", own=False)
    assert {d.id: d.tasks for d in registry.documents()} == {"lines": 17, "table": 16}
    assert len(registry.tasks(document="table")) == 16
    assert {t.document_id for t in registry.tasks(document="lines")} == {"lines"}
    forest = next(t for t in registry.tasks(document="lines") if t.clause == "二、（五）1.")
    registry.add_progress(
        forest.id, department="县林业局", status="进行中", note="已造林0.5万亩", reporter="王五"
    )
    before = registry.tasks(document="lines")

    # the other document is revised, then replaced by a plan with one task
    _sync(registry, _write(tmp_path, "1.推进节能。（县发改局负责）"), "table")
    assert [t.title for t in registry.tasks(document="table")] == ["推进节能"]
    assert registry.tasks(document="lines") == before
    assert registry.task(forest.id).progress[0].note == "已造林0.5万亩"


def test_an_unknown_document_is_a_clear_error(registry: Registry) -> None:
    _sync(registry, LINES, "lines", own=False)
    try:
        registry.tasks(document="nope")
    except ValueError as exc:
        assert "台账中没有文档 nope" in str(exc) and "lines" in str(exc)
    else:
        raise AssertionError("an unknown document must be refused")


def test_the_county_names_its_units_another_place_keeps_its_own(
    registry: Registry, tmp_path: Path
) -> None:
    text = "1.推进节能改造。（责任单位：发改委，配合单位：市发展改革委、湘阴县林业局）"
    _sync(registry, _write(tmp_path, text), "own")
    [own] = registry.tasks(document="own")
    assert own.lead_departments == ("县发改局",)
    assert own.co_departments == ("市发展改革委", "县林业局")

    _sync(registry, _write(tmp_path, text), "other", own=False)
    [other] = registry.tasks(document="other")
    assert other.lead_departments == ("发改委",)
    assert other.co_departments == ("市发展改革委", "湘阴县林业局")


def test_a_stated_convention_is_applied_and_recorded(registry: Registry, tmp_path: Path) -> None:
    text = (
        "1.加快光伏建设。（责任单位：市发展改革委、市住房城乡建设局；排在第一位的为牵头单位，"
        "以下均需各区人民政府落实，不再列出）\n"
        "2.推进充电设施建设。（责任单位：市交通运输局、市发展改革委）"
    )
    _sync(registry, _write(tmp_path, text), "city", own=False)
    first, second = registry.tasks(document="city")
    assert first.lead_departments == ("市发展改革委",)
    assert second.lead_departments == ("市交通运输局",)
    assert second.co_departments == ("市发展改革委", "各区人民政府")
    assert any("排在第一位的为牵头单位" in c for c in second.conventions)
    [document] = registry.documents()
    assert len(document.conventions) == 2


def test_a_convention_adds_no_unit_the_note_names_already(
    registry: Registry, tmp_path: Path
) -> None:
    # 福建省“十四五”节能减排综合工作实施方案: the convention is stated inside a note that names
    # the same units with 各
    text = (
        "1.加快光伏建设。（省工信厅、发改委等按职责分工负责，各设区市人民政府和平潭综合实验区管委会"
        "负责落实。以下均需设区市人民政府和平潭综合实验区管委会落实，不再列出）\n"
        "2.推进充电设施建设。（省交通运输厅牵头）"
    )
    _sync(registry, _write(tmp_path, text), "province", own=False)
    first, second = registry.tasks(document="province")
    units = first.lead_departments + first.co_departments
    assert "各设区市人民政府" in units and "设区市人民政府" not in units
    assert units.count("平潭综合实验区管委会") == 1
    assert second.lead_departments == ("省交通运输厅",)
    assert second.co_departments == ("设区市人民政府", "平潭综合实验区管委会")


def test_ten_thousand_notes(registry: Registry, tmp_path: Path) -> None:
    items = [f"{n % 99 + 1}.推进第{n}项工作。（县发改局负责）" for n in range(10_000)]
    _sync(registry, _write(tmp_path, "\n".join(items)), "big", own=False)
    tasks = registry.tasks(document="big")
    assert len(tasks) == 10_000
    assert len({t.clause for t in tasks}) == 10_000
    assert all(t.lead_departments == ("县发改局",) for t in tasks)
