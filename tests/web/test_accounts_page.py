"""账号管理 in real headless Chromium: an admin opens an account on the page, the newcomer logs in
with the one-time password and must set their own; the admin disables it and the newcomer's
login ends at once."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.api.conftest import make_user
from tests.supervision_ledger import Ledger
from tests.web.conftest import login, needs_chromium

pytestmark = needs_chromium
NEW = "staple gun 2030 river"


def test_an_admin_opens_an_account_and_the_newcomer_sets_a_password(
    browser: Browser, site: str, ledger: Ledger
) -> None:
    admin = browser.new_page(viewport={"width": 1280, "height": 900})
    login(admin, site, make_user(ledger.services, "admin"), "/accounts")
    form = admin.locator("form[action='/accounts/add']")
    form.locator("input[name=username]").fill("住建局李四")
    form.locator("select[name=role]").select_option("department")
    form.locator("select[name=department]").select_option("县住建局")
    form.locator("button[type=submit]").click()
    expect(admin.locator(".notice").first).to_contain_text("已开通账号 住建局李四")
    one_time = admin.locator("#issued-password").inner_text()
    row = admin.locator("tr[data-user='住建局李四']")
    expect(row).to_contain_text("待改临时密码")

    context = browser.new_context()
    newcomer = context.new_page()
    newcomer.goto(f"{site}/login")
    newcomer.fill("input[name=username]", "住建局李四")
    newcomer.fill("input[name=password]", one_time)
    newcomer.click("main form button[type=submit]")
    newcomer.wait_for_url(f"{site}/password")
    expect(newcomer.locator(".notice")).to_contain_text("临时密码")
    newcomer.fill("input[name=old]", one_time)
    newcomer.fill("input[name=new]", "1234567890")
    newcomer.fill("input[name=again]", "1234567890")
    newcomer.click("main form button[type=submit]")
    expect(newcomer.locator(".error")).to_contain_text("太容易被猜到")
    newcomer.fill("input[name=old]", one_time)
    newcomer.fill("input[name=new]", NEW)
    newcomer.fill("input[name=again]", NEW)
    newcomer.click("main form button[type=submit]")
    expect(newcomer.locator(".notice")).to_contain_text("密码已修改")
    newcomer.goto(f"{site}/dashboard")
    expect(newcomer.locator("select[name=department]")).to_have_value("县住建局")

    admin.goto(f"{site}/accounts")
    row = admin.locator("tr[data-user='住建局李四']")
    expect(row.locator(".state")).to_have_text("正常")
    row.locator("form[action='/accounts/disable'] button").click()
    expect(admin.locator(".notice").first).to_contain_text("已停用账号 住建局李四")
    expect(admin.locator("tr[data-user='住建局李四'] .state")).to_have_text("已停用")

    newcomer.goto(f"{site}/dashboard")
    newcomer.wait_for_url(f"{site}/login**")  # the disable ended the login
    context.close()
