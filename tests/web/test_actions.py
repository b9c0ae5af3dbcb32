"""Actions from the screens: each changes the store through the libraries, audits, and survives a reload."""

import pytest
from fastapi.testclient import TestClient

from copilot.config import Settings, SmtpSettings
from copilot.web.app import create_app
from tests.web.conftest import csrf_of, open_store, signed_in


@pytest.fixture
def mail_app(web_settings: Settings, smtp_server):
    smtp = SmtpSettings(host=smtp_server.host, port=smtp_server.port, security="none", from_address="ar@ourco.example")
    return create_app(web_settings.model_copy(update={"smtp": smtp}))


@pytest.fixture
def mail_collector(mail_app) -> TestClient:
    with signed_in(mail_app, "casey") as c:
        yield c


def _post(client: TestClient, path: str, data: dict, page: str = "/worklist"):
    return client.post(path, data={**data, "csrf_token": csrf_of(client, page)})


def _send_now(client: TestClient, draft: int):
    """Approve-and-send holds the send for Undo; these tests skip the rest of the hold."""
    return _post(client, f"/drafts/{draft}/send-now", {})


def test_edit_then_approve_and_send_delivers_over_smtp(mail_collector: TestClient, web_settings: Settings, ids: dict,
                                                       smtp_server):  # fmt: skip
    draft = ids["draft"]
    with open_store(web_settings) as store:
        row = store.db["drafts"].get(draft)
    body = row["body"].replace("Hello", "Hi there", 1) + "\n\nP.S. Call me any time."
    saved = _post(mail_collector, f"/drafts/{draft}", {"action": "save", "subject": row["subject"], "body": body})
    assert saved.status_code == 303 and saved.headers["location"] == f"/drafts/{draft}"
    assert "Draft saved." in mail_collector.get(f"/drafts/{draft}").text
    held = _post(mail_collector, f"/drafts/{draft}", {"action": "send", "subject": row["subject"], "body": body})
    assert held.status_code == 303 and held.headers["location"].startswith(("/drafts/", "/worklist"))  # the next draft
    assert smtp_server.messages == []  # held for a few seconds, with Undo
    sent = _send_now(mail_collector, draft)
    assert sent.status_code == 303 and sent.headers["location"].startswith(("/drafts/", "/worklist"))  # the next draft
    assert len(smtp_server.messages) == 1
    msg = smtp_server.messages[0]
    assert msg["Subject"] == row["subject"] and "P.S. Call me any time." in msg.get_content()
    with open_store(web_settings) as store:
        after = store.db["drafts"].get(draft)
        actions = [e["action"] for e in store.audit_events("draft", draft)]
    assert after["status"] == "sent" and after["approved_by"] == "user:casey" and after["edit_distance"] > 0
    assert {"edited", "approved", "sent"} <= set(actions) or {"edited", "approved"} <= set(actions)
    # A second click (a reload of the form) never sends twice.
    again = _post(mail_collector, f"/drafts/{draft}", {"action": "send", "subject": row["subject"], "body": body})
    assert again.status_code in (303, 409) and len(smtp_server.messages) == 1


def test_a_failed_send_is_visible_and_can_be_retried(mail_collector: TestClient, web_settings: Settings, ids: dict,
                                                     smtp_server):  # fmt: skip
    draft = ids["draft"]
    with open_store(web_settings) as store:
        row = store.db["drafts"].get(draft)
    smtp_server.handler.fail_next = 1
    _post(mail_collector, f"/drafts/{draft}", {"action": "send", "subject": row["subject"], "body": row["body"]})
    first = _send_now(mail_collector, draft)
    assert first.headers["location"] == f"/drafts/{draft}"
    page = mail_collector.get(f"/drafts/{draft}").text
    assert "sending failed" in page and "Last send failed" in page and "Retry send" in page
    assert "send failed" in mail_collector.get("/worklist").text
    retry = _post(mail_collector, f"/drafts/{draft}", {"action": "send", "subject": row["subject"], "body": row["body"]})
    assert retry.status_code == 303 and len(smtp_server.messages) == 1
    with open_store(web_settings) as store:
        assert store.db["drafts"].get(draft)["status"] == "sent"


def test_a_draft_failing_a_guardrail_needs_an_override_reason(mail_collector: TestClient, web_settings: Settings,
                                                              ids: dict, smtp_server):  # fmt: skip
    draft = ids["draft"]
    with open_store(web_settings) as store:
        row = store.db["drafts"].get(draft)
    body = row["body"] + "\n\nPay within 5 days or we hand this to a collection agency and take legal action."
    blocked = _post(mail_collector, f"/drafts/{draft}", {"action": "send", "subject": row["subject"], "body": body})
    assert blocked.headers["location"] == f"/drafts/{draft}"
    page = mail_collector.get(f"/drafts/{draft}").text
    assert "Not sent:" in page and "guardrail" in page.lower() and 'name="override_reason"' in page
    assert smtp_server.messages == []
    forced = _post(mail_collector, f"/drafts/{draft}", {"action": "send", "subject": row["subject"], "body": body,
                                                        "override_reason": "agreed with the CFO"})  # fmt: skip
    assert forced.status_code == 303 and _send_now(mail_collector, draft).status_code == 303
    assert len(smtp_server.messages) == 1


def test_reject_needs_a_reason(collector: TestClient, web_settings: Settings, ids: dict):
    draft = ids["draft"]
    refused = _post(collector, f"/drafts/{draft}/reject", {"reason": "  "})
    assert refused.status_code == 400 and "reason is required" in refused.text
    done = _post(collector, f"/drafts/{draft}/reject", {"reason": "customer paid by phone"})
    assert done.status_code == 303
    with open_store(web_settings) as store:
        row = store.db["drafts"].get(draft)
    assert row["status"] == "rejected" and row["reject_reason"] == "customer paid by phone"
    assert "/drafts/" + str(draft) not in collector.get("/worklist").text


def test_regenerate_firmer_rewrites_the_same_draft(collector: TestClient, web_settings: Settings, ids: dict):
    draft = ids["draft"]
    response = _post(collector, f"/drafts/{draft}/regenerate", {"tone": "firmer"})
    assert response.status_code == 303 and response.headers["location"] == f"/drafts/{draft}"
    with open_store(web_settings) as store:
        row = store.db["drafts"].get(draft)
        assert row["tone_hint"] == "firmer" and row["status"] == "draft"
        assert store.audit_events("draft", draft)[-1]["action"] == "regenerated"
    bad = _post(collector, f"/drafts/{draft}/regenerate", {"tone": "sarcastic"})
    assert bad.status_code == 400 and "warmer, firmer" in bad.text


def test_correcting_a_label_re_routes_the_reply(collector: TestClient, web_settings: Settings, ids: dict):
    message = ids["wrong_quantity"]
    response = _post(collector, f"/messages/{message}/label", {"label": "dispute", "reason": "they dispute the quantity",
                                                               "back": "/inbox"}, page="/inbox")  # fmt: skip
    assert response.status_code == 303 and response.headers["location"] == "/inbox"
    with open_store(web_settings) as store:
        current = next(store.db["classifications"].rows_where("message_id = ? and is_current = 1", [message]))
        disputes = list(store.db["disputes"].rows_where("message_id = ? and status = 'open'", [message]))
        pauses = list(store.db["pauses"].rows_where("customer_id = 'C-1005' and reason = 'dispute' and lifted_at is null"))
    assert current["label"] == "dispute" and current["source"] == "human" and current["created_by"] == "user:casey"
    assert len(disputes) == 1 and [p["invoice_number"] for p in pauses] == ["INV-2026-0359"]
    page = collector.get(f"/messages/{message}").text
    assert "reminders paused on INV-2026-0359 (dispute, until lifted)" in page
    # Correcting it back reverses the dispute and lifts the pause.
    _post(collector, f"/messages/{message}/label", {"label": "acknowledgement"}, page="/inbox")
    with open_store(web_settings) as store:
        assert not store.db["pauses"].count_where("customer_id = 'C-1005' and reason = 'dispute' and lifted_at is null")
    bad = _post(collector, f"/messages/{message}/label", {"label": "spam"}, page="/inbox")
    assert bad.status_code == 400


def test_linking_an_unmatched_reply(collector: TestClient, web_settings: Settings, ids: dict):
    message = ids["unmatched"]
    response = _post(collector, f"/messages/{message}/link", {"customer_id": "C-1012"}, page="/inbox/unmatched")
    assert response.status_code == 303
    with open_store(web_settings) as store:
        row = store.db["messages"].get(message)
    assert row["customer_id"] == "C-1012" and row["match_rule"] == "manual"
    assert "Statement of account" not in collector.get("/inbox/unmatched").text
    missing = _post(collector, f"/messages/{ids['unmatched']}/link", {"customer_id": "C-0000"}, page="/inbox/unmatched")
    assert missing.status_code == 404


def test_pause_and_resume_a_customer_with_reasons(collector: TestClient, web_settings: Settings):
    assert _post(collector, "/customers/C-1003/pause", {"note": ""}).status_code == 400
    assert _post(collector, "/customers/C-1003/pause", {"note": "x", "until": "2020-01-01"}).status_code == 400
    assert _post(collector, "/customers/C-1003/pause", {"note": "x", "invoice_number": "INV-2026-0359"}).status_code == 400
    done = _post(collector, "/customers/C-1003/pause", {"note": "CFO on holiday", "until": "2026-12-01",
                                                       "invoice_number": "INV-2026-0376"})  # fmt: skip
    assert done.status_code == 303
    page = collector.get("/customers/C-1003").text
    assert "CFO on holiday" in page and "until 2026-12-01" in page
    with open_store(web_settings) as store:
        pause = next(store.db["pauses"].rows_where("customer_id = 'C-1003' and note = 'CFO on holiday'"))
    assert pause["created_by"] == "user:casey" and pause["invoice_number"] == "INV-2026-0376"
    lift = f"/customers/C-1003/pauses/{pause['id']}/lift"
    assert _post(collector, lift, {"reason": ""}).status_code == 400
    assert _post(collector, f"/customers/C-1004/pauses/{pause['id']}/lift", {"reason": "x"}).status_code == 404
    assert _post(collector, lift, {"reason": "back from holiday"}).status_code == 303
    with open_store(web_settings) as store:
        lifted = store.db["pauses"].get(pause["id"])
        events = [e["action"] for e in store.audit_events("pause", pause["id"])]
    assert lifted["lifted_by"] == "user:casey" and lifted["lift_reason"] == "back from holiday"
    assert events == ["paused", "lifted"]
    assert "back from holiday" in collector.get("/customers/C-1003").text


def test_resolving_a_dispute_lifts_its_pauses(collector: TestClient, web_settings: Settings, ids: dict):
    with open_store(web_settings) as store:
        dispute = next(store.db["disputes"].rows_where("message_id = ? and status = 'open'", [ids["angry_dispute"]]))
    refused = _post(collector, f"/disputes/{dispute['id']}/resolve", {"resolution": "credit note CN-7"})
    assert refused.status_code == 303 and refused.headers["location"].endswith("#resolve-form")
    with open_store(web_settings) as store:
        assert store.db["disputes"].get(dispute["id"])["status"] == "open"  # no outcome chosen: nothing resolved
    assert _post(collector, f"/disputes/{dispute['id']}/resolve",
                 {"outcome": "stands", "resolution": "credit note CN-7"}).status_code == 303  # fmt: skip
    with open_store(web_settings) as store:
        assert store.db["disputes"].get(dispute["id"])["status"] == "resolved"
        assert not store.db["pauses"].count_where("source_type = 'dispute' and source_id = ? and lifted_at is null",
                                                  [str(dispute["id"])])  # fmt: skip
    assert "credit note CN-7" in collector.get("/disputes?status=resolved").text


def test_completing_a_task(collector: TestClient, web_settings: Settings):
    with open_store(web_settings) as store:
        task = next(store.db["tasks"].rows_where("customer_id = 'C-1009' and status = 'open'"))
    assert _post(collector, f"/customers/C-1009/tasks/{task['id']}/done", {}).status_code == 303
    with open_store(web_settings) as store:
        assert store.db["tasks"].get(task["id"])["status"] == "done"
        assert not store.db["pauses"].count_where("source_type = 'task' and source_id = ? and lifted_at is null",
                                                  [str(task["id"])])  # fmt: skip


def test_account_team_acknowledges_only_their_alerts(account_team: TestClient, web_settings: Settings, ids: dict):
    assert _post(account_team, f"/alerts/{ids['other_alert']}/ack", {}, page="/account").status_code == 403
    assert _post(account_team, f"/alerts/{ids['alert']}/ack", {}, page="/account").status_code == 303
    with open_store(web_settings) as store:
        assert store.db["alerts"].get(ids["alert"])["acknowledged_by"] == "user:dana"
        assert store.db["alerts"].get(ids["other_alert"])["acknowledged_at"] is None
    assert f'action="/alerts/{ids["alert"]}/ack"' not in account_team.get("/account").text
    assert "Acknowledged by Dana" in account_team.get("/account?show=all").text
    assert _post(account_team, f"/alerts/{ids['alert']}/ack", {}, page="/account").status_code == 409


def test_an_interrupted_send_is_retried_only_after_the_person_confirms(mail_collector: TestClient, web_settings: Settings,
                                                                       ids: dict, smtp_server):  # fmt: skip
    draft = ids["draft"]
    with open_store(web_settings) as store:
        store.db["drafts"].update(draft, {"status": "failed", "approved_by": "user:casey",
                                          "last_error": "delivery unknown: interrupted while sending"})  # fmt: skip
        row = store.db["drafts"].get(draft)
    page = mail_collector.get(f"/drafts/{draft}").text
    assert "may have reached the recipient" in page and 'name="confirm_not_delivered"' in page
    data = {"action": "send", "subject": row["subject"], "body": row["body"]}
    refused = _post(mail_collector, f"/drafts/{draft}", data)
    assert refused.headers["location"] == f"/drafts/{draft}" and smtp_server.messages == []
    assert "may already have been delivered" in mail_collector.get(f"/drafts/{draft}").text
    confirmed = _post(mail_collector, f"/drafts/{draft}", {**data, "confirm_not_delivered": "true"})
    assert confirmed.status_code == 303 and len(smtp_server.messages) == 1


def test_malformed_requests_get_an_html_error_page(collector: TestClient):
    missing = _post(collector, "/drafts/1", {"subject": "s"})
    assert missing.status_code == 400 and "incomplete" in missing.text and "action" in missing.text
    assert "text/html" in collector.get("/no-such-page").headers["content-type"]
    assert collector.get("/no-such-page").status_code == 404
    assert collector.get("/drafts/not-a-number").status_code == 400


def test_a_collector_dismisses_quarantined_mail_with_a_reason(collector: TestClient, web_settings: Settings):
    with open_store(web_settings) as store:
        (entry,) = list(store.db["quarantine"].rows_where("status = 'open'"))
    page = "/inbox/quarantine"
    assert f'action="/inbox/quarantine/{entry["id"]}/dismiss"' in collector.get(page).text
    refused = _post(collector, f"/inbox/quarantine/{entry['id']}/dismiss", {"reason": "  "}, page)
    assert refused.status_code == 400 and "say why" in refused.text
    done = _post(collector, f"/inbox/quarantine/{entry['id']}/dismiss", {"reason": "spam, handled by hand"}, page)
    assert done.status_code == 303 and done.headers["location"] == page
    after = collector.get(page).text
    assert "dismissed" in after and "Nothing in quarantine." in after
    with open_store(web_settings) as store:
        assert store.db["quarantine"].get(entry["id"])["status"] == "dismissed"
        (event,) = store.audit_events("quarantine", entry["id"])
    assert (event["actor"], event["action"], event["reason"]) == ("user:casey", "dismissed", "spam, handled by hand")
    again = _post(collector, f"/inbox/quarantine/{entry['id']}/dismiss", {"reason": "twice"}, page)
    assert again.status_code == 409
