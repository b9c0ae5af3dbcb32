"""Review safety in real headless Chromium: unsaved edits are never dropped silently, a send can be undone,
and Next draft walks the worklist in its own order and filters."""

import time

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from copilot.config import Settings, SmtpSettings
from copilot.web.app import create_app
from tests.fixtures.live_web import serve_in_thread
from tests.web.conftest import open_store
from tests.web.test_browser import DESKTOP, browser, sign_in  # noqa: F401 (browser is a fixture)

pytestmark = pytest.mark.browser
HOLD_SECONDS = 2


@pytest.fixture
def live(web_settings: Settings, smtp_server) -> str:
    smtp = SmtpSettings(host=smtp_server.host, port=smtp_server.port, security="none", from_address="ar@ourco.example")
    web = web_settings.web.model_copy(update={"send_hold_seconds": HOLD_SECONDS})
    with serve_in_thread(create_app(web_settings.model_copy(update={"smtp": smtp, "web": web}))) as url:
        yield url


class Dialogs:
    """Records every dialog the page opens and answers it: dismissed unless `accept` is set."""

    def __init__(self, page: Page):
        self.seen: list[tuple[str, str]] = []
        self.accept = False
        page.on("dialog", self._answer)

    def _answer(self, dialog: Dialog) -> None:
        self.seen.append((dialog.type, dialog.message))
        dialog.accept() if self.accept else dialog.dismiss()


def open_page(browser: Browser, url: str) -> tuple[Page, Dialogs]:  # noqa: F811
    page = browser.new_context(viewport=DESKTOP, base_url=url).new_page()
    return page, Dialogs(page)


def draft_links(page: Page) -> list[str]:
    """The worklist's draft links, top to bottom."""
    return page.locator("table.worklist tbody a[href^='/drafts/']").evaluate_all("links => links.map(a => a.getAttribute('href'))")


def type_into_body(page: Page, text: str) -> None:
    body = page.get_by_label("Message")
    body.click()
    page.keyboard.press("Control+End")
    page.keyboard.type(text)
    page.keyboard.press("Escape")  # leave the text box, so the next key is a shortcut


def test_n_with_unsaved_edits_asks_before_leaving(browser: Browser, live: str):  # noqa: F811
    page, dialogs = open_page(browser, live)
    sign_in(page, "casey")
    first, second = draft_links(page)[:2]
    page.goto(first)
    type_into_body(page, " Thanks for your help.")
    page.keyboard.press("n")
    page.wait_for_timeout(300)
    assert dialogs.seen == [("confirm", "Leave this draft? Your unsaved edits will be lost.")]
    assert page.url.endswith(first) and page.get_by_label("Message").input_value().endswith("Thanks for your help.")
    dialogs.accept = True
    page.keyboard.press("n")
    page.wait_for_url(f"**{second}")
    assert len(dialogs.seen) == 2  # agreeing once is enough: the browser's own prompt does not follow


def test_leaving_by_a_link_with_unsaved_edits_asks_first(browser: Browser, live: str):  # noqa: F811
    page, dialogs = open_page(browser, live)
    sign_in(page, "casey")
    first = draft_links(page)[0]
    page.goto(first)
    type_into_body(page, " One more line.")
    page.get_by_role("link", name="Worklist", exact=True).first.click()
    page.wait_for_timeout(500)
    assert [kind for kind, _ in dialogs.seen] == ["beforeunload"]
    assert page.url.endswith(first)
    # Saving is not leaving: no prompt, and the edit is kept.
    page.get_by_role("button", name="Save edits").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    assert len(dialogs.seen) == 1 and page.get_by_label("Message").input_value().endswith("One more line.")


def test_rewriting_over_edits_asks_first(browser: Browser, live: str, web_settings: Settings):  # noqa: F811
    page, dialogs = open_page(browser, live)
    sign_in(page, "casey")
    first = draft_links(page)[0]
    draft_id = int(first.split("/")[2].split("?")[0])
    page.goto(first)
    original = page.get_by_label("Message").input_value()
    type_into_body(page, " Edited by hand.")
    page.keyboard.press("w")
    page.wait_for_timeout(300)
    assert dialogs.seen == [("confirm", "Rewriting replaces your edits to this draft. Rewrite anyway?")]
    assert page.get_by_label("Message").input_value() == original + " Edited by hand."
    with open_store(web_settings) as store:
        assert store.db["drafts"].get(draft_id)["tone_hint"] is None
    dialogs.accept = True
    page.keyboard.press("f")
    expect(page.get_by_text("Draft rewritten in a firmer tone.")).to_be_visible()
    with open_store(web_settings) as store:
        assert store.db["drafts"].get(draft_id)["tone_hint"] == "firmer"


def test_a_approves_with_a_held_send_that_undo_takes_back(browser: Browser, live: str, web_settings: Settings,  # noqa: F811
                                                          smtp_server):  # fmt: skip
    page, dialogs = open_page(browser, live)
    sign_in(page, "casey")
    first, second = draft_links(page)[:2]
    draft_id = int(first.split("/")[2])
    page.goto(first)
    page.keyboard.press("a")
    page.wait_for_url(f"**{second}")  # on to the next draft while the send waits
    banner = page.locator(".flash.held")
    expect(banner).to_contain_text(f"Draft {draft_id}")
    assert smtp_server.messages == []
    banner.get_by_role("button", name="Undo").click()
    expect(page.get_by_text(f"Sending cancelled: draft {draft_id} is back in review, unsent.")).to_be_visible()
    assert page.url.endswith(first)
    page.wait_for_timeout((HOLD_SECONDS + 1) * 1000)  # past the hold: the server's timer must find nothing to send
    assert smtp_server.messages == [] and dialogs.seen == []
    with open_store(web_settings) as store:
        assert store.db["drafts"].get(draft_id)["status"] == "draft"


def test_a_held_send_goes_out_on_its_own_when_the_hold_ends(browser: Browser, live: str, web_settings: Settings,  # noqa: F811
                                                            smtp_server):  # fmt: skip
    page, _ = open_page(browser, live)
    sign_in(page, "casey")
    first = draft_links(page)[0]
    draft_id = int(first.split("/")[2])
    page.goto(first)
    page.get_by_role("button", name="Approve and send").click()
    expect(page.locator(".flash.held")).to_contain_text(f"Draft {draft_id}")
    deadline = time.monotonic() + 20
    while not smtp_server.messages and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert len(smtp_server.messages) == 1 and smtp_server.messages[0]["X-Copilot-Draft"] == str(draft_id)
    expect(page.locator(".flash.held button").first).to_be_disabled()  # the countdown ended on the page too
    # The server has the mail; the send's own thread records it as sent a moment later.
    status = None
    while status != "sent" and time.monotonic() < deadline:
        with open_store(web_settings) as store:
            status = store.db["drafts"].get(draft_id)["status"]
        page.wait_for_timeout(50)
    assert status == "sent"


def test_next_draft_walks_the_filtered_worklist_in_order(browser: Browser, live: str):  # noqa: F811
    page, dialogs = open_page(browser, live)
    sign_in(page, "casey")
    page.get_by_label("Segment").select_option("mid-market")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/worklist?*segment=mid-market*")
    links = draft_links(page)
    assert len(links) >= 3 and all("segment=mid-market" in href for href in links)
    page.goto(links[0])
    walked = [links[0]]
    for _ in links[1:]:
        here = page.url
        page.keyboard.press("n")
        page.wait_for_url(lambda url, here=here: url != here)
        walked.append(page.url.removeprefix(live))
    assert walked == links
    page.keyboard.press("n")
    page.wait_for_url("**/worklist?*segment=mid-market*")  # after the last one, back to the same filtered list
    assert dialogs.seen == []
