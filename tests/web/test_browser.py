"""The UI in real headless Chromium: the review-and-send path, a label correction, and inert hostile mail.

Screenshots at desktop (1280 px) and narrow (400 px) widths are saved to the artifacts folder.
"""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from copilot.config import Settings, SmtpSettings
from copilot.web.app import create_app
from tests.fixtures.live_web import serve_in_thread
from tests.web.seed import PASSWORD

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 900}
NARROW = {"width": 400, "height": 860}


@pytest.fixture(scope="module")
def browser() -> Browser:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


@pytest.fixture
def base_url(web_settings: Settings, smtp_server) -> str:
    smtp = SmtpSettings(host=smtp_server.host, port=smtp_server.port, security="none", from_address="ar@ourco.example")
    with serve_in_thread(create_app(web_settings.model_copy(update={"smtp": smtp}))) as url:
        yield url


def new_page(browser: Browser, base_url: str, viewport: dict = DESKTOP, javascript: bool = True) -> Page:
    context = browser.new_context(viewport=viewport, java_script_enabled=javascript, base_url=base_url)
    page = context.new_page()
    page.on("dialog", lambda dialog: pytest.fail(f"a dialog opened: {dialog.message!r}"))
    return page


def sign_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(f"Signed in as {username}.")).to_be_visible()


def shoot(page: Page, folder: Path, name: str) -> None:
    """The whole page, and for long pages also the first screenful (what a person sees on arrival)."""
    page.screenshot(path=str(folder / f"web-{name}.png"), full_page=True)
    if page.evaluate("document.documentElement.scrollHeight") > 2 * page.viewport_size["height"]:
        page.screenshot(path=str(folder / f"web-{name}-top.png"))


def test_review_edit_approve_and_send_reaches_smtp(browser: Browser, base_url: str, smtp_server, ids: dict,
                                                   artifacts: Path):  # fmt: skip
    page = new_page(browser, base_url)
    sign_in(page, "casey")
    expect(page.get_by_role("heading", name="Worklist")).to_be_visible()
    shoot(page, artifacts, "worklist-desktop")
    page.locator(f'a[href="/drafts/{ids["draft"]}"]').click()
    expect(page.get_by_role("heading", name="Open invoices and aging")).to_be_visible()
    shoot(page, artifacts, "draft-desktop")
    body = page.get_by_label("Message")
    body.fill(body.input_value() + "\n\nI can also set up a payment plan if that helps.")
    page.get_by_role("button", name="Approve and send").click()
    expect(page.locator(".flash.held")).to_contain_text(f"Draft {ids['draft']}")  # held, with Undo
    page.get_by_role("button", name="Send now").click()
    expect(page.get_by_text(f"Draft {ids['draft']} approved and sent.")).to_be_visible()
    assert len(smtp_server.messages) == 1
    sent = smtp_server.messages[0]
    assert "I can also set up a payment plan if that helps." in sent.get_content()
    # The wrong-quantity dispute on INV-2026-0359 paused that invoice, so the reminder covers the rest.
    assert "INV-2026-0316" in sent.get_content() and "INV-2026-0323" in sent.get_content() and "INV-2026-0359" not in sent.get_content()


def test_the_core_path_works_without_javascript(browser: Browser, base_url: str, smtp_server, ids: dict):
    page = new_page(browser, base_url, javascript=False)
    sign_in(page, "casey")
    page.goto(f"/drafts/{ids['drafts'][0]}")
    page.get_by_label("Subject").fill("Your account with us: an update")
    page.get_by_role("button", name="Approve and send").click()
    expect(page.get_by_role("button", name="Undo")).to_be_visible()  # a plain form: Undo needs no script
    page.get_by_role("button", name="Send now").click()
    expect(page.get_by_text("approved and sent")).to_be_visible()
    assert [m["Subject"] for m in smtp_server.messages] == ["Your account with us: an update"]


def test_keyboard_shortcuts(browser: Browser, base_url: str, ids: dict):
    page = new_page(browser, base_url)
    sign_in(page, "casey")
    page.wait_for_load_state("load")  # the shortcuts are bound by the page's script; a key pressed before it is lost
    page.keyboard.press("j")
    expect(page.locator("table.worklist tbody tr").first).to_have_class("current")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Message")).to_be_visible()
    page.keyboard.press("e")
    expect(page.get_by_label("Message")).to_be_focused()
    page.keyboard.press("Escape")
    page.keyboard.press("r")  # with no reason typed yet, r puts the cursor in the reason box
    expect(page.get_by_label("Reason for rejecting")).to_be_focused()
    page.keyboard.press("Escape")
    here = page.url
    page.keyboard.press("n")
    page.wait_for_url(lambda url: url != here and "/drafts/" in url)


def test_correcting_a_label_shows_the_dispute_pause(browser: Browser, base_url: str, ids: dict, artifacts: Path):
    page = new_page(browser, base_url)
    sign_in(page, "casey")
    page.goto("/inbox")
    card = page.locator(f"#reply-{ids['wrong_quantity']}")
    expect(card.locator(".label")).to_have_text("acknowledgement")
    shoot(page, artifacts, "inbox-desktop")
    card.get_by_placeholder("why (optional)").fill("they dispute the licence count")
    card.get_by_role("button", name="dispute", exact=True).click()
    expect(page.get_by_text(f"Reply {ids['wrong_quantity']} relabelled as dispute and re-routed.")).to_be_visible()
    card = page.locator(f"#reply-{ids['wrong_quantity']}")
    expect(card.locator(".label")).to_have_text("dispute")
    expect(card.get_by_text("reminders paused on INV-2026-0359 (dispute, until lifted)")).to_be_visible()
    page.goto("/customers/C-1005")
    expect(page.locator("li.active", has_text="INV-2026-0359 — dispute")).to_be_visible()
    shoot(page, artifacts, "customer-desktop")
    page.goto("/disputes")
    expect(page.get_by_text("Ironbark", exact=False).first).to_be_visible()


def test_hostile_html_mail_is_displayed_inertly(browser: Browser, base_url: str, ids: dict, artifacts: Path):
    page = new_page(browser, base_url)
    blocked: list[str] = []
    page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    sign_in(page, "casey")
    for key in ("hostile", "hostile_raw"):
        page.goto(f"/messages/{ids[key]}")
        text = page.locator("#mail-text")
        expect(text).to_contain_text("Could you send me a copy of invoice")
        page.wait_for_timeout(300)  # give any injected script or image a chance to run
        assert page.evaluate("document.querySelectorAll('script').length") == 1  # our own app.js only
        assert page.evaluate("document.querySelectorAll('#mail-text *, h1 *').length") == 0
        assert page.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
        assert page.evaluate("[...document.links].filter(a => a.protocol === 'javascript:').length") == 0
    expect(page.locator("#mail-text")).to_contain_text("<script>alert('x')</script>")
    expect(page.locator("h1")).to_have_text("<img src=x onerror=alert(3)>Copy <b>please</b>")
    expect(page.locator("dd").first).to_contain_text("<script>alert(4)</script>")
    assert blocked == []  # nothing was even attempted, so the CSP had nothing to block
    shoot(page, artifacts, "hostile-desktop")
    page.set_viewport_size(NARROW)
    shoot(page, artifacts, "hostile-narrow")
    page.goto("/inbox")
    page.wait_for_timeout(200)


def test_screens_at_desktop_and_narrow_widths(browser: Browser, base_url: str, ids: dict, artifacts: Path):
    """Every screen renders at both widths without a horizontal scrollbar on the page."""
    for viewport, suffix in ((DESKTOP, "desktop"), (NARROW, "narrow")):
        page = new_page(browser, base_url, viewport)
        shoot(page.goto("/login") and page, artifacts, f"login-{suffix}")
        sign_in(page, "root")
        for name, path in (("worklist", "/worklist"), ("draft", f"/drafts/{ids['draft']}"), ("inbox", "/inbox"),
                           ("unmatched", "/inbox/unmatched"), ("dashboard", "/dashboard"),
                           ("customer", "/customers/C-1006"), ("disputes", "/disputes"), ("promises", "/promises"),
                           ("account", "/account")):  # fmt: skip
            page.goto(path)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {viewport['width']}px"
            if suffix == "narrow" or name not in ("worklist", "draft", "inbox", "customer"):
                shoot(page, artifacts, f"{name}-{suffix}")
        page.context.close()
