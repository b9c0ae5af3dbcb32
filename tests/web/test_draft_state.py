"""The draft screens follow the account's state: stale drafts are marked, a held account sends nothing, expiry is undone."""

from fastapi.testclient import TestClient

from copilot.config import Settings
from tests.web.conftest import csrf_of, open_store


def _post(client: TestClient, path: str, data: dict, page: str = "/worklist"):
    return client.post(path, data={**data, "csrf_token": csrf_of(client, page)})


def test_pausing_an_account_marks_its_draft_stale_and_its_send_is_withdrawn(collector: TestClient,
                                                                           web_settings: Settings, ids: dict):  # fmt: skip
    draft = ids["draft"]  # Ironbark (C-1005)
    with open_store(web_settings) as store:
        row = store.db["drafts"].get(draft)
        store.db["drafts"].update(draft, {"stale_at": None, "stale_reason": None})
    assert "stale</span>" not in collector.get("/worklist").text.split(f"/drafts/{draft}\"")[1].split("</tr>")[0]

    paused = _post(collector, "/customers/C-1005/pause", {"note": "customer is restructuring", "scope": "dunning"},
                   page="/customers/C-1005")  # fmt: skip
    assert paused.status_code == 303
    row_html = collector.get("/worklist").text.split(f"/drafts/{draft}\"")[1].split("</tr>")[0]
    assert "stale</span>" in row_html and "paused after planning" in row_html
    assert "Stale: paused after planning" in collector.get(f"/drafts/{draft}").text

    held = _post(collector, f"/drafts/{draft}", {"action": "send", "subject": row["subject"], "body": row["body"]})
    assert held.status_code == 303  # approve-and-send holds the send for a few seconds, with Undo
    sent = _post(collector, f"/drafts/{draft}/send-now", {}, page=f"/drafts/{draft}")
    assert sent.headers["location"] == f"/drafts/{draft}"
    page = collector.get(f"/drafts/{draft}").text
    assert "withdrawn, not sent" in page and "the account is on hold" in page
    assert not (web_settings.outbox_dir and web_settings.outbox_dir.exists() and any(web_settings.outbox_dir.iterdir()))
    with open_store(web_settings) as store:
        assert store.db["drafts"].get(draft)["status"] == "superseded"


def test_an_expired_draft_can_be_brought_back_from_its_page(collector: TestClient, web_settings: Settings, ids: dict):
    draft = ids["draft"]
    with open_store(web_settings) as store:
        store.db["drafts"].update(draft, {"status": "expired", "expires_at": "2026-11-15T00:00:00+00:00"})
    page = collector.get(f"/drafts/{draft}").text
    assert "Bring back to review" in page
    revived = _post(collector, f"/drafts/{draft}/revive", {}, page=f"/drafts/{draft}")
    assert revived.status_code == 303
    with open_store(web_settings) as store:
        row = store.db["drafts"].get(draft)
        assert row["status"] == "draft" and row["expires_at"] > "2026-11-16"
        assert [e["action"] for e in store.audit_events("draft", draft)][-1] == "revived"
    assert "is back in review" in collector.get(f"/drafts/{draft}").text
