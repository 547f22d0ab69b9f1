"""督办总览 in real headless Chromium, over the ledger with one task in every 督办 state
(tests/supervision_ledger.py): what the office and a leader see, and who is refused."""

from __future__ import annotations

import colorsys
import datetime as dt
import re

from playwright.sync_api import Browser, Page, expect

from tests.api.conftest import make_user
from tests.conftest import NOW
from tests.supervision_ledger import EXPECTED, Ledger
from tests.web.conftest import SHOTS, login, needs_chromium

pytestmark = needs_chromium

# 4. 公共机构节能: the text's deadline 2026年8月底, never met, never reported
LATE_UNIT = "县机关事务服务中心"
LATE_SINCE = dt.date(2026, 8, 31)


def colour_family(css: str) -> str:
    """'rgb(180, 35, 24)' → red / orange / purple / grey / green / blue-teal."""
    red, green, blue = (int(part) / 255 for part in re.findall(r"\d+", css)[:3])
    hue, _, saturation = colorsys.rgb_to_hls(red, green, blue)
    hue *= 360
    if saturation < 0.25:
        return "grey"
    for family, upto in (("red", 15), ("orange", 50), ("green", 165), ("blue-teal", 235)):
        if hue < upto:
            return family
    return "purple" if hue < 300 else "red"


COLOURS = {
    "逾期": "red",
    "临期": "orange",
    "未报送": "purple",
    "未设节点": "grey",
    "正常": "green",
    "已完成": "blue-teal",
}


def open_overview(browser: Browser, site: str, username: str, **page_options: object) -> Page:
    page = browser.new_page(locale="zh-CN", **page_options)  # type: ignore[arg-type]
    login(page, site, username, "/overview")
    return page


def post_from_page(page: Page, url: str, body: dict[str, object]) -> dict[str, object]:
    return page.evaluate(
        """async ([url, body]) => {
            const response = await fetch(url, {method: "POST",
                headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
            return {status: response.status, body: await response.json()};
        }""",
        [url, body],
    )


def test_office_sees_every_status_with_its_colour_word_and_count(
    browser: Browser, site: str, ledger: Ledger
) -> None:
    page = open_overview(
        browser, site, make_user(ledger.services, "office"), viewport={"width": 1280, "height": 900}
    )
    expect(page.locator("h1")).to_have_text("督办总览")
    for status, count in EXPECTED.items():
        light = page.locator(f".status-light[data-status={status}]")
        expect(light.locator(".word")).to_have_text(status)
        expect(light.locator(".count")).to_have_text(str(count))
        dot = light.locator(".dot")
        expect(dot).to_be_visible()
        background = dot.evaluate("e => getComputedStyle(e).backgroundColor")
        assert colour_family(background) == COLOURS[status], (status, background)

    # both charts drawn by the shipped Chart.js, the doughnut from the same counts
    assert page.evaluate("Object.keys(Chart.instances).length") == 2
    doughnut = page.evaluate("Chart.getChart('status-chart').data.datasets[0].data")
    assert doughnut == list(EXPECTED.values())

    ranking = page.locator("table.ranking tbody tr")
    expect(ranking).to_have_count(1)
    expect(ranking.locator("th")).to_have_text(LATE_UNIT)
    expect(ranking).to_contain_text(LATE_SINCE.isoformat())
    expect(ranking).to_contain_text(f"{(NOW.date() - LATE_SINCE).days} 天")
    expect(ranking.locator("button.urge")).to_have_text("催办")

    # the today line falls in this month's column of the timeline
    line = page.locator(".gantt .today-line")
    expect(line).to_be_visible()
    month = page.locator(f".gantt-month[data-month='{NOW:%Y-%m}']").bounding_box()
    x = line.bounding_box()["x"]
    assert month["x"] <= x <= month["x"] + month["width"]
    late_cell = page.locator(".gantt .count-badge.overdue")
    expect(late_cell).to_have_text("逾1")

    stale = page.locator("table.freshness tr", has_text=LATE_UNIT)
    expect(stale).to_have_class(re.compile(r"\blate\b"))
    expect(stale).to_contain_text("超期未报")
    expect(page.locator("table.freshness tr", has_text="县发改局")).not_to_have_class(
        re.compile(r"\blate\b")
    )
    expect(page.locator(".report-form input[name=month]")).to_have_value(f"{NOW:%Y-%m}")
    expect(page.locator("button.urge-all")).to_be_visible()
    page.screenshot(path=SHOTS / "overview.png", full_page=True)

    # a section: 一、（二） holds tasks 4–6
    page.select_option("select[name=section]", "一、（二）")
    page.click(".filters button")
    page.wait_for_url("**section=*")
    counts = {"逾期": 1, "临期": 0, "未报送": 1, "未设节点": 0, "正常": 0, "已完成": 1}
    for status, count in counts.items():
        expect(page.locator(f".status-light[data-status={status}] .count")).to_have_text(str(count))
    page.close()


def test_office_urges_one_department_and_is_told_it_has_no_chat(
    browser: Browser, site: str, ledger: Ledger
) -> None:
    page = open_overview(
        browser, site, make_user(ledger.services, "office"), viewport={"width": 1280, "height": 900}
    )
    sent = []
    page.on("request", lambda request: sent.append(request) if "/api/urge" in request.url else None)
    button = page.locator("table.ranking button.urge")
    page.once("dialog", lambda dialog: dialog.dismiss())  # cancelled: nothing is sent
    button.click()
    page.once("dialog", lambda dialog: dialog.accept())
    button.click()
    result = page.locator("#urge-result")
    expect(result).to_be_visible()
    assert [r.post_data_json for r in sent] == [{"department": LATE_UNIT}]
    expect(result).to_contain_text("已催办 1 个单位，共排队发送 0 条消息。")
    expect(result).to_contain_text(
        f"以下单位没有绑定群聊，消息未能发出，请电话或书面催办：{LATE_UNIT}。"
    )
    page.close()


def test_leader_reads_everything_but_cannot_urge_or_report(
    browser: Browser, site: str, ledger: Ledger
) -> None:
    page = open_overview(
        browser, site, make_user(ledger.services, "leader"), viewport={"width": 1280, "height": 900}
    )
    for status, count in EXPECTED.items():
        expect(page.locator(f".status-light[data-status={status}] .count")).to_have_text(str(count))
    expect(page.locator("table.ranking th[scope=row]")).to_have_text(LATE_UNIT)
    expect(page.locator(".gantt .today-line")).to_be_visible()
    expect(page.locator(".report-form button")).to_have_count(2)  # the 督办通报 is theirs too
    expect(page.locator("button.urge")).to_have_count(0)
    refused = post_from_page(page, "/api/urge", {"department": LATE_UNIT})
    assert refused["status"] == 403

    page.goto(f"{site}/dashboard")
    expect(page.locator("h1")).to_have_text("任务台账")
    expect(page.locator("article.task").first).to_be_visible()
    expect(page.locator("article.task form")).to_have_count(0)
    task = ledger.tasks["一、（一）2."]
    refused = post_from_page(
        page, f"/api/tasks/{task}/progress", {"status": "进行中", "note": "领导代填"}
    )
    assert refused["status"] == 403
    assert "领导" in str(refused["body"])
    page.close()


def test_department_is_refused_the_overview(browser: Browser, site: str, ledger: Ledger) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{site}/overview")
    expect(page).to_have_url(f"{site}/login?next=/overview")
    login(page, site, make_user(ledger.services, "department", "县林业局"), "/dashboard")
    expect(page.locator("nav a", has_text="督办总览")).to_have_count(0)
    response = page.goto(f"{site}/overview")
    assert response is not None and response.status == 403
    expect(page.locator("[role=alert]")).to_contain_text("督办总览只对专班办公室和县领导账号开放")
    expect(page.locator(".status-light")).to_have_count(0)
    page.click("a.button[href='/dashboard']")
    expect(page.locator("h1")).to_have_text("任务台账")
    page.close()


def test_overview_on_a_phone_and_in_print(browser: Browser, site: str, ledger: Ledger) -> None:
    page = open_overview(
        browser,
        site,
        make_user(ledger.services, "office"),
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
    )
    # one column: the doughnut below the bars, nothing wider than the screen
    bars = page.locator("#department-chart").bounding_box()
    doughnut = page.locator("#status-chart").bounding_box()
    assert doughnut["y"] >= bars["y"] + bars["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=SHOTS / "overview-phone.png", full_page=True)
    page.close()

    page = open_overview(
        browser, site, make_user(ledger.services, "office"), viewport={"width": 1000, "height": 900}
    )
    page.emulate_media(media="print")
    for hidden in (".top", ".report-form", "button.urge-all", "table.ranking button.urge"):
        expect(page.locator(hidden)).to_be_hidden()
    expect(page.locator("#department-chart")).to_be_visible()
    expect(page.locator("table.freshness")).to_be_visible()
    page.screenshot(path=SHOTS / "overview-print.png", full_page=True)
    page.close()
