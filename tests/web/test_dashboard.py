"""The 任务台账 page's daily work in real headless Chromium, over the supervision ledger (one task
in every 督办 state, judged on 2026-09-15): a department lands on its own tasks, the office
reviews reports, completes, edits and deletes milestones, closes tasks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Locator, Page, expect

from api.app import create_app
from registry.supervision import TASK_STATUSES
from tests.api.conftest import PASSWORD, make_user
from tests.fakes.servers import serve
from tests.supervision_ledger import RETURN_COMMENT, Ledger, build_ledger
from tests.web.conftest import SHOTS, login, needs_chromium

pytestmark = needs_chromium

LIGHTS = dict(
    zip(TASK_STATUSES, ("overdue", "soon", "unreported", "unset", "ok", "done"), strict=True)
)


@pytest.fixture
def fresh(tmp_path: Path, embedding_cache: Path) -> Iterator[tuple[Ledger, str]]:
    ledger = build_ledger(tmp_path, embedding_cache)
    with serve(create_app(ledger.services, session_secret="dashboard-test")) as url:
        yield ledger, url


def card(page: Page, ledger: Ledger, clause: str) -> Locator:
    return page.locator(f"article#task-{ledger.tasks[clause]}")


def office_page(browser: Browser, ledger: Ledger, site: str) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, site, make_user(ledger.services, "office"), "/dashboard")
    return page


def test_a_department_lands_on_its_own_tasks(browser: Browser, site: str, ledger: Ledger) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{site}/login")
    page.fill("input[name=username]", make_user(ledger.services, "department", "县住建局"))
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{site}/dashboard")
    expect(page.locator("select[name=department]")).to_have_value("县住建局")
    # 1. (县发改局 leads, 县住建局 shares) and 5. (县住建局 leads), once each, in one group
    expect(page.locator("article.task")).to_have_count(2)
    expect(page.locator("h2.group")).to_have_count(1)
    solar, building = card(page, ledger, "一、（一）1."), card(page, ledger, "一、（二）5.")
    expect(solar.locator(".role")).to_have_text("配合")
    expect(building.locator(".role")).to_have_text("牵头")
    expect(page.locator(".progress-form")).to_have_count(2)
    for absent in (".milestone-form", ".close-form", ".return-form", "button[data-action]"):
        expect(page.locator(absent)).to_have_count(0)
    # its returned report, with the office's comment, at the top and on the card
    expect(page.locator(".returned-list")).to_contain_text(RETURN_COMMENT)
    returned = building.locator(".report.returned")
    expect(returned.locator(".review-state")).to_have_text("已退回")
    expect(returned.locator(".comment")).to_have_text(f"退回意见：{RETURN_COMMENT}")
    expect(solar.locator(".light")).to_have_text("临期")
    expect(building.locator(".light")).to_have_text("未报送")
    page.screenshot(path=SHOTS / "dashboard-department.png", full_page=True)

    # 全部 widens the reading, not the writing
    page.select_option("select[name=department]", "")
    page.click(".filters button[type=submit]")
    expect(page.locator("article.task")).to_have_count(6)
    expect(page.locator(".progress-form")).to_have_count(2)
    expect(card(page, ledger, "一、（一）2.").locator("details.edit")).to_have_count(0)
    page.close()


def test_status_lights_carry_words_and_filter(browser: Browser, site: str, ledger: Ledger) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, site, make_user(ledger.services, "leader"), "/dashboard")
    lights = page.locator("article.task .light")
    expect(lights).to_have_count(6)
    assert sorted(lights.all_inner_texts()) == sorted(TASK_STATUSES)
    for light in lights.all():
        assert LIGHTS[light.inner_text()] in (light.get_attribute("class") or "")
    overdue = card(page, ledger, "一、（二）4.")
    expect(overdue.locator(".flag")).to_have_text("未报送")  # the other flag, smaller
    closed = card(page, ledger, "一、（二）6.")
    expect(closed.locator(".closure")).to_have_text("已办结 2026-09-14：摸底报告已印发")
    # a leader reads: no form, no button
    expect(page.locator("article.task form, details.edit, button[data-action]")).to_have_count(0)

    page.select_option("select[name=status]", "未报送")
    page.click(".filters button[type=submit]")
    # a task matches its status or any of its flags: 4. is 逾期 and 未报送
    expect(page.locator("article.task")).to_have_count(2)
    expect(overdue).to_be_visible()
    page.goto(f"{site}/dashboard?overdue_only=true")  # the old link
    expect(page.locator("select[name=status]")).to_have_value("逾期")
    expect(page.locator("article.task")).to_have_count(1)
    page.goto(f"{site}/dashboard?department=不存在的局")
    expect(page.locator(".error").first).to_contain_text("没有名为“不存在的局”的责任单位")
    page.close()


def test_the_office_reviews_and_files_reports(
    browser: Browser, fresh: tuple[Ledger, str], tmp_path: Path
) -> None:
    ledger, site = fresh
    page = office_page(browser, ledger, site)
    solar = card(page, ledger, "一、（一）1.")
    solar.locator("button[data-action=accept]").click()
    expect(solar.locator(".report .review-state")).to_have_text("已采纳")
    expect(page.locator("#notice")).to_have_text("已采纳。")
    expect(solar.locator("button[data-action=accept]")).to_have_count(0)

    transport = card(page, ledger, "一、（一）2.")
    transport.locator("details.return summary").click()
    transport.locator(".return-form input[name=comment]").fill("   ")
    transport.locator(".return-form button").click()
    expect(transport.locator(".form-error")).to_have_text("退回进展时请写明退回意见")
    transport.locator(".return-form input[name=comment]").fill("请说明已建成的充电桩数量")
    transport.locator(".return-form button").click()
    expect(transport.locator(".report .review-state")).to_have_text("已退回")
    expect(transport.locator(".report .comment")).to_have_text("退回意见：请说明已建成的充电桩数量")

    straw = card(page, ledger, "一、（一）3.")
    straw.locator("details.edit summary").click()
    straw.locator(".progress-form select[name=status]").select_option("滞后")
    straw.locator(".progress-form input[name=note]").fill("收储点建设推迟")
    straw.locator(".progress-form button").click()
    filed = straw.locator(".report").filter(has_text="收储点建设推迟")
    expect(filed.locator(".meta")).to_contain_text("（办公室代填）")
    expect(filed.locator(".review-state")).to_have_text("待审核")
    expect(straw.locator(".report").first).to_contain_text("县农业农村局：滞后")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=tmp_path / "office.png", full_page=True)
    page.close()


def test_milestones_are_completed_undone_edited_and_deleted(
    browser: Browser, fresh: tuple[Ledger, str]
) -> None:
    ledger, site = fresh
    page = office_page(browser, ledger, site)
    asked: list[str] = []

    def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss() if len(asked) == 1 else dialog.accept()

    page.on("dialog", answer)
    row = card(page, ledger, "一、（一）1.").locator("li.milestone", has_text="完成屋顶资源普查")
    row.locator("button[data-action=complete]").click()  # asked, and dismissed: nothing happens
    assert asked == ["确定将里程碑“完成屋顶资源普查”标记为已完成？"]
    expect(row.locator(".status")).to_have_text("临期")
    row.locator("button[data-action=complete]").click()
    expect(row.locator(".status")).to_have_text("已完成")
    expect(page.locator(".timeline li.done", has_text="完成屋顶资源普查")).to_have_count(1)
    row.locator("button[data-action=undo]").click()  # 撤销
    expect(row.locator(".status")).to_have_text("临期")
    expect(page.locator("#notice")).to_have_text("已撤销完成标记。")
    assert len(asked) == 2  # 撤销 does not ask

    transport = card(page, ledger, "一、（一）2.")
    edit = transport.locator("li.milestone details.milestone-edit")
    edit.locator("summary").click()
    edit.locator("input[name=description]").fill("  ")
    edit.locator("button").click()
    expect(transport.locator(".form-error")).to_have_text("里程碑说明不能为空")
    edit.locator("input[name=due]").fill("2026-11-30")
    edit.locator("input[name=description]").fill("完成充电桩选址")
    edit.locator("button").click()
    expect(transport.locator("li.milestone")).to_contain_text("2026-11-30 完成充电桩选址 正常")

    public = card(page, ledger, "一、（二）4.")
    public.locator("li.milestone button[data-action=delete]").click()
    expect(public.locator("li.milestone")).to_have_count(0)
    assert asked[-1].startswith("确定删除里程碑“")
    expect(public.locator(".light")).to_have_text("未报送")  # no longer 逾期
    expect(public.locator(".flag")).to_have_text("未设节点")
    page.close()


def test_the_office_closes_a_task_and_reopens_it(
    browser: Browser, fresh: tuple[Ledger, str]
) -> None:
    ledger, site = fresh
    page = office_page(browser, ledger, site)
    page.on("dialog", lambda dialog: dialog.accept())
    transport = card(page, ledger, "一、（一）2.")
    transport.locator("details.edit summary").click()
    transport.locator(".close-form input[name=note]").fill(" ")
    transport.locator(".close-form button").click()
    expect(transport.locator(".form-error")).to_have_text("办结说明不能为空")
    transport.locator(".close-form input[name=note]").fill("200个充电桩已全部建成投用")
    transport.locator(".close-form button").click()
    expect(transport.locator(".closure")).to_contain_text(
        "已办结 2026-09-15：200个充电桩已全部建成投用"
    )
    expect(transport.locator(".light")).to_have_text("已完成")
    expect(transport.locator(".progress-form, .close-form")).to_have_count(0)
    transport.locator("button[data-action=reopen]").click()
    expect(transport.locator(".light")).to_have_text("正常")
    expect(transport.locator(".closure")).to_have_count(0)
    page.close()
