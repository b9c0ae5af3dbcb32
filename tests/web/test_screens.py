"""What each screen shows, and that customer-supplied text is always inert."""

import re

from fastapi.testclient import TestClient

from copilot.web.queries import priority_key, sla_state
from copilot.wording import person
from tests.web.conftest import open_store


def test_worklist_lists_drafts_by_amount_in_the_reporting_currency_with_counts(collector: TestClient, ids: dict):
    page = collector.get("/worklist")
    assert page.status_code == 200
    assert f"<strong>{len(ids['drafts'])}</strong> drafts waiting" in page.text
    keys = re.findall(r'data-sort-amount="([\d.]*)"', page.text)
    assert len(keys) == len(ids["drafts"])
    # Without a rate for a currency its drafts cannot be compared, so they come after the converted ones.
    known = [float(k) for k in keys if k]
    assert known and known == sorted(known, reverse=True) and keys[: len(known)] == [k for k in keys if k]


def test_priority_puts_higher_tiers_first_then_segment_then_risk_then_amount():
    rows = [
        {"tier": 1, "segment": "strategic", "risky": 1, "reporting_amount": 9000, "id": "a"},
        {"tier": 3, "segment": "long-tail", "risky": 0, "reporting_amount": 100, "id": "b"},
        {"tier": 3, "segment": "strategic", "risky": 0, "reporting_amount": 100, "id": "c"},
        {"tier": 3, "segment": "strategic", "risky": 1, "reporting_amount": 50, "id": "d"},
        {"tier": 3, "segment": "strategic", "risky": 1, "reporting_amount": 80, "id": "e"},
    ]
    assert [r["id"] for r in sorted(rows, key=priority_key)] == ["e", "d", "c", "b", "a"]


def test_worklist_filters_by_tier_segment_and_owner(collector: TestClient):
    def shown(query: str) -> int:
        return len(re.findall(r'href="/drafts/\d+[?"]', collector.get("/worklist" + query).text))

    everything = shown("")
    tier4, strategic, dana = shown("?tier=4"), shown("?segment=strategic"), shown("?owner=dana.reyes@ourco.example")
    assert 0 < tier4 < everything and 0 < strategic < everything and 0 < dana < everything
    assert shown("?tier=4&segment=strategic&owner=dana.reyes@ourco.example") <= min(tier4, strategic, dana)
    assert 'value="4" selected' in collector.get("/worklist?tier=4").text


def test_draft_review_shows_context_and_thread(collector: TestClient, ids: dict):
    page = collector.get(f"/drafts/{ids['draft']}").text
    assert "Ironbark" in page  # C-1005
    assert "INV-2026-0359" in page and "Open invoices and aging" in page
    assert "Thread history" in page and "RE: Payment reminder: INV-2026-0359" in page
    assert "acknowledgement" in page and "confidence 0.52" in page
    assert 'textarea id="body" name="body"' in page and "Approve and send" in page
    assert "Rewrite warmer" in page and "Rewrite firmer" in page and 'name="reason"' in page
    assert '<script src="/static/app.js" defer></script>' in page


def test_inbox_shows_label_confidence_frustration_invoices_and_actions(collector: TestClient, ids: dict):
    page = collector.get("/inbox").text
    card = page[page.index(f'id="reply-{ids["angry_dispute"]}"'):]
    card = card[: card.index("</li>\n  <li") if "</li>\n  <li" in card else len(card)]
    assert "dispute" in card and "confidence 90%" in card and "frustrated" in card
    assert "INV-2026-0371" in card and "INV-2026-0373" in card
    assert "dispute #" in card and "reminders paused on INV-2026-0371" in card and "alert: frustration" in card
    assert 'name="label" value="promise_to_pay"' in card and 'value="dispute" class="chip label-dispute" aria-pressed="true" disabled' in card


def test_inbox_filters(collector: TestClient, ids: dict):
    disputes = collector.get("/inbox?label=dispute").text
    assert f'id="reply-{ids["angry_dispute"]}"' in disputes and f'id="reply-{ids["promise"]}"' not in disputes
    frustrated = collector.get("/inbox?frustrated=true").text
    assert f'id="reply-{ids["frustrated"]}"' in frustrated and f'id="reply-{ids["promise"]}"' not in frustrated


def test_unmatched_queue_and_quarantine(collector: TestClient, ids: dict):
    unmatched = collector.get("/inbox/unmatched").text
    assert "Statement of account" in unmatched and f'action="/messages/{ids["unmatched"]}/link"' in unmatched
    assert '<option value="C-1001">' in unmatched
    quarantine = collector.get("/inbox/quarantine").text
    assert "message over the size limit" in quarantine


def test_unmatched_replies_show_their_label_and_a_dispute_comes_first_as_urgent(collector: TestClient, web_settings):
    from copilot.classify.classifications import save_classification
    from copilot.labels import Classification, Label
    from tests.web.seed import add_message

    store = open_store(web_settings)
    mid = add_message(store, None, "Closed account", "We closed our account in March; this invoice should not exist.",
                      n=2, status="unmatched", from_addr="someone@unknown-sender.example")  # fmt: skip
    save_classification(store, mid, Classification(label=Label.DISPUTE, confidence=0.91, source="local"), "triage")
    store.close()
    page = collector.get("/inbox/unmatched").text
    assert page.index("Closed account") < page.index("Statement of account")  # urgent first
    card = page[page.index("Closed account") : page.index("Statement of account")]
    assert 'class="label label-dispute">dispute</span>' in card and "urgent" in card and "confidence 0.91" in card


def test_hostile_html_mail_is_shown_as_escaped_text(collector: TestClient, ids: dict):
    for key in ("hostile", "hostile_raw"):
        page = collector.get(f"/messages/{ids[key]}").text
        body = page[page.index('id="mail-text"'):]
        assert "Could you send me a copy of invoice" in body
        assert "<script>alert" not in page and "<img src=x" not in page.lower()
        assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", page, re.I), "an event handler attribute was rendered"
        assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", page, re.I), "a javascript: link was rendered"
        assert "This message was sent as HTML" in page
    raw = collector.get(f"/messages/{ids['hostile_raw']}").text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in raw
    assert "&lt;img src=x onerror=alert(3)&gt;Copy &lt;b&gt;please&lt;/b&gt;" in raw
    assert "&lt;script&gt;alert(4)&lt;/script&gt;" in raw  # the From name


def test_hostile_text_is_escaped_in_lists_and_threads(collector: TestClient, ids: dict):
    for path in ("/inbox", "/customers/C-1009", f"/drafts/{ids['drafts'][8]}"):
        page = collector.get(path).text
        assert "<script>alert" not in page and "onerror=alert" not in page.replace("onerror=alert(3)&gt;", ""), path


def test_dashboard_shows_buckets_chart_figures_disputes_and_alerts(collector: TestClient):
    page = collector.get("/dashboard").text
    for bucket in ("0-30", "31-60", "61-90", "90+", "not due"):
        assert f'data-label="Bucket">{bucket}</th>' in page
    assert page.count("<svg") >= 3 and 'class="s-b4"' in page and 'class="s-notdue"' in page  # "not due" is charted
    assert "DSO, days" in page and "CEI, %" in page and "Promises kept" in page
    assert "Open disputes by reason and age" in page and ">pricing</th>" in page
    assert "Recent alerts" in page and "frustration" in page


def test_customer_page_has_ledger_cases_contacts_and_timeline(collector: TestClient):
    page = collector.get("/customers/C-1006").text
    for part in ("Invoices", "Payments", "Promises", "Disputes", "Contacts", "Timeline", "Pause dunning"):
        assert f">{part}</h2>" in page or f"<summary>{part}</summary>" in page or f">{part} <small" in page, part
    assert "INV-2026-0371" in page and "@solsticeanalytics.example" in page
    assert re.search(r'<a href="/disputes/\d+">Dispute opened: ', page)  # the timeline in words, each entry linked
    assert 'action="/customers/C-1006/pauses/' in page
    audit = collector.get("/customers/C-1006/audit").text  # the raw log, one click away
    assert re.search(r"<strong>dispute \d+</strong> (opened|created)", audit) and f"by {person('router')}" in audit
    assert "by router" not in audit  # the actor in words, not its code


def test_customer_search(collector: TestClient):
    page = collector.get("/customers?q=Northwind").text
    assert "Northwind Harbor Logistics" in page and "Larkspur" not in page


def test_unknown_records_give_a_404_page(collector: TestClient):
    for path in ("/customers/C-9999", "/drafts/99999", "/messages/99999"):
        response = collector.get(path)
        assert response.status_code == 404 and "Not found" in response.text, path


def test_disputes_list_shows_sla_owner_and_due(collector: TestClient):
    page = collector.get("/disputes").text
    assert "breached" in page and "billing@ourco.example" in page and "pricing" in page
    assert "on track" in page  # the dispute routing opened today
    assert re.search(r'href="/disputes/\d+#resolve-form">Resolve: choose the outcome', page)
    assert 'name="resolution"' not in page  # no free-text resolution without an outcome


def test_sla_state_is_pure():
    from datetime import UTC, datetime

    now = datetime(2026, 11, 16, 12, tzinfo=UTC)
    assert sla_state("2026-11-16T11:00:00+00:00", "open", now) == "breached"
    assert sla_state("2026-11-17T06:00:00+00:00", "open", now) == "due soon"
    assert sla_state("2026-11-20", "open", now) == "on track"
    assert sla_state("2026-11-01", "resolved", now) == "resolved"


def test_promises_list(collector: TestClient):
    page = collector.get("/promises").text
    assert "2026-11-20" in page and "2026-11-23" in page and "Cedar" in page


def test_account_view_lists_only_the_users_accounts(account_team: TestClient, ids: dict):
    page = account_team.get("/account").text
    assert f'action="/alerts/{ids["alert"]}/ack"' in page
    assert f'action="/alerts/{ids["other_alert"]}/ack"' not in page
    assert "Northwind Harbor Logistics" in page and "strategic" in page


def test_account_team_can_read_the_dashboard_and_a_customer_but_gets_no_action_forms(account_team: TestClient):
    assert account_team.get("/dashboard").status_code == 200
    page = account_team.get("/customers/C-1001").text
    assert "Pause dunning" not in page and "/lift" not in page


def test_narrow_screen_styles_exist(client: TestClient):
    css = client.get("/static/app.css").text
    assert "@media (max-width: 640px)" in css and 'content: attr(data-label)' in css


def test_the_dashboards_aging_table_matches_the_aging_report(web_settings, policy, today):
    """The dashboard aggregates in SQL for speed; it must agree with copilot.ledger.aging to the cent."""
    from copilot.ledger.aging import aging_report
    from copilot.web.queries import aging_table

    with open_store(web_settings) as store:
        table = aging_table(store, policy, today)
        report = aging_report(store, policy, today)
    expected = [{"name": b.name, "count": b.count, "customers": len(b.customers), "totals": b.totals}
                for b in [*report.buckets, report.not_due]]  # fmt: skip
    assert [{k: row[k] for k in ("name", "count", "customers", "totals")} for row in table] == expected
    assert sum(row["count"] for row in table) > 30


def test_dashboard_figures_follow_changes_in_the_data(collector: TestClient, web_settings, monkeypatch):
    from copilot.store import Store
    from copilot.web import cache

    monkeypatch.setattr(cache, "REFRESH_INTERVAL_SECONDS", 0.0)
    before = collector.get("/dashboard").text
    assert "Promises kept (0 kept" in before
    with Store.open(web_settings.db_path) as store, store.transaction():
        store.db["promises"].update(1, {"status": "kept", "resolved_at": "2026-11-16T09:00:00+00:00"})
        store.audit("test", "promise", 1, "kept")
    import time

    first = collector.get("/dashboard").text  # the previous aging figures at once, fresh ones computed meanwhile
    # The key figures come from the daily table and the small case tables, so they are current at once.
    assert "Promises kept (1 kept" in first and "being recalculated" in first
    deadline = time.monotonic() + 10
    while "being recalculated" in (page := collector.get("/dashboard").text):
        assert time.monotonic() < deadline, "the figures were never recalculated"
        time.sleep(0.05)
    assert "being recalculated" not in page



def test_draft_page_names_the_owner_and_the_model_in_words(collector: TestClient, ids: dict):
    page = collector.get(f"/drafts/{ids['draft']}").text
    owner = re.search(r"· owner ([^<·]*)", page)
    assert owner and "@" not in owner.group(1) and owner.group(1).strip() not in ("", "–"), owner
    assert "by local model (version" in page or "by keyword" in page or "by person" in page.lower()
    assert not re.search(r"\(local-\d+:[0-9a-f]+\)", page)  # a model's build code, shown raw
