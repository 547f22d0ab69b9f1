"""Upload → review → publish, on SQLite and PostgreSQL, with the real reader, index and model:
nothing reaches the ledger before publishing; publishing is one transaction; a new version shows
what changed and keeps the office's corrections and milestones."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import docx
import pytest
from PIL import Image
from pypdf import PdfWriter

from assistant.intake import IntakeError
from assistant.services import Services
from registry.service import RegistryError
from retrieval.sources import load_sources
from tests.conftest import fixed_services, make_settings

PLAN = Path(__file__).resolve().parents[1] / "data" / "plans" / "lines-plan.txt"
ENTRY = {"title": "临澧县碳达峰行动实施方案", "level": "县", "issuer": "临澧县人民政府"}


@pytest.fixture
def services(tmp_path: Path, embedding_cache: Path, database_url: str | None) -> Services:
    return fixed_services(
        make_settings(tmp_path / "data", embedding_cache, database_url=database_url)
    )


def _measure(draft, clause: str) -> dict:  # type: ignore[no-untyped-def]
    return next(m for m in draft.measures if m["clause"] == clause)


def test_an_upload_is_a_draft_and_nothing_else_changes(services: Services) -> None:
    draft = services.intake.upload("临澧方案.txt", PLAN.read_bytes(), ENTRY, actor="专班办")
    assert draft.status == "draft" and draft.source["title"] == ENTRY["title"]
    assert len(draft.measures) == 17 and len(draft.changes.added) == 17
    first = _measure(draft, "二、（一）1.")
    assert first["co"] == ["县发改局", "国网临澧县供电公司"]
    assert "新增新能源装机容量10万千瓦以上" in [t["text"] for t in first["targets"]]
    assert any(c["label"] == "二、（一）1." for c in draft.clauses) and not draft.ocr
    assert services.registry.documents() == []  # not in the ledger
    assert draft.source_id not in services.ingest.sources()  # nor in the manifest


def test_the_review_is_published_in_one_step(services: Services) -> None:
    drafts = services.intake.drafts
    draft = services.intake.upload("临澧方案.txt", PLAN.read_bytes(), ENTRY, actor="专班办")
    drafts.edit(draft.id, "二、（一）1.", {"leads": ["县发改局"]}, actor="专班办")
    target = {**_measure(draft, "二、（一）1.")["targets"][0], "unit": "兆瓦", "value": 100}
    drafts.edit(draft.id, "二、（一）1.", {"targets": [target]}, actor="专班办")
    deadline = {"date": "2027-06-30", "kind": "date", "text": "2027年6月底前"}
    drafts.edit(draft.id, "二、（一）3.", {"deadline": deadline}, actor="专班办")
    drafts.edit(draft.id, "二、（二）1.", {"excluded": True}, actor="专班办")
    drafts.split(draft.id, "二、（一）2.", at=1, actor="专班办")
    reviewed = drafts.merge(draft.id, "二、（三）1.（1）", actor="专班办")
    assert _measure(reviewed, "二、（一）1.")["edited"] == ["leads", "targets"]
    assert _measure(reviewed, "二、（一）2.（之二）")["edited"] == ["split"]

    done = services.intake.publish(draft.id, actor="专班办")
    assert done.indexed and not done.warning
    tasks = {t.clause: t for t in services.registry.tasks(document=draft.source_id)}
    assert len(tasks) == 17 - 1 + 1 - 1
    assert "二、（二）1." not in tasks and "二、（三）1.（2）" not in tasks
    assert tasks["二、（一）1."].lead_departments == ("县发改局",)
    assert tasks["二、（一）1."].co_departments == ("国网临澧县供电公司",)
    assert (tasks["二、（一）1."].targets[0].unit, tasks["二、（一）1."].targets[0].value) == (
        "兆瓦",
        100,
    )
    assert tasks["二、（一）3."].deadline.date == dt.date(2027, 6, 30)
    assert tasks["二、（一）2.（之二）"].text and tasks["二、（一）2."].text
    # the manifest lists it, search finds it, and the draft is closed
    entry = load_sources(services.settings.uploads_dir / "sources.toml")[draft.source_id]
    assert (entry.title, entry.issuer, entry.level) == (ENTRY["title"], "临澧县人民政府", "县")
    hits = services.search.search("太浮山风电场二期项目", k=3)
    assert hits and hits[0].document == ENTRY["title"]
    # `make run` ingests the manifest at every start: the reviewed ledger is left as published
    again = services.ingest.ingest([Path(entry.file)])
    assert not any(r.changed for r in again.registry)
    kept = {t.clause: t for t in services.registry.tasks(document=draft.source_id)}
    assert kept["二、（一）1."].lead_departments == ("县发改局",) and "二、（二）1." not in kept
    with pytest.raises(RegistryError, match="已发布，不能再修改"):
        drafts.edit(draft.id, "二、（一）3.", {"excluded": True}, actor="专班办")
    with pytest.raises(RegistryError, match="已发布"):
        services.intake.publish(draft.id, actor="专班办")


def test_a_new_version_lists_its_changes_and_keeps_the_office_work(
    services: Services, tmp_path: Path
) -> None:
    drafts = services.intake.drafts
    text = PLAN.read_text("utf-8")
    first = services.intake.upload("v1.txt", text.encode(), ENTRY, actor="专班办")
    drafts.edit(first.id, "二、（一）1.", {"leads": ["县发改局"]}, actor="专班办")
    drafts.edit(first.id, "二、（二）1.", {"excluded": True}, actor="专班办")
    services.intake.publish(first.id, actor="专班办")
    task = next(
        t for t in services.registry.tasks(document=first.source_id) if t.clause == "二、（一）1."
    )
    services.registry.add_milestone(
        task.id, due=dt.date(2027, 3, 31), description="完成光伏项目备案", actor="专班办"
    )

    clause_2 = _measure(first, "二、（一）2.")["text"]
    changed = text.replace(clause_2, clause_2.replace("。", "，并开展试点。", 1))
    # 二、（一）3. with its responsibility lines, up to the next heading
    start = changed.index("3.加快新型电力系统建设")
    removed = changed[:start] + changed[changed.index("（二）推动工业领域") :]
    second = services.intake.upload(
        "v2.txt", removed.encode(), {"id": first.source_id}, actor="专班办"
    )
    assert second.carried == 2  # both corrections still have their clause
    assert second.changes.removed == (("二、（一）3.", "加快新型电力系统建设"),)
    assert ("二、（一）2.", ("正文",)) in second.changes.changed
    assert "二、（一）1." not in dict(second.changes.changed)  # same text, same correction
    assert _measure(second, "二、（二）1.")["excluded"]

    services.intake.publish(second.id, actor="专班办")
    after = {t.clause: t for t in services.registry.tasks(document=first.source_id)}
    assert after["二、（一）1."].id == task.id
    assert after["二、（一）1."].lead_departments == ("县发改局",)
    assert [m.description for m in after["二、（一）1."].milestones] == ["完成光伏项目备案"]
    assert "二、（一）3." not in after and "二、（二）1." not in after


def test_a_file_named_like_an_entry_gets_an_id_of_its_own(services: Services) -> None:
    draft = services.intake.upload("xiangyin-plan.txt", PLAN.read_bytes(), ENTRY, actor="专班办")
    assert draft.source_id == "xiangyin-plan-2"  # the county plan's entry is left alone


def test_a_text_above_the_plan_is_searched_not_a_task_source(services: Services) -> None:
    entry = {**ENTRY, "title": "某省碳达峰实施方案", "level": "省", "ledger": False}
    draft = services.intake.upload("省方案.txt", PLAN.read_bytes(), entry, actor="专班办")
    done = services.intake.publish(draft.id, actor="专班办")
    assert done.indexed and not done.ledger.changed
    assert services.registry.documents() == []
    assert services.search.search("太浮山风电场二期项目", k=1)[0].document == "某省碳达峰实施方案"


def test_a_published_law_answers_at_once(services: Services) -> None:
    """The manifest is followed as it changes: a regulation published from an upload is a law
    for the next question, cited by article, without a restart."""
    text = (
        "某省湿地保护条例\n第一条 为了加强湿地保护，制定本条例。\n"
        "第二十条 禁止在湿地内开垦、填埋。\n"
        "第四十条 违反本条例第二十条规定，开垦、填埋湿地的，由县级以上人民政府林业主管部门"
        "责令改正，处每平方米五十元以上一百元以下罚款。\n"
    )
    entry = {"title": "某省湿地保护条例", "level": "省", "ledger": False}
    draft = services.intake.upload("条例.txt", text.encode(), entry, actor="专班办")
    services.intake.publish(draft.id, actor="专班办")
    assert draft.source_id in services.ingest.levels().laws
    fine = services.answers.ask("在湿地里开垦填埋会被罚多少钱？", audience="public")
    first = fine.citations[0]
    assert (first.document, first.clause) == ("某省湿地保护条例", "第四十条")
    assert "五十元以上一百元以下" in fine.answer
    # a question in no law's words: the county's texts, joined by the higher texts as they are now
    plain = services.answers.ask("湿地里能开垦填埋吗？", audience="public")
    assert plain.citations and plain.citations[0].document == "某省湿地保护条例"


def _macro_docx() -> bytes:
    out = io.BytesIO()
    docx.Document().save(out)
    with zipfile.ZipFile(out, "a") as archive:
        archive.writestr("word/vbaProject.bin", b"\x00" * 64)
    return out.getvalue()


def _encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _cat_picture() -> bytes:
    """A picture with no writing on it (a cat, to the reader): OCR finds no text."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 150, 90)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("猫.jpg", _cat_picture(), "没有识别出文字"),
        ("方案.exe", b"MZ" + bytes(100), "不支持"),
        ("带宏的方案.docx", _macro_docx(), "含有宏"),
        ("加密方案.pdf", _encrypted_pdf(), "加密的 PDF"),
        ("空文件.txt", b"", "文件是空的"),
    ],
)
def test_a_bad_file_is_refused_in_chinese_and_nothing_is_kept(
    services: Services, name: str, data: bytes, words: str
) -> None:
    with pytest.raises(IntakeError, match=words) as refused:
        services.intake.upload(name, data, ENTRY, actor="专班办")
    assert name in str(refused.value) or words in ("不支持", "文件是空的")
    assert services.intake.drafts.list(status=None) == []
    uploads = services.settings.uploads_dir
    assert not uploads.exists() or not any(uploads.iterdir())


def test_the_upload_size_is_a_setting(tmp_path: Path, embedding_cache: Path) -> None:
    settings = make_settings(tmp_path / "data", embedding_cache)
    settings = settings.model_copy(
        update={"documents": settings.documents.model_copy(update={"max_file_mb": 1})}
    )
    services = fixed_services(settings)
    with pytest.raises(IntakeError, match="文件过大"):
        services.intake.upload("大文件.txt", b"x" * (2 * 2**20), ENTRY, actor="专班办")


def test_a_bad_entry_is_refused_in_chinese(services: Services) -> None:
    with pytest.raises(IntakeError, match="层级只能是"):
        services.intake.upload("a.txt", PLAN.read_bytes(), {**ENTRY, "level": "乡"}, actor="x")
    with pytest.raises(IntakeError, match="YYYY-MM-DD"):
        services.intake.upload("a.txt", PLAN.read_bytes(), {**ENTRY, "date": "去年"}, actor="x")
    draft = services.intake.upload("a.txt", PLAN.read_bytes(), ENTRY, actor="x")
    with pytest.raises(RegistryError, match="只能在第 1 至"):
        services.intake.drafts.split(draft.id, "二、（一）1.", at=9, actor="x")
    with pytest.raises(RegistryError, match="没有条款"):
        services.intake.drafts.edit(draft.id, "九、", {"excluded": True}, actor="x")
    with pytest.raises(RegistryError, match="日期格式"):
        bad = {"date": "明年", "kind": "date", "text": ""}
        services.intake.drafts.edit(draft.id, "二、（一）1.", {"deadline": bad}, actor="x")
