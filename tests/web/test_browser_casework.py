"""The collector's casework in real headless Chromium: risk banners, the customer timeline, the dashboard's
charts, a structured dispute resolution with its drafted reply, and a German thread answered in German.

Screenshots go to the artifacts folder (web-casework-*.png).
"""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from copilot.classify.classifications import save_classification
from copilot.config import ReportingSettings, Settings
from copilot.drafting.plan import plan_day
from copilot.labels import Classification, Label
from copilot.policy.model import default_policy
from tests.web.conftest import open_store
from tests.web.seed import add_message
from tests.web.test_browser import NARROW, base_url, browser, new_page, shoot, sign_in  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


@pytest.fixture
def web_settings(web_settings: Settings) -> Settings:
    """The seeded store, with the demo's reporting rates so the dashboard can total across currencies."""
    reporting = ReportingSettings(currency="USD", rates={"EUR": "1.08", "GBP": "1.27", "CAD": "0.73"},
                                  rates_date="2026-11-13")  # fmt: skip
    return web_settings.model_copy(update={"reporting": reporting})


def _draft_for(settings: Settings, customer_id: str) -> int:
    with open_store(settings) as store:
        return next(store.db["drafts"].rows_where("customer_id = ? and status = 'draft'", [customer_id]))["id"]


def test_a_disputed_account_shows_its_risks_as_alerts_above_the_draft(browser: Browser, base_url: str,  # noqa: F811
                                                                      web_settings: Settings, artifacts: Path):  # fmt: skip
    draft_id = _draft_for(web_settings, "C-1004")  # Maplecrest: an open pricing dispute, and they write in French
    page = new_page(browser, base_url)
    sign_in(page, "casey")
    page.goto(f"/drafts/{draft_id}")
    alerts = page.get_by_role("alert")
    expect(alerts.filter(has_text="Open dispute on INV-2026-0327")).to_be_visible()
    expect(alerts.first).to_contain_text("Open dispute")  # the most serious risk comes first
    expect(alerts.filter(has_text="Open dispute").get_by_role("link", name="Open the dispute")).to_be_visible()
    page.get_by_text("Preview: the email as the customer will see it").click()
    preview = page.locator("#preview-body")
    expect(preview).to_contain_text("Bonjour Renée Tremblay,")
    expect(preview).to_contain_text("Cordialement,")
    shoot(page, artifacts, "casework-draft-risks")
    page.get_by_role("link", name="Open the dispute").first.click()
    expect(page.get_by_role("heading", name="Dispute: pricing")).to_be_visible()


def test_a_call_logged_on_the_customer_page_joins_the_plain_timeline(browser: Browser, base_url: str,  # noqa: F811
                                                                     artifacts: Path):  # fmt: skip
    page = new_page(browser, base_url)
    sign_in(page, "casey")
    page.goto("/customers/C-1006")
    expect(page.get_by_label("Balance")).to_contain_text("Overdue")
    page.get_by_text("Add a note or log a call").click()
    page.get_by_label("Who you called").fill("Marcus Obi")
    page.get_by_label("Outcome").select_option("promised")
    page.get_by_label("What was said").fill("Paying the September invoice on Friday by wire")
    page.get_by_role("button", name="Log call").click()
    expect(page.get_by_text("Call logged.")).to_be_visible()
    first = page.locator("#timeline > li").first
    expect(first).to_contain_text("Call with Marcus Obi: they promised to pay")
    expect(first).to_contain_text("casey")
    expect(page.locator("#timeline").get_by_role("link", name="Dispute opened:").first).to_be_visible()
    shoot(page, artifacts, "casework-customer-timeline")
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    expect(page.get_by_text("call", exact=False).first).to_be_visible()


def test_the_dashboard_draws_totals_trends_and_debtors_as_svg(browser: Browser, base_url: str,  # noqa: F811
                                                              artifacts: Path):  # fmt: skip
    page = new_page(browser, base_url)
    blocked: list[str] = []
    page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    sign_in(page, "casey")
    page.goto("/dashboard")
    expect(page.locator("#total-open")).to_contain_text("USD")
    expect(page.locator("#rates-note")).to_contain_text("rates of 2026-11-13")
    for title in ("Open receivables in USD by aging bucket, including not due", "Payments received per week",
                  "Days sales outstanding, week by week", "Open receivables by aging bucket, week by week"):  # fmt: skip
        expect(page.get_by_role("img", name=title)).to_be_visible()
    expect(page.locator("#trend-aging .legend")).to_contain_text("not due")
    assert page.locator("#trend-aging rect").count() >= 13 * 5
    rows = page.locator("#top-debtors tbody tr")
    expect(rows).to_have_count(10)
    expect(rows.first.get_by_role("link")).to_be_visible()
    assert page.evaluate("[...document.scripts].filter(s => s.src && !s.src.startsWith(location.origin)).length") == 0
    assert blocked == []
    shoot(page, artifacts, "casework-dashboard")
    page.set_viewport_size(NARROW)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the dashboard scrolls sideways by {overflow}px on a narrow screen"
    shoot(page, artifacts, "casework-dashboard-narrow")


def test_a_partial_credit_resolves_the_dispute_and_drafts_the_reply(browser: Browser, base_url: str,  # noqa: F811
                                                                    web_settings: Settings, artifacts: Path):  # fmt: skip
    page = new_page(browser, base_url)
    sign_in(page, "casey")
    page.goto("/disputes")
    card = page.locator("li.card", has_text="Maplecrest")
    expect(card.locator(".stake")).to_contain_text("CAD")
    card.get_by_role("link", name="Open the case").click()
    page.get_by_label("Owner").select_option("casey")
    page.get_by_role("button", name="Save reason and owner").click()
    expect(page.get_by_text("updated.")).to_be_visible()
    shoot(page, artifacts, "casework-dispute")
    page.get_by_role("radio", name="Partial credit").check()
    page.get_by_label("Amount credited").fill("100.00")
    page.get_by_role("button", name="Resolve and draft the reply").click()
    expect(page.get_by_text("a reply to the customer is drafted for review")).to_be_visible()
    expect(page.get_by_label("Message")).to_contain_text("100.00")
    expect(page.locator(".flags")).to_have_count(0)  # the reply passed its guardrails
    shoot(page, artifacts, "casework-dispute-reply")
    with open_store(web_settings) as store:
        credit = next(store.db["pending_credits"].rows_where())
        assert (credit["invoice_number"], credit["amount"], credit["status"]) == ("INV-2026-0327", "100.00", "pending")
        assert store.db["disputes"].count_where("owner_user = 'casey' and resolution_kind = 'partial_credit'") == 1


def test_a_customer_who_writes_german_gets_a_german_reminder(browser: Browser, base_url: str,  # noqa: F811
                                                            web_settings: Settings, artifacts: Path, today):  # fmt: skip
    with open_store(web_settings) as store:
        # Copperfield's planned English reminder is dropped, then they write in German and the plan runs again.
        store.db["drafts"].update(_draft_for(web_settings, "C-1013"), {"status": "rejected", "plan_date": "2026-11-13"})
        reply = add_message(store, "C-1013", "AW: Zahlungserinnerung", "Guten Tag, wir haben die Rechnung erhalten "
                            "und prüfen sie noch. Die Zahlung wird bald überwiesen. Mit freundlichen Grüßen", n=7,
                            from_addr="ap@copperfieldtax.example", status="routed")  # fmt: skip
        save_classification(store, reply, Classification(label=Label.ACKNOWLEDGEMENT, confidence=0.9, source="local"),
                            "triage")  # fmt: skip
        plan_day(store, default_policy(), web_settings, today)
    draft_id = _draft_for(web_settings, "C-1013")
    page = new_page(browser, base_url)
    sign_in(page, "casey")
    page.goto(f"/drafts/{draft_id}")
    expect(page.get_by_label("Message")).to_contain_text("Guten Tag")
    expect(page.get_by_label("Message")).to_contain_text("überfällig")
    expect(page.locator("ol.thread .gist")).to_contain_text("In English: Acknowledged the reminder")
    page.get_by_text("Preview: the email as the customer will see it").click()
    expect(page.locator("#preview-body")).to_contain_text("Mit freundlichen Grüßen")
    shoot(page, artifacts, "casework-german-draft")
    page.goto("/customers/C-1013")
    expect(page.locator("#timeline .gist").first).to_contain_text("German; in English: Acknowledged the reminder")
