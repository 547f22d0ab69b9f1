"""文件入库 in real headless Chromium: the office uploads a plan, reviews the measures read from
it (corrects a unit, a target's unit, marks a measure as no task, splits one, merges two),
publishes it into the ledger; a new version shows what changed and keeps the corrections; a bad
file is refused with a Chinese message; a scan's OCR text is marked; departments are refused.

The services are this module's own (publishing changes the ledger): no corpus ingest, the real
OCR for one small scanned page. Each test sets up what it needs, so they may run on any worker.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, Route, expect

from api.app import create_app
from assistant.services import Services
from bench.scans import plan_paragraphs, render_page, scanned
from tests.api.conftest import make_user
from tests.conftest import fixed_services, make_settings
from tests.fakes.servers import serve
from tests.web.conftest import SHOTS, login, needs_chromium

pytestmark = needs_chromium

PLAN = Path(__file__).resolve().parents[1] / "data" / "plans" / "lines-plan.txt"
TITLE = "临澧县碳达峰行动实施方案"
ISSUER = "临澧县人民政府"
SLOW = 60_000  # reading a scan (OCR) or publishing (embedding) on two busy cores


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Services:
    return fixed_services(make_settings(tmp_path_factory.mktemp("intake"), embedding_cache))


@pytest.fixture(scope="module")
def site(services: Services) -> Iterator[str]:
    with serve(create_app(services, session_secret="intake-test")) as url:
        yield url


def _office_page(browser: Browser, site: str, services: Services) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, site, make_user(services, "office"), "/intake")
    return page


def _choose(page: Page, path: Path) -> None:
    page.set_input_files("#upload input[name=file]", str(path))
    page.click("#upload button[type=submit]")


def _measure(page: Page, key: str) -> Locator:
    return page.locator(f'article.measure[data-key="{key}"]')


def _field_badge(page: Page, key: str, field: str) -> Locator:
    """The 已更正 badge of one field of a measure's form."""
    return _measure(page, key).locator(f"label:has(input[name={field}]) .badge.edited")


def _done(page: Page, notice: str) -> None:
    """An action's reload has come back (its notice shows on the new page)."""
    expect(page.locator("#notice")).to_have_text(notice, timeout=15_000)


def test_office_reviews_an_upload_and_publishes_it_into_the_ledger(
    browser: Browser, site: str, services: Services
) -> None:
    page = _office_page(browser, site, services)
    expect(page.locator("h1")).to_have_text("文件入库")
    expect(page.locator("nav a[href='/intake']")).to_have_text("文件入库")
    expect(page.locator("#entry option").first).to_have_text("新建条目")
    expect(page.locator("#entry option[value=xiangyin-plan]")).to_have_count(1)
    page.fill("#upload input[name=id]", "linli-plan")
    page.fill("#upload input[name=title]", TITLE)
    page.select_option("#upload select[name=level]", "县")
    page.fill("#upload input[name=issuer]", ISSUER)
    # the request is held until the progress shows: a text file is read in a moment
    held: list[Route] = []
    page.route("**/api/drafts", lambda route: held.append(route))
    _choose(page, PLAN)
    progress = page.locator("#upload .progress")
    expect(progress).to_be_visible()
    expect(progress).to_contain_text("正在读取和识别文件…")
    expect(progress.locator("progress")).to_be_visible()
    expect(page.locator("#upload button[type=submit]")).to_be_disabled()
    for _ in range(200):  # the route's handler runs when Playwright next hears from the browser
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1
    held[0].continue_()
    page.wait_for_url(re.compile(r"/intake/\d+$"), timeout=SLOW)
    page.unroute("**/api/drafts")
    draft_id = int(page.url.rsplit("/", 1)[1])

    expect(page.locator("h1")).to_have_text("审核草稿")
    expect(page.locator(".doc-title")).to_have_text(TITLE)
    expect(page.locator(".file-name")).to_have_text("lines-plan.txt")
    expect(page.locator(".doc-head")).to_contain_text(ISSUER)
    expect(page.locator(".draft-status")).to_have_text("待审核")
    expect(page.locator(".ocr-note")).to_have_count(0)
    expect(page.locator(".carried")).to_have_count(0)
    expect(page.locator("article.measure")).to_have_count(17)
    expect(page.locator(".change-list li.added")).to_have_count(17)
    expect(page.locator(".change-list li:not(.added)")).to_have_count(0)
    expect(page.locator(".change-list li.added").first).to_contain_text(
        "新增 二、（一）1. 大力发展可再生能源"
    )
    expect(page.locator("details.clauses li")).to_have_count(31)

    # 二、（一）1.: the note names two 责任单位; the office says the first one leads
    first = _measure(page, "二、（一）1.")
    expect(first.locator("input[name=leads]")).to_have_value("")
    expect(first.locator("input[name=co]")).to_have_value("县发改局、国网临澧县供电公司")
    first.locator("input[name=leads]").fill("县发改局")
    first.locator("button[type=submit]").click()
    _done(page, "已保存 二、（一）1. 的更正。")
    # 二、（一）2.: the boiler size's unit is 蒸吨/小时
    coal = _measure(page, "二、（一）2.")
    expect(coal.locator(".target-text")).to_have_text("建成区35蒸吨")
    coal.locator(".target input[name=unit]").fill("蒸吨/小时")
    coal.locator("button[type=submit]").click()
    _done(page, "已保存 二、（一）2. 的更正。")
    # 三、（三）(a 保障措施) is no task
    _measure(page, "三、（三）").locator("input[name=excluded]").check()
    _measure(page, "三、（三）").locator("button[type=submit]").click()
    _done(page, "已保存 三、（三） 的更正。")
    # saving nothing changed says so and reloads nothing
    _measure(page, "二、（四）1.").locator("button[type=submit]").click()
    expect(_measure(page, "二、（四）1.").locator(".form-error")).to_have_text(
        "没有需要保存的修改。"
    )
    # 二、（一）1. is two tasks: the projects (sentences 1–2) and rooftop solar (sentence 3)
    first.locator("input[name=at]").fill("2")
    first.locator(".split-button").click()
    _done(page, "已将 二、（一）1. 在第 2 句后拆分。")
    expect(page.locator("article.measure")).to_have_count(18)
    # the two halves of 二、（二）2. become one task
    _measure(page, "二、（二）2.（1）").locator(".merge-button").click()
    _done(page, "已将 二、（二）2.（1） 与下一项合并。")
    expect(page.locator("article.measure")).to_have_count(17)

    page.reload()
    expect(page.locator("#notice")).to_be_hidden()
    expect(first.locator("input[name=leads]")).to_have_value("县发改局")
    expect(first.locator("input[name=co]")).to_have_value("国网临澧县供电公司")
    expect(_field_badge(page, "二、（一）1.", "leads")).to_have_text("已更正")
    expect(_field_badge(page, "二、（一）1.", "co")).to_have_count(0)
    expect(first.locator("header .badge.edited")).to_have_text("已拆分")
    expect(first.locator("blockquote")).not_to_contain_text("推动党政机关")
    rest = _measure(page, "二、（一）1.（之二）")
    expect(rest.locator("blockquote")).to_contain_text("推动党政机关")
    expect(rest.locator("input[name=leads]")).to_have_value("县发改局")
    expect(rest.locator(".target-text")).to_have_text("新增新能源装机容量10万千瓦以上")
    expect(coal.locator(".target input[name=unit]")).to_have_value("蒸吨/小时")
    expect(coal.locator(".targets .badge.edited")).to_have_text("已更正")
    excluded = _measure(page, "三、（三）")
    expect(excluded).to_have_class(re.compile(r"\bexcluded\b"))
    expect(excluded.locator("input[name=excluded]")).to_be_checked()
    expect(excluded.locator("header")).to_contain_text("不作为任务")
    merged = _measure(page, "二、（二）2.（1）")
    expect(merged.locator("header .badge.edited")).to_have_text("已合并")
    expect(merged.locator("blockquote")).to_contain_text("一般工业固体废物综合利用率")
    expect(_measure(page, "二、（二）2.（2）")).to_have_count(0)
    # the ledger would get 16 tasks, all new: not the excluded one, the split part, the merged
    expect(page.locator(".change-list li.added")).to_have_count(16)
    expect(page.locator(".change-list")).not_to_contain_text("三、（三）")
    expect(page.locator(".change-list")).to_contain_text("二、（一）1.（之二）")
    # the corrected measures, under the sticky bar
    first.evaluate("el => window.scrollTo(0, el.getBoundingClientRect().top + scrollY - 100)")
    page.screenshot(path=SHOTS / "intake-review.png")

    page.click("#publish")
    result = page.locator("#published .result")
    expect(result).to_contain_text("已发布：任务 16 项", timeout=SLOW)
    expect(page.locator("#published a")).to_have_attribute("href", "/dashboard?document=linli-plan")
    expect(page.locator("#published .warning")).to_be_hidden()
    expect(page.locator(".draft-status")).to_have_text("已发布")
    expect(page.locator("#publish")).to_have_count(0)
    expect(page.locator("article.measure button")).to_have_count(0)
    expect(page.locator("article.measure fieldset:not([disabled])")).to_have_count(0)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=SHOTS / "intake-published.png")

    tasks = {t.clause: t for t in services.registry.tasks(document="linli-plan")}
    assert len(tasks) == 17 - 1 + 1 - 1
    assert tasks["二、（一）1."].lead_departments == ("县发改局",)
    assert tasks["二、（一）1."].co_departments == ("国网临澧县供电公司",)
    assert tasks["二、（一）1.（之二）"].lead_departments == ("县发改局",)
    assert [t.unit for t in tasks["二、（一）2."].targets] == ["蒸吨/小时"]
    assert "三、（三）" not in tasks
    assert "二、（二）2.（2）" not in tasks
    assert services.intake.drafts.get(draft_id).status == "published"
    assert "linli-plan" in services.ingest.sources()  # the manifest names it for a new version

    # no longer among the open drafts
    page.goto(f"{site}/intake")
    expect(page.locator(f".drafts a[href='/intake/{draft_id}']")).to_have_count(0)
    page.close()


def test_a_new_version_shows_what_changed_and_keeps_the_corrections(
    browser: Browser, site: str, services: Services, tmp_path: Path
) -> None:
    # the first version, reviewed and published by the office
    first = services.intake.upload(
        "lines-plan.txt",
        PLAN.read_bytes(),
        {"id": "linli-versions", "title": TITLE, "issuer": ISSUER, "level": "县"},
        actor="office",
    )
    services.intake.drafts.edit(first.id, "二、（一）1.", {"leads": ["县发改局"]}, actor="office")
    services.intake.drafts.edit(first.id, "三、（三）", {"excluded": True}, actor="office")
    services.intake.publish(first.id, actor="office")
    # the second: one sentence of 二、（三）2. reworded
    old = "2026年起新建农房鼓励按照节能农房标准建设"
    new = "2027年起新建农房全面按照节能农房标准建设"
    text = PLAN.read_text("utf-8")
    assert text.count(old) == 1
    second = tmp_path / "临澧县碳达峰行动实施方案（修订稿）.txt"
    second.write_text(text.replace(old, new), "utf-8")

    page = _office_page(browser, site, services)
    page.select_option("#entry", "linli-versions")
    expect(page.locator("#upload input[name=id]")).to_have_value("linli-versions")
    expect(page.locator("#upload input[name=title]")).to_have_value(TITLE)
    expect(page.locator("#upload input[name=issuer]")).to_have_value(ISSUER)
    expect(page.locator("#upload select[name=level]")).to_have_value("县")
    page.fill("#upload input[name=doc_number]", "临政发〔2026〕3号")
    page.fill("#upload input[name=date]", "2026-08-20")
    _choose(page, second)
    page.wait_for_url(re.compile(r"/intake/\d+$"), timeout=SLOW)
    draft_id = int(page.url.rsplit("/", 1)[1])

    expect(page.locator(".doc-head")).to_contain_text("临政发〔2026〕3号")
    expect(page.locator(".doc-head")).to_contain_text("2026-08-20")
    expect(page.locator(".carried")).to_have_text("沿用上一版本的 2 项更正。")
    changed = page.locator(".change-list li.changed")
    expect(changed).to_have_count(1)
    expect(changed).to_have_text("修改 二、（三）2. 推进城乡用能清洁化：正文")
    expect(page.locator(".change-list li.added")).to_have_count(0)
    expect(page.locator(".change-list li.removed")).to_have_count(0)
    expect(_field_badge(page, "二、（一）1.", "leads")).to_have_text("已更正")
    expect(_measure(page, "三、（三）").locator("input[name=excluded]")).to_be_checked()
    expect(_measure(page, "二、（三）2.").locator("blockquote")).to_contain_text(new)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=SHOTS / "intake-changes.png")

    # the open draft is listed on the upload page
    page.goto(f"{site}/intake")
    listed = page.locator(f".drafts a[href='/intake/{draft_id}']")
    expect(listed).to_have_text(TITLE)
    listed.click()
    expect(page).to_have_url(f"{site}/intake/{draft_id}")

    # discarding asks first, then leaves the draft read-only and the ledger as it was
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#discard")
    _done(page, "草稿已放弃。")
    expect(page.locator(".draft-status")).to_have_text("已放弃")
    expect(page.locator("#publish")).to_have_count(0)
    assert services.intake.drafts.get(draft_id).status == "discarded"
    page.goto(f"{site}/intake")
    expect(page.locator(f".drafts a[href='/intake/{draft_id}']")).to_have_count(0)
    tasks = {t.clause: t for t in services.registry.tasks(document="linli-versions")}
    assert old in tasks["二、（三）2."].text
    page.close()


def test_a_file_that_cannot_be_read_is_refused_on_the_upload_page(
    browser: Browser, site: str, services: Services, tmp_path: Path
) -> None:
    before = len(services.intake.drafts.list(status=None))
    page = _office_page(browser, site, services)
    error = page.locator("#upload .form-error")
    cat = tmp_path / "cat.png"
    cat.write_bytes(b"\x89PNG\r\n\x1a\n")  # a PNG's signature and nothing after it
    _choose(page, cat)
    expect(error).to_have_text("图片“cat.png”已损坏或格式无法识别。", timeout=SLOW)
    expect(page.locator("#upload .progress")).to_be_hidden()
    expect(page.locator("#upload button[type=submit]")).to_be_enabled()

    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ\x90\x00")
    _choose(page, program)
    expect(error).to_contain_text("不支持“.exe”文件；可上传：")
    expect(page).to_have_url(f"{site}/intake")
    assert len(services.intake.drafts.list(status=None)) == before
    page.close()


def test_only_the_office_may_upload(browser: Browser, site: str, services: Services) -> None:
    # a department account needs its unit in the ledger: the plan's, there without search
    setup = services.intake.upload(
        "lines-plan.txt", PLAN.read_bytes(), {"id": "linli-units", "title": TITLE}, actor="office"
    )
    services.intake.drafts.publish(setup.id, actor="office")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{site}/intake")
    expect(page).to_have_url(f"{site}/login?next=/intake")
    login(page, site, make_user(services, "department", "县林业局"), "/dashboard")
    expect(page.locator("nav a[href='/intake']")).to_have_count(0)
    for path in ("/intake", "/intake/1"):
        response = page.goto(f"{site}{path}")
        assert response is not None and response.status == 403
        expect(page.locator("[role=alert]")).to_have_text("只有专班办公室可以上传和审核文件。")
        expect(page.locator("#upload")).to_have_count(0)
    page.close()


def test_text_read_by_ocr_is_marked_for_checking(
    browser: Browser, site: str, services: Services, tmp_path: Path
) -> None:
    # a scanned page: the plan's title, 二、（一） and its 1.–2., with a 责任单位 line under 1.
    paragraphs = plan_paragraphs()
    scan = tmp_path / "扫描件.png"
    page_image = render_page(
        [*paragraphs[:1], *paragraphs[5:8], "责任单位：县发改局", paragraphs[8]]
    )
    scanned(page_image).save(scan)

    page = _office_page(browser, site, services)
    page.fill("#upload input[name=id]", "scan-test")
    page.fill("#upload input[name=title]", "扫描件测试")
    _choose(page, scan)
    expect(page.locator("#upload .progress")).to_be_visible()
    page.wait_for_url(re.compile(r"/intake/\d+$"), timeout=SLOW)
    expect(page.locator(".ocr-note")).to_have_text("部分文字经 OCR 识别，请对照原文核对。")
    measure = _measure(page, "二、（一）1.")
    expect(measure.locator("header .badge.ocr")).to_have_text("OCR")
    expect(measure.locator("input[name=leads]")).to_have_value("县发改局")
    tree = page.locator("details.clauses")
    tree.locator("summary").click()
    expect(tree.locator("li.ocr").filter(has_text="二、（一）1.")).to_have_count(1)
    expect(tree.locator("li.ocr .badge.ocr").first).to_be_visible()
    page.close()
