"""The pages under their Content-Security-Policy in real headless Chromium: no page breaks the
policy (no inline script, event-handler or style attribute), and each still works; /docs runs
offline from our own copy of Swagger UI."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from api.app import create_app
from assistant.services import Services
from tests.api.conftest import make_user
from tests.fakes.servers import serve
from tests.supervision_ledger import Ledger
from tests.web.conftest import login, needs_chromium

pytestmark = needs_chromium

# every violation the page reports, and Chromium's own console message for it
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
window.print = () => { window.__printed = true; };
"""


@pytest.fixture(scope="module")
def plan_site(plan_services: Services) -> Iterator[str]:
    with serve(create_app(plan_services, session_secret="csp-plan")) as url:
        yield url


class Watched:
    """A page whose policy violations (events and console messages) are collected."""

    def __init__(self, browser: Browser) -> None:
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.console: list[str] = []
        self.page.add_init_script(WATCH)
        self.page.on(
            "console",
            lambda m: self.console.append(m.text) if "Content Security Policy" in m.text else None,
        )

    def visit(self, url: str) -> Page:
        self.page.goto(url)
        self.page.wait_for_load_state("networkidle")
        return self.page

    def violations(self) -> list[str]:
        return [*self.page.evaluate("window.__violations"), *self.console]


def test_the_watch_sees_a_violation(browser: Browser, plan_site: str) -> None:
    """The check below is not blind: an injected inline script is refused and reported."""
    watched = Watched(browser)
    page = watched.visit(plan_site)
    page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "window.__ran = true"; document.body.append(s); }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.__ran") is None
    assert any("script-src" in v for v in watched.violations())
    watched.page.close()


def test_the_chat_pages_work_under_the_policy(
    browser: Browser, plan_site: str, plan_services: Services
) -> None:
    watched = Watched(browser)
    for path in ("/login", "/"):
        page = watched.visit(plan_site + path)
    page.fill("#question", "旧冰箱怎么处理？")
    page.click("#ask button")
    expect(page.locator(".messages .a details.citations")).to_be_visible(timeout=30_000)
    login(page, plan_site, make_user(plan_services, "office"), "/official")
    page.wait_for_load_state("networkidle")
    page.locator(".chip").first.click()
    expect(page.locator(".messages .a details.citations")).to_be_visible(timeout=30_000)
    assert watched.violations() == []
    watched.page.close()


def test_the_office_pages_work_under_the_policy(
    browser: Browser, site: str, ledger: Ledger
) -> None:
    services = ledger.services
    text = "一、总体要求\n（一）能源\n1.推广屋顶光伏。（县发改局牵头）\n".encode()
    draft = services.intake.upload("乙县方案.txt", text, {"title": "乙县方案"}, actor="专班办")
    watched = Watched(browser)
    page = watched.page
    login(page, site, make_user(services, "admin"), "/overview")
    page.wait_for_load_state("networkidle")
    # the charts are drawn, at the height the server chose, and the timeline is laid out
    for chart in ("#department-chart", "#status-chart"):
        assert page.evaluate(f"Chart.getChart(document.querySelector('{chart}')) !== undefined")
    box = page.locator(".chart-box[data-height]")
    assert box.evaluate("b => b.getBoundingClientRect().height") == int(
        box.get_attribute("data-height") or 0
    )
    gantt = page.locator(".gantt")
    assert gantt.evaluate("g => getComputedStyle(g).getPropertyValue('--months')") == (
        gantt.get_attribute("data-months")
    )
    months = page.locator(".gantt-month")
    assert months.first.bounding_box()["y"] == months.last.bounding_box()["y"]  # type: ignore[index]

    page = watched.visit(f"{site}/dashboard")
    page.click("button[data-print]")
    assert page.evaluate("window.__printed") is True

    page = watched.visit(f"{site}/intake/{draft.id}")
    page.click("details.clauses summary")
    nested = page.locator(".clause-tree li.depth-2").first
    assert nested.evaluate("li => parseFloat(getComputedStyle(li).paddingLeft)") > 20

    for path in ("/intake", "/channels", "/accounts", "/password"):
        page = watched.visit(site + path)
        expect(page.locator("main")).to_be_visible()
    assert watched.violations() == []
    watched.page.close()


def test_api_docs_render_offline(browser: Browser, plan_site: str) -> None:
    watched = Watched(browser)
    page = watched.page
    leaving: list[str] = []

    def only_local(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            leaving.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    watched.visit(f"{plan_site}/docs")
    expect(page.locator(".opblock-summary-path").filter(has_text="/api/ask/stream")).to_be_visible(
        timeout=15_000
    )
    assert page.locator(".opblock").count() >= 20
    assert leaving == []
    assert watched.violations() == []
    watched.page.close()
