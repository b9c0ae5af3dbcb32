"""Review safety through the web forms: Next draft follows the worklist, sends are held with Undo, rewrites keep edits."""

import re
import time

import pytest
from fastapi.testclient import TestClient

from copilot.config import Settings, SmtpSettings
from copilot.web.app import create_app
from tests.web.conftest import csrf_of, open_store, signed_in

NEXT = re.compile(r'href="([^"]+)" rel="next" id="next-draft"')
ROW = re.compile(r'<a href="/drafts/(\d+)(\?[^"]*)?"[^>]*>')


def _post(client: TestClient, path: str, data: dict):
    return client.post(path, data={**data, "csrf_token": csrf_of(client, "/worklist")})


@pytest.fixture
def mail_app(web_settings: Settings, smtp_server):
    smtp = SmtpSettings(host=smtp_server.host, port=smtp_server.port, security="none", from_address="ar@ourco.example")
    web = web_settings.web.model_copy(update={"send_hold_seconds": 1})
    return create_app(web_settings.model_copy(update={"smtp": smtp, "web": web}))


@pytest.fixture
def casey(mail_app) -> TestClient:
    with signed_in(mail_app, "casey") as c:
        yield c


def worklist_ids(client: TestClient, query: str = "") -> list[int]:
    return [int(m.group(1)) for m in ROW.finditer(client.get("/worklist" + query).text)]


def walk_next(client: TestClient, start: str) -> list[int]:
    """Follow "Next draft" from `start` until it leads back to the worklist."""
    seen, url = [], start
    while url.startswith("/drafts/"):
        seen.append(int(url.split("/")[2].split("?")[0]))
        url = NEXT.search(client.get(url).text).group(1).replace("&amp;", "&")
        assert len(seen) < 100
    return seen


@pytest.mark.parametrize("query", ["", "?segment=mid-market", "?tier=4", "?tier=2&segment=long-tail"])
def test_next_draft_follows_the_worklist_order_and_filters(collector: TestClient, query: str):
    order = worklist_ids(collector, query)
    assert len(order) >= 2, query
    if not query:
        assert order != sorted(order)  # the worklist is not in id order, so walking ids would not pass
    assert walk_next(collector, f"/drafts/{order[0]}{query}") == order
    # The draft pages keep the filters: the last one leads back to the same filtered worklist.
    last = collector.get(f"/drafts/{order[-1]}{query}").text
    assert f'href="/worklist{query}" rel="next"' in last.replace("&amp;", "&")


def test_after_a_send_the_next_page_is_the_next_in_the_filtered_order(casey: TestClient, web_settings: Settings):
    query = "?segment=mid-market"
    order = worklist_ids(casey, query)
    first = order[0]
    with open_store(web_settings) as store:
        row = store.db["drafts"].get(first)
    held = _post(casey, f"/drafts/{first}{query}", {"action": "send", "subject": row["subject"], "body": row["body"]})
    assert held.status_code == 303 and held.headers["location"] == f"/drafts/{order[1]}{query}"
    # The held draft has left the list; the rest keep their order.
    assert worklist_ids(casey, query) == order[1:]


def test_approve_and_send_is_held_with_undo(casey: TestClient, web_settings: Settings, ids: dict, smtp_server):
    draft = ids["draft"]
    with open_store(web_settings) as store:
        row = store.db["drafts"].get(draft)
    _post(casey, f"/drafts/{draft}", {"action": "send", "subject": row["subject"], "body": row["body"]})
    page = casey.get("/worklist").text
    assert f'action="/drafts/{draft}/undo"' in page and "will be sent at" in page
    with open_store(web_settings) as store:
        held = store.db["drafts"].get(draft)
    assert held["status"] == "approved" and held["send_after"] and smtp_server.messages == []
    undone = _post(casey, f"/drafts/{draft}/undo", {})
    assert undone.status_code == 303 and undone.headers["location"] == f"/drafts/{draft}"
    page = casey.get(f"/drafts/{draft}").text
    assert "back in review, unsent" in page and 'id="approve-send"' in page
    assert f'action="/drafts/{draft}/undo"' not in page
    time.sleep(1.5)  # past the one-second hold: the release timer fires and must find nothing to send
    assert smtp_server.messages == []
    with open_store(web_settings) as store:
        assert store.db["drafts"].get(draft)["status"] == "draft"
        assert "send_undone" in [e["action"] for e in store.audit_events("draft", draft)]
    assert _post(casey, f"/drafts/{draft}/undo", {}).status_code == 409


def test_a_held_send_goes_out_when_the_hold_ends(casey: TestClient, web_settings: Settings, ids: dict, smtp_server):
    draft = ids["draft"]
    with open_store(web_settings) as store:
        row = store.db["drafts"].get(draft)
    _post(casey, f"/drafts/{draft}", {"action": "send", "subject": row["subject"], "body": row["body"]})
    deadline = time.monotonic() + 20
    while not smtp_server.messages and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(smtp_server.messages) == 1 and smtp_server.messages[0]["Subject"] == row["subject"]
    # The server has the mail; the send's own thread records it as sent a moment later.
    assert _status_becomes(web_settings, draft, "sent", deadline) == "sent"
    assert _post(casey, f"/drafts/{draft}/undo", {}).status_code == 409  # too late once it has gone


def _status_becomes(settings: Settings, draft: int, wanted: str, deadline: float) -> str:
    while True:
        with open_store(settings) as store:
            status = store.db["drafts"].get(draft)["status"]
        if status == wanted or time.monotonic() >= deadline:
            return status
        time.sleep(0.05)


def test_a_rewrite_over_saved_edits_needs_the_person_to_say_so(collector: TestClient, web_settings: Settings,
                                                               ids: dict):  # fmt: skip
    draft = ids["draft"]
    with open_store(web_settings) as store:
        row = store.db["drafts"].get(draft)
    edited = row["body"] + "\n\nI called your office this morning."
    _post(collector, f"/drafts/{draft}", {"action": "save", "subject": row["subject"], "body": edited})
    assert 'name="replace_edits"' in collector.get(f"/drafts/{draft}").text
    refused = _post(collector, f"/drafts/{draft}/regenerate", {"tone": "firmer"})
    assert refused.status_code == 303 and "Not rewritten" in collector.get(f"/drafts/{draft}").text
    with open_store(web_settings) as store:
        assert store.db["drafts"].get(draft)["body"] == edited
    done = _post(collector, f"/drafts/{draft}/regenerate", {"tone": "firmer", "replace_edits": "true"})
    assert done.status_code == 303
    with open_store(web_settings) as store:
        after = store.db["drafts"].get(draft)
    assert after["body"] != edited and after["tone_hint"] == "firmer"
