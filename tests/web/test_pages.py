"""The three pages in real headless Chromium (Debian's package), driven by Playwright."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from api.app import create_app
from assistant.services import Services
from tests.api.conftest import make_user
from tests.fakes.servers import serve
from tests.web.conftest import SHOTS, login, needs_chromium

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def site(plan_services: Services) -> Iterator[str]:
    with serve(create_app(plan_services, session_secret="browser-test")) as url:
        yield url


def test_public_page_answers_with_expandable_citations(browser: Browser, site: str) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page.goto(site)
    expect(page.locator("h1")).to_have_text("绿色生活与政策咨询")
    page.fill("#question", "旧冰箱怎么处理？")
    page.click("#ask button")
    answer = page.locator(".messages .a").last
    expect(answer.locator("details.citations")).to_be_visible(timeout=30_000)
    answer.locator("summary").click()
    plan_clause = answer.locator(".citation .where").filter(has_text="方案》二、（一）4.")
    expect(plan_clause).to_be_visible()
    page.locator(".chip").first.click()
    expect(page.locator(".messages .a")).to_have_count(2, timeout=30_000)
    page.screenshot(path=SHOTS / "public-chat.png", full_page=True)
    page.close()


def test_office_sees_an_overdue_milestone_highlighted(
    browser: Browser, site: str, plan_services: Services
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, site, make_user(plan_services, "office"), "/dashboard")
    task = page.locator("article.task").filter(has_text="二、（二）3.").first
    task.locator("details.edit summary").click()
    past = (plan_services.registry.today() - dt.timedelta(days=10)).isoformat()
    task.locator(".milestone-form input[name=due]").fill(past)
    task.locator(".milestone-form input[name=description]").fill("完成建设用地风险排查")
    task.locator(".milestone-form button").click()
    overdue = page.locator(".timeline .milestone.overdue").filter(has_text="完成建设用地风险排查")
    expect(overdue).to_be_visible(timeout=15_000)
    expect(overdue.locator(".status")).to_have_text("逾期")
    expect(page.locator("#notice")).to_have_text("已保存。")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=SHOTS / "dashboard.png")
    page.close()


def test_department_writes_only_on_its_own_tasks(
    browser: Browser, site: str, plan_services: Services
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, site, make_user(plan_services, "department", "县林业局"), "/dashboard")
    expect(page.locator("select[name=department]")).to_have_value("县林业局")
    own = page.locator("article.task")
    expect(own.first).to_be_visible()
    assert own.count() == own.locator(".progress-form").count() >= 1
    expect(page.locator(".milestone-form")).to_have_count(0)  # only the office sets milestones
    # 全部: the other departments' tasks are there to read, with no form to write on
    page.select_option("select[name=department]", "")
    page.click(".filters button[type=submit]")
    other = page.locator("article.task").filter(has_text="二、（一）2.")
    expect(other).to_have_count(1)
    expect(other.locator("details.edit, form")).to_have_count(0)
    page.close()


def test_officials_chat_afterlogin(browser: Browser, site: str, plan_services: Services) -> None:
    page = browser.new_page(viewport={"width": 1024, "height": 900})
    page.goto(f"{site}/official")
    expect(page).to_have_url(f"{site}/login?next=/official")
    login(page, site, make_user(plan_services, "office"), "/official")
    page.fill("#question", "县林业局负责哪些任务？")
    page.keyboard.press("Enter")
    answer = page.locator(".messages .a").last
    expect(answer).to_contain_text(
        "县林业局在《落实好重“双碳”促转型的任务实施方案》中承担三项任务", timeout=30_000
    )
    answer.locator("summary").click()
    page.screenshot(path=SHOTS / "official-chat.png", full_page=True)
    page.close()


def test_a_card_shows_its_higher_basis_when_opened(
    browser: Browser, site: str, plan_services: Services
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, site, make_user(plan_services, "office"), "/dashboard")
    card = page.locator("article.task").filter(has_text="二、（二）1.").first
    card.locator("details.basis summary").click()
    links = card.locator(".basis-link")
    expect(links.first).to_be_visible(timeout=30_000)
    expect(links.first.locator("strong")).to_contain_text("》")
    assert links.count() >= 3
    expect(card.locator(".basis-links")).to_contain_text(
        "长江中游城市群大气污染防治攻坚三年行动方案"
    )
    card.scroll_into_view_if_needed()
    card.screenshot(path=SHOTS / "dashboard-basis.png")
    page.close()
