"""Cross-site request forgery in real headless Chromium: the app on one port of 127.0.0.1, an
attacker's page on another port of the same host — the "same site", so the SameSite=Lax login
cookie goes along with its requests. Its auto-submitted form and its fetch() with credentials must
not complete the official's milestone, nor log a visitor in as someone else; the dashboard's own
button still does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from playwright.sync_api import Browser, Page, expect

from api.app import create_app
from api.csrf import REFUSED
from tests.api.conftest import PASSWORD, make_user
from tests.fakes.servers import serve
from tests.supervision_ledger import Ledger, build_ledger
from tests.web.conftest import login, needs_chromium

pytestmark = needs_chromium
MILESTONE = "完成屋顶资源普查"
CLAUSE = "一、（一）1."


@pytest.fixture
def fresh(tmp_path: Path, embedding_cache: Path) -> Iterator[tuple[Ledger, str]]:
    ledger = build_ledger(tmp_path, embedding_cache)
    with serve(create_app(ledger.services, session_secret="csrf-test")) as url:
        yield ledger, url


def attacker(html: str) -> FastAPI:
    """The attacker's site: one page."""
    app = FastAPI()
    app.add_api_route("/", lambda: HTMLResponse(html), methods=["GET"])
    return app


def the_milestone(ledger: Ledger) -> tuple[int, bool]:
    task = ledger.services.registry.task(ledger.tasks[CLAUSE])
    found = next(m for m in task.milestones if m.description == MILESTONE)
    return found.id, found.completed_on is not None


def office_page(browser: Browser, ledger: Ledger, site: str) -> Page:
    page = browser.new_page()
    login(page, site, make_user(ledger.services, "office"), "/dashboard")
    return page


def test_another_port_cannot_complete_a_milestone_with_the_officials_cookie(
    browser: Browser, fresh: tuple[Ledger, str]
) -> None:
    ledger, site = fresh
    milestone_id, done = the_milestone(ledger)
    assert not done
    target = f"{site}/api/milestones/{milestone_id}/complete"
    page = office_page(browser, ledger, site)
    forged = f"""<!doctype html><meta charset="utf-8"><title>抽奖</title>
    <form id="f" method="post" action="{target}"><input name="x" value="1"></form>
    <script>
      fetch({json.dumps(target)}, {{method: "POST", credentials: "include"}})
        .catch(() => null)
        .finally(() => {{ document.title = "fetched"; document.getElementById("f").submit(); }});
    </script>"""
    with serve(attacker(forged)) as evil:
        assert evil.split(":")[1] == site.split(":")[1]  # the same host, another port
        with page.expect_response(lambda r: r.request.method == "POST" and r.url == target) as sent:
            page.goto(evil)
        assert sent.value.status == 403  # the fetch() reached the app, with the cookie, and failed
        page.wait_for_url(target)  # the form's post is the page now
        expect(page.locator("body")).to_contain_text(REFUSED)
    assert the_milestone(ledger) == (milestone_id, False)

    # the official's own dashboard does it
    page.goto(f"{site}/dashboard?department=")
    page.on("dialog", lambda dialog: dialog.accept())
    row = page.locator(f"article#task-{ledger.tasks[CLAUSE]} li.milestone", has_text=MILESTONE)
    row.locator("button[data-action=complete]").click()
    expect(row.locator(".status")).to_have_text("已完成")
    assert the_milestone(ledger) == (milestone_id, True)


def test_another_port_cannot_log_a_visitor_in_as_the_attacker(
    browser: Browser, fresh: tuple[Ledger, str]
) -> None:
    ledger, site = fresh
    plant = make_user(ledger.services, "office")  # the attacker's own account
    forged = f"""<!doctype html><meta charset="utf-8">
    <form id="f" method="post" action="{site}/login">
      <input name="username" value="{plant}"><input name="password" value="{PASSWORD}">
    </form>
    <script>document.getElementById("f").submit();</script>"""
    context = browser.new_context()
    page = context.new_page()
    with serve(attacker(forged)) as evil:
        page.goto(evil)
        page.wait_for_url(f"{site}/login")
        expect(page.locator("body")).to_contain_text(REFUSED)
    assert not [c for c in context.cookies() if c["name"] == "policyqa_session"]
    page.goto(f"{site}/dashboard")
    page.wait_for_url(f"{site}/login**")  # not logged in as anybody
    # the login form of the site itself logs in
    login(page, site, plant, "/dashboard")
    expect(page.locator("header.top")).to_contain_text(plant)
    context.close()
