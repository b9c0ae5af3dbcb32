"""The collector's workspace in real headless Chromium: worklist reasons, flags and sorting, bulk approval,
history tabs, the task queue, search by invoice number, and the 404 page. Screenshots go to the artifacts folder."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from copilot.config import ReportingSettings, Settings, SmtpSettings
from copilot.web.app import create_app
from tests.fixtures.live_web import serve_in_thread
from tests.web.conftest import open_store
from tests.web.seed import PASSWORD
from tests.web.test_browser import browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1440, "height": 900}
NARROW = {"width": 400, "height": 860}
RATES = ReportingSettings(currency="USD", rates={"EUR": Decimal("1.08"), "GBP": Decimal("1.27"), "CAD": Decimal("0.73")})


@pytest.fixture(scope="module")
def chromium(browser: Browser) -> Browser:  # noqa: F811  (one Chromium per module, started by test_browser's fixture)
    return browser


@pytest.fixture
def site(web_settings: Settings, smtp_server) -> str:
    smtp = SmtpSettings(host=smtp_server.host, port=smtp_server.port, security="none", from_address="ar@ourco.example")
    web = web_settings.web.model_copy(update={"timezone": "Europe/London"})
    with serve_in_thread(create_app(web_settings.model_copy(update={"smtp": smtp, "reporting": RATES, "web": web}))) as url:
        yield url


def open_page(chromium: Browser, site: str, viewport: dict = DESKTOP) -> Page:
    page = chromium.new_context(viewport=viewport, base_url=site).new_page()
    page.on("dialog", lambda dialog: pytest.fail(f"a dialog opened: {dialog.message!r}"))
    page.goto("/login")
    page.get_by_label("Username").fill("casey")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Worklist")).to_be_visible()
    return page


def shoot(page: Page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"web-{name}.png"), full_page=True)


def test_worklist_shows_why_flags_and_sorts_by_priority(chromium: Browser, site: str, ids: dict, artifacts: Path):
    page = open_page(chromium, site)
    table = page.locator("table.worklist")
    expect(table.get_by_role("columnheader", name="Why today")).to_be_visible()
    expect(table.get_by_text("request to answer: invoice copy asked on 14 Nov 2026")).to_be_visible()
    tidewater = page.locator("tr", has=page.locator('a[href="/customers/C-1010"]'))
    expect(tidewater.locator('[data-flag="bounce"]')).to_have_text(re.compile("bounced"))
    expect(page.locator("tr", has=page.locator('a[href="/customers/C-1004"]')).locator('[data-flag="dispute"]')).to_be_visible()
    shoot(page, artifacts, "worklist-workspace")
    page.get_by_label("Sort by").select_option("priority")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"sort=priority"))
    tiers = page.locator('td[data-label="Tier"]').all_inner_texts()
    assert tiers and tiers[0] == "4" and tiers == sorted(tiers, reverse=True)
    # The customer name is a link to the customer.
    page.locator("table.worklist tbody tr").first.locator('td[data-label="Customer"] a').click()
    expect(page).to_have_url(re.compile(r"/customers/C-\d+$"))
    narrow = open_page(chromium, site, NARROW)
    shoot(narrow, artifacts, "worklist-workspace-narrow")


def test_bulk_approve_sends_the_chosen_tier1_drafts(chromium: Browser, site: str, smtp_server, web_settings: Settings,
                                                    artifacts: Path):  # fmt: skip
    page = open_page(chromium, site)
    boxes = page.locator('input[name="draft_id"]')
    count = boxes.count()
    assert count >= 1
    with open_store(web_settings) as store:
        eligible = {r["id"] for r in store.db.query("select id from drafts where status = 'draft' and tier = 1")}
    chosen = {int(boxes.nth(i).get_attribute("value") or 0) for i in range(count)}
    assert chosen <= eligible  # no checkbox on a Tier 2-4 draft
    for i in range(count):
        boxes.nth(i).check()
    page.get_by_role("button", name="Approve and send selected Tier 1 drafts").click()
    expect(page.get_by_text(re.compile(rf"Bulk approval: {count} sent"))).to_be_visible()
    assert len(smtp_server.messages) == count
    shoot(page, artifacts, "worklist-after-bulk")
    page.get_by_role("link", name=re.compile(r"^Sent \(")).click()
    for draft_id in chosen:
        expect(page.locator(f'a[href="/drafts/{draft_id}?tab=sent"]')).to_be_visible()
    expect(page.get_by_text("Casey").first).to_be_visible()  # who sent it, by name


def test_history_tabs_show_a_rejected_draft(chromium: Browser, site: str, ids: dict, artifacts: Path):
    page = open_page(chromium, site)
    page.goto(f"/drafts/{ids['drafts'][0]}")
    page.get_by_label("Reason for rejecting").fill("customer rang: paying Friday")
    page.get_by_role("button", name=re.compile("Reject")).click()
    page.goto("/worklist")
    page.get_by_role("link", name="Rejected (1)").click()
    expect(page.get_by_role("cell", name="customer rang: paying Friday")).to_be_visible()
    expect(page.locator(f'a[href="/drafts/{ids["drafts"][0]}?tab=rejected"]')).to_be_visible()
    shoot(page, artifacts, "worklist-rejected")
    page.get_by_role("link", name=re.compile(r"^Stale")).click()
    # The seed routes its replies after planning, so its other drafts are stale, each with why.
    expect(page.get_by_text("A stale draft was planned before something changed")).to_be_visible()
    expect(page.locator(f'a[href="/drafts/{ids["drafts"][0]}?tab=stale"]')).to_have_count(0)  # rejected is not stale


def test_tasks_from_the_navigation_done_in_one_click(chromium: Browser, site: str, web_settings: Settings,
                                                     artifacts: Path):  # fmt: skip
    page = open_page(chromium, site)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tasks").click()
    expect(page.get_by_role("heading", name="Tasks")).to_be_visible()
    with open_store(web_settings) as store:
        open_ids = [r["id"] for r in store.db.query("select id from tasks where status = 'open' order by id")]
    expect(page.locator("tr[id^=task-]")).to_have_count(len(open_ids))
    shoot(page, artifacts, "tasks")
    first = open_ids[0]
    page.get_by_role("button", name=f"Mark task {first} done").click()
    expect(page.get_by_text(f"Task {first} done.")).to_be_visible()
    expect(page.locator("tr[id^=task-]")).to_have_count(len(open_ids) - 1)
    with open_store(web_settings) as store:
        assert store.db["tasks"].get(first)["status"] == "done"
        assert any(e["actor"] == "user:casey" for e in store.audit_events("task", first))


def test_search_by_invoice_number_finds_the_customer(chromium: Browser, site: str, artifacts: Path):
    page = open_page(chromium, site)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    page.get_by_label("Name, id, invoice number, contact email or PO").fill("INV-2026-0354")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("cell", name="invoice INV-2026-0354")).to_be_visible()
    expect(page.locator("table.list tbody tr")).to_have_count(1)
    shoot(page, artifacts, "search-invoice")
    page.locator("table.list tbody tr a").first.click()
    expect(page).to_have_url(re.compile(r"/customers/C-1011$"))


def test_unknown_page_keeps_the_navigation_and_the_favicon_loads(chromium: Browser, site: str, artifacts: Path):
    page = open_page(chromium, site)
    response = page.goto("/no-such-screen")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Tasks")).to_be_visible()
    shoot(page, artifacts, "not-found")
    icon = page.request.get("/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    nav.get_by_role("link", name="Worklist").click()
    expect(page.get_by_role("heading", name="Worklist")).to_be_visible()
