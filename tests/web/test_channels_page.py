"""提醒渠道 in real headless Chromium, over the supervision ledger and fake 企业微信 and 钉钉 robots
(real HTTP on 127.0.0.1, on the ledger's clock): the office binds a channel through the form, sends
a test message, sees a refusal and a bad address in Chinese, removes it; no key or secret is ever
shown back; other accounts are refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Locator, Page, expect

from api.app import create_app
from tests.api.conftest import make_user
from tests.fakes.robots import FakeRobots
from tests.fakes.servers import serve
from tests.supervision_ledger import Ledger, build_ledger
from tests.web.conftest import SHOTS, login, needs_chromium

pytestmark = needs_chromium

WECOM_KEY = "693a91f6-7aaa-4bc4-97a0-0ec2sifa5aaa"
DING_TOKEN = "b955f0c1d2e3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9"
DING_SECRET = "SEC0f094e0d33f2a1b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3"
WRONG_SECRET = "SEC1111aaaa2222bbbb3333cccc4444dddd5555eeee6666ffff7777aaaa8888bbbb"


@pytest.fixture
def fresh(tmp_path: Path, embedding_cache: Path) -> Iterator[tuple[Ledger, FakeRobots, str, str]]:
    """A ledger of its own, the app over it and the robots, all on the ledger's clock."""
    ledger = build_ledger(tmp_path, embedding_cache)
    robots = FakeRobots(clock=ledger.clock, wecom={WECOM_KEY}, dingtalk={DING_TOKEN: DING_SECRET})
    app = create_app(ledger.services, session_secret="channels-test")
    with robots.running() as robots_url, serve(app) as url:
        yield ledger, robots, robots_url, url


def add(page: Page, owner: str, kind: str, **fields: str) -> None:
    form = page.locator("#add-channel")
    form.locator("select[name=owner]").select_option(owner)
    form.locator("select[name=kind]").select_option(kind)
    for name, value in fields.items():
        form.locator(f"input[name={name}]").fill(value)
    form.locator("button[type=submit]").click()


def row(page: Page, owner: str, platform: str) -> Locator:
    group = page.locator("section.owner").filter(has=page.locator("h2", has_text=owner))
    return group.locator("tr").filter(has=page.locator(".platform", has_text=platform))


def test_the_office_binds_tests_and_removes_channels(
    browser: Browser, fresh: tuple[Ledger, FakeRobots, str, str]
) -> None:
    ledger, robots, robots_url, site = fresh
    services = ledger.services
    code = services.chats.issue_code(department="县林业局", actor="专班办公室")
    services.chats.bind(chat_id="-1001234567890", code=code.code, actor="专班办公室")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, site, make_user(services, "office"), "/channels")
    expect(page.locator("nav a[href='/channels']")).to_have_text("提醒渠道")
    # the Telegram chat, read only; the departments without any channel are named
    telegram = row(page, "县林业局", "Telegram")
    expect(telegram.locator(".label")).to_have_text("会话 -1001234567890")
    expect(telegram.locator("button")).to_have_count(0)
    expect(page.locator(".bare")).to_contain_text("县发改局")

    # the fields follow the platform
    form = page.locator("#add-channel")
    form.locator("select[name=kind]").select_option("wecom")
    expect(form.locator("input[name=secret]")).to_be_hidden()
    expect(form.locator(".where:visible")).to_contain_text("群机器人 → 添加 → 复制 webhook 地址")

    # a 企业微信 robot for 县林业局: listed masked, the test message delivered
    add(page, "县林业局", "wecom", url=f"{robots_url}/cgi-bin/webhook/send?key={WECOM_KEY}")
    wecom = row(page, "县林业局", "企业微信")
    expect(wecom.locator(".label")).to_contain_text("…693a")
    expect(form.locator("input[name=url]")).to_have_value("")
    assert WECOM_KEY not in page.content()
    wecom.locator("button[data-action=test]").click()
    answer = wecom.locator(".answer")
    expect(answer).to_have_text("已送达，平台应答：errcode 0 ok")
    expect(answer).to_have_class("answer notice")
    assert "【测试消息】" in robots.accepted[WECOM_KEY][0]["markdown"]["content"]

    # a 钉钉 robot for the office with the wrong signing secret: the refusal, red, in Chinese
    form.locator("select[name=kind]").select_option("dingtalk")
    expect(form.locator("input[name=secret]")).to_have_attribute("type", "password")
    expect(form.locator("input[name=secret]")).to_have_attribute("autocomplete", "off")
    expect(form.locator(".where:visible")).to_contain_text("自定义，安全设置选“加签”")
    add(
        page,
        "",
        "dingtalk",
        url=f"{robots_url}/robot/send?access_token={DING_TOKEN}",
        secret=WRONG_SECRET,
    )
    ding = row(page, "专班办公室", "钉钉")
    expect(ding.locator(".label")).to_contain_text("已加签")
    expect(form.locator("input[name=secret]")).to_have_value("")
    assert WRONG_SECRET not in page.content()
    assert DING_TOKEN not in page.content()
    ding.locator("button[data-action=test]").click()
    refusal = ding.locator(".answer")
    expect(refusal).to_have_class("answer error")
    expect(refusal).to_contain_text("未送达：")
    expect(refusal).to_contain_text("errcode 310000")
    assert robots.codes("dingtalk") == [310000]
    assert not robots.accepted[DING_TOKEN]

    # an address without its key: the API's words, under the form; nothing added
    add(page, "县林业局", "wecom", url=f"{robots_url}/cgi-bin/webhook/send")
    expect(form.locator(".form-error")).to_have_text(
        "企业微信机器人地址中没有 key=…（应为 …/cgi-bin/webhook/send?key=…）"
    )
    expect(row(page, "县林业局", "企业微信")).to_have_count(1)
    page.screenshot(path=SHOTS / "channels.png", full_page=True)

    # 删除 asks first: dismissed, it stays; accepted, it goes
    page.once("dialog", lambda dialog: dialog.dismiss())
    ding.locator("button[data-action=remove]").click()
    expect(ding).to_have_count(1)
    asked: list[str] = []

    def accept(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    ding.locator("button[data-action=remove]").click()
    expect(ding).to_have_count(0)
    assert asked and "删除渠道" in asked[0]
    assert [v.kind for v in services.channels.channels()] == ["wecom"]
    page.close()


def test_a_phone_reads_long_labels(
    browser: Browser, fresh: tuple[Ledger, FakeRobots, str, str]
) -> None:
    ledger, _, _, site = fresh
    addresses = [
        f"forestry.bureau.carbon.office{n}@lengthy-county-government.example.gov.cn"
        for n in range(4)
    ]
    ledger.services.channels.add(
        kind="email", department="县林业局", addresses=addresses, actor="专班办公室"
    )
    page = browser.new_page(viewport={"width": 390, "height": 844})
    login(page, site, make_user(ledger.services, "office"), "/channels")
    expect(row(page, "县林业局", "电子邮件")).to_be_visible()
    page.locator("#add-channel select[name=kind]").select_option("email")
    expect(page.locator("#add-channel input[name=addresses]")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    page.close()


def test_other_accounts_are_refused(browser: Browser, site: str, ledger: Ledger) -> None:
    page = browser.new_page()
    page.goto(f"{site}/channels")
    page.wait_for_url(f"{site}/login?next=/channels")
    login(page, site, make_user(ledger.services, "department", "县林业局"), "/channels")
    expect(page.locator(".error")).to_have_text(
        "提醒渠道只能由专班办公室设置。本单位的任务请在任务台账中查看和填报。"
    )
    expect(page.locator("#add-channel")).to_have_count(0)
    expect(page.locator("nav a[href='/channels']")).to_have_count(0)
    response = page.request.get(f"{site}/channels")
    assert response.status == 403
    page.close()
