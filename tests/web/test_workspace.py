"""The collector's workspace: worklist reasons, flags and sorting, bulk approval, history, tasks, search, readable values."""

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from copilot.config import ReportingSettings, Settings, load_settings
from copilot.errors import ConfigError
from copilot.store import Store
from copilot.web import queries
from copilot.web.app import create_app
from copilot.web.services import bulk_refusal
from copilot.web.templating import local_time, model_name, money, person, words
from tests.web.conftest import csrf_of, open_store, signed_in

RATES = ReportingSettings(currency="USD", rates={"EUR": Decimal("1.08"), "GBP": Decimal("1.27"), "CAD": Decimal("0.73")},
                          rates_date=date(2026, 11, 13))  # fmt: skip


@pytest.fixture
def fx_app(web_settings: Settings):
    return create_app(web_settings.model_copy(update={"reporting": RATES, "web": web_settings.web.model_copy(
        update={"timezone": "Europe/London"})}))  # fmt: skip


@pytest.fixture
def fx_collector(fx_app) -> TestClient:
    with signed_in(fx_app, "casey") as c:
        yield c


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr id="draft-row-(\d+)"', html)


def _post(client: TestClient, path: str, data: dict, page: str = "/worklist"):
    return client.post(path, data={**data, "csrf_token": csrf_of(client, page)})


# -- worklist --------------------------------------------------------------------------------------


def test_each_row_says_why_it_is_here_with_last_reply_touch_and_state(fx_collector: TestClient, ids: dict):
    page = fx_collector.get("/worklist").text
    # Reasons stored by the planner: a cadence step and a request to answer.
    assert "cadence step: INV-2026-0294 reached day 126 past due (Tier 4 reminder)" in page
    assert "request to answer: invoice copy asked on 14 Nov 2026" in page
    row = page.split(f'id="draft-row-{ids["draft"]}"')[1].split("</tr>")[0]  # Ironbark (C-1005)
    assert 'href="/customers/C-1005"' in row and "Lucy Brennan" in row and "lucy.brennan@" not in row
    assert "acknowledgement" in row and 'href="/messages/' in row  # the last reply, by its label in words
    assert "to review" in row and "reminder</td>" not in row  # the state, not the kind


def test_flags_show_dispute_frustration_bounce_and_review(fx_collector: TestClient, ids: dict):
    page = fx_collector.get("/worklist").text

    def flags(customer: str) -> set[str]:
        row = page.split(f'href="/customers/{customer}"')[1].split("</tr>")[0]
        return set(re.findall(r'data-flag="(\w+)"', row))

    assert "dispute" in flags("C-1004")  # the pricing dispute opened by the seed
    assert "bounce" in flags("C-1010")  # books@tidewaterbikes.example bounced
    with open_store(fx_collector.app.state.settings) as store:  # type: ignore[attr-defined]
        frustrated = {r["customer_id"] for r in store.db.query(
            "select customer_id from alerts where kind = 'frustration' and acknowledged_at is null")}  # fmt: skip
        waiting = {r["customer_id"] for r in store.db.query("select customer_id from drafts where status = 'draft'")}
    shown = frustrated & waiting
    assert shown, "the seed should leave a frustrated customer with a waiting draft"
    assert all("frustration" in flags(c) for c in shown)


def test_sort_by_reporting_currency_puts_usd_7141_above_cad_8876(fx_collector: TestClient):
    page = fx_collector.get("/worklist?sort=amount").text
    assert "USD 7,141.67" in page and "CAD 8,876.66" in page  # still shown in their own currency
    assert page.index("USD 7,141.67") < page.index("CAD 8,876.66")  # CAD 8,876.66 is USD 6,479.96
    assert "≈ USD 6,479.96" in page and "at the rates of 13 Nov 2026" in page
    keys = [float(k) for k in re.findall(r'data-sort-amount="([\d.]+)"', page)]
    assert keys == sorted(keys, reverse=True) and len(keys) == len(_rows(page))


def test_sort_by_days_overdue_and_by_priority(fx_collector: TestClient):
    overdue = re.findall(r'data-overdue="([\d-]+)"', fx_collector.get("/worklist?sort=overdue").text)
    assert overdue and overdue == sorted(overdue)
    page = fx_collector.get("/worklist?sort=priority").text
    tiers = [int(t) for t in re.findall(r'data-label="Tier">(\d)</td>', page)]
    assert tiers == sorted(tiers, reverse=True) and tiers[0] == 4
    assert 'value="priority" selected' in page


def test_sql_priority_order_matches_the_pure_priority_key(web_settings: Settings):
    with open_store(web_settings) as store:
        data = queries.worklist(store, date(2026, 11, 16), RATES, sort="priority")
    rows = data["rows"]
    assert [r["id"] for r in rows] == [r["id"] for r in sorted(rows, key=queries.priority_key)]


def test_worklist_pages(fx_collector: TestClient, web_settings: Settings):
    with open_store(web_settings) as store:
        first = queries.worklist(store, date(2026, 11, 16), RATES, per_page=4)
        second = queries.worklist(store, date(2026, 11, 16), RATES, per_page=4, page=2)
    assert first["pages"] == -(-first["matching"] // 4) and len(first["rows"]) == 4
    assert not {r["id"] for r in first["rows"]} & {r["id"] for r in second["rows"]}


def test_bulk_approve_sends_tier1_clean_drafts_and_refuses_the_rest(fx_collector: TestClient, web_settings: Settings,
                                                                    ids: dict):  # fmt: skip
    with open_store(web_settings) as store:
        tier1 = [r["id"] for r in store.db.query("select id from drafts where status = 'draft' and tier = 1")]
    assert tier1
    chosen = [str(i) for i in [*tier1, ids["draft"]]]  # the Tier 3 Ironbark draft is not routine
    response = _post(fx_collector, "/worklist/approve", {"draft_id": chosen})
    assert response.status_code == 303 and response.headers["location"] == "/worklist"
    with open_store(web_settings) as store:
        status = {r["id"]: r["status"] for r in store.db.query("select id, status from drafts")}
        events = store.audit_events("draft")
        batch = store.audit_events("worklist")
    sent = [i for i in tier1 if status[i] == "sent"]
    assert sent and status[ids["draft"]] == "draft"
    assert {int(e["entity_id"]) for e in events if e["action"] == "approved" and e["actor"] == "user:casey"} >= set(sent)
    assert batch and batch[-1]["actor"] == "user:casey" and batch[-1]["action"] == "bulk_approved"
    message = fx_collector.get("/worklist").text
    assert "Bulk approval:" in message and f"#{ids['draft']} is Tier 3" in message


def test_bulk_approve_needs_the_csrf_token(fx_collector: TestClient, web_settings: Settings, ids: dict):
    response = fx_collector.post("/worklist/approve", data={"draft_id": str(ids["drafts"][6])})
    assert response.status_code == 403
    with open_store(web_settings) as store:
        assert store.db["drafts"].get(ids["drafts"][6])["status"] == "draft"


@pytest.mark.parametrize(("row", "expected"), [
    ({"status": "draft", "tier": 1, "guardrail_flags_json": "[]"}, None),
    ({"status": "draft", "tier": 2, "guardrail_flags_json": "[]"}, "is Tier 2; only Tier 1 drafts are approved in bulk"),
    ({"status": "sent", "tier": 1, "guardrail_flags_json": "[]"}, "is sent, not waiting"),
    ({"status": "draft", "tier": 1, "guardrail_flags_json": '[{"code": "x"}]'}, "has guardrail flags; review it on its own"),
])  # fmt: skip
def test_bulk_refusal(row: dict, expected: str | None):
    assert bulk_refusal(row) == expected


def test_history_tabs_list_sent_rejected_and_expired_drafts(fx_collector: TestClient, web_settings: Settings,
                                                            ids: dict):  # fmt: skip
    victim = ids["drafts"][0]
    assert _post(fx_collector, f"/drafts/{victim}/reject", {"reason": "already agreed a plan"}).status_code == 303
    with open_store(web_settings) as store, store.transaction():
        store.db["drafts"].update(ids["drafts"][1], {"status": "expired"})
        store.audit("test", "draft", ids["drafts"][1], "expired")
    rejected = fx_collector.get("/worklist?tab=rejected").text
    assert f'href="/drafts/{victim}?tab=rejected"' in rejected and "already agreed a plan" in rejected
    assert "Rejected (1)" in rejected
    expired = fx_collector.get("/worklist?tab=expired").text
    assert f'href="/drafts/{ids["drafts"][1]}?tab=expired"' in expired and f'href="/drafts/{victim}?' not in expired
    waiting = fx_collector.get("/worklist").text
    assert f'id="draft-row-{victim}"' not in waiting
    with open_store(web_settings) as store:  # the seed routes its replies after planning, so its drafts start stale
        store.conn.execute("update drafts set stale_at = null, stale_reason = null")
        store.conn.commit()
    assert "No stale drafts." in fx_collector.get("/worklist?tab=stale").text


# -- tasks and search --------------------------------------------------------------------------------


def test_tasks_lists_every_open_task(fx_collector: TestClient, web_settings: Settings):
    with open_store(web_settings) as store:
        open_ids = {r["id"] for r in store.db.query("select id from tasks where status = 'open'")}
        closed = {r["id"] for r in store.db.query("select id from tasks where status != 'open'")}
    page = fx_collector.get("/tasks").text
    assert {int(i) for i in re.findall(r'<tr id="task-(\d+)"', page)} == open_ids and open_ids
    assert not closed & {int(i) for i in re.findall(r'<tr id="task-(\d+)"', page)}
    assert "W-9 form" in page and "Bad contact address" in page and 'href="/customers/C-1011"' in page
    assert '<a href="/tasks" aria-current=page>Tasks</a>' in page


def test_tasks_filter_by_owner_and_due_date(fx_collector: TestClient):
    mine = fx_collector.get("/tasks?owner=omar.haddad@ourco.example").text
    assert 'href="/customers/C-1011"' in mine and 'href="/customers/C-1014"' not in mine  # Omar / Lucy
    assert "No open tasks match these filters." in fx_collector.get("/tasks?due=overdue").text  # all due 18 Nov
    assert 'id="task-' in fx_collector.get("/tasks?due=week").text


def test_a_task_is_done_in_one_click_and_audited(fx_collector: TestClient, web_settings: Settings):
    with open_store(web_settings) as store:
        task = next(store.db.query("select id from tasks where status = 'open' order by id"))["id"]
    response = _post(fx_collector, f"/tasks/{task}/done", {"back": "/tasks?due=week"}, page="/tasks")
    assert response.status_code == 303 and response.headers["location"] == "/tasks?due=week"
    with open_store(web_settings) as store:
        row = store.db["tasks"].get(task)
        audit = [e for e in store.audit_events("task", task) if e["actor"] == "user:casey"]
    assert row["status"] == "done" and row["done_by"] == "user:casey" and audit
    assert f'id="task-{task}"' not in fx_collector.get("/tasks").text


def test_the_account_team_sees_tasks_but_cannot_close_them(account_team: TestClient, web_settings: Settings):
    page = account_team.get("/tasks").text
    assert 'id="task-' in page and "/done" not in page


@pytest.mark.parametrize(("query", "customer", "found_by"), [
    ("INV-2026-0354", "C-1011", "invoice INV-2026-0354"),
    ("inv-2026-0354", "C-1011", "invoice INV-2026-0354"),
    ("NWH-PO-75977", "C-1001", "purchase order NWH-PO-75977"),
    ("books@tidewaterbikes", "C-1010", "contact books@tidewaterbikes.example"),
    ("C-1005", "C-1005", "id"),
])  # fmt: skip
def test_search_finds_customers_by_invoice_po_contact_and_id(fx_collector: TestClient, query: str, customer: str,
                                                             found_by: str):  # fmt: skip
    page = fx_collector.get("/customers", params={"q": query}).text
    links = re.findall(r'<a href="/customers/(C-\d+)">', page)
    assert links == [customer]
    assert f'data-label="Found by">{found_by}' in page


def test_search_for_an_unknown_invoice_finds_nobody(fx_collector: TestClient):
    assert "No customer matches." in fx_collector.get("/customers?q=INV-1999-0000").text


# -- readable everywhere ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "expected"), [
    ("auto_send", "automatic sending"), ("bad_contact", "bad contact address"), ("invoice_copy", "invoice copy"),
    ("user:dana", "Dana"), ("promise_to_pay", "promise to pay"), ("some_new_code", "some new code"), (None, "–"),
])  # fmt: skip
def test_words(code, expected):
    assert words(code) == expected


def test_person_and_model_names():
    assert person("dana.reyes@ourco.example") == "Dana Reyes" and person("user:casey") == "Casey"
    assert person("planner") == "the daily plan"
    assert model_name("local", "local-11:661efefd82ef7269") == "local model (version 11, build 661efefd)"
    assert model_name("llm", "gpt-4o-mini") == "language model (gpt-4o-mini)"


def test_money_has_separators_and_times_show_the_team_zone():
    assert money("57180.00", "EUR") == "EUR 57,180.00" and money(None) == "–"
    london = ZoneInfo("Europe/London")
    assert local_time("2026-07-01T08:30:00+00:00", london) == "1 Jul 2026, 09:30 BST"
    assert local_time("2026-11-16T08:30:00+00:00", london) == "16 Nov 2026, 08:30 GMT"
    assert local_time("2026-11-16T08:30:00", ZoneInfo("America/New_York")) == "16 Nov 2026, 03:30 EST"
    assert local_time(datetime(2026, 11, 16, 23, 30, tzinfo=ZoneInfo("UTC")), ZoneInfo("Europe/Berlin")) == "17 Nov 2026, 00:30 CET"
    assert local_time("2026-11-16", london) == "16 Nov 2026"


def test_a_reply_shows_its_date_header_in_the_team_zone(fx_collector: TestClient, web_settings: Settings):
    with open_store(web_settings) as store, store.transaction():
        mid = next(store.db.query("select id from messages where direction = 'inbound' and customer_id is not null"))["id"]
        store.db["messages"].update(mid, {"sent_at": "2026-11-14T17:05:00-05:00", "received_at": "2026-11-16T02:00:00+00:00"})
        store.audit("test", "message", mid, "edited")
    page = fx_collector.get(f"/messages/{mid}").text
    assert "<dt>Sent</dt><dd>14 Nov 2026, 22:05 GMT</dd>" in page
    assert "<dt>Received</dt><dd>16 Nov 2026, 02:00 GMT</dd>" in page
    assert "T17:05" not in page and "+00:00" not in page
    inbox = fx_collector.get("/inbox").text
    assert "14 Nov 2026, 22:05 GMT" in inbox


def test_reporting_and_timezone_settings_are_checked():
    with pytest.raises(ConfigError, match="time zone"):
        load_settings(web={"timezone": "Mars/Olympus"})
    with pytest.raises(ConfigError, match="above zero"):
        load_settings(reporting={"rates": {"EUR": "0"}})
    settings = load_settings(reporting={"currency": "eur", "rates": {"usd": "0.92"}})
    assert settings.reporting.currency == "EUR" and settings.reporting.rate("USD") == Decimal("0.92")
    assert settings.reporting.rate("EUR") == 1 and settings.reporting.rate("JPY") is None


# -- small things ------------------------------------------------------------------------------------------


def test_favicon_is_served_and_linked(fx_collector: TestClient, client: TestClient):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert '<link rel="icon" href="/static/favicon.svg"' in fx_collector.get("/worklist").text


def test_404_page_keeps_the_navigation_for_a_signed_in_user(fx_collector: TestClient, client: TestClient):
    page = fx_collector.get("/no/such/page")
    assert page.status_code == 404 and '<nav aria-label="Main">' in page.text and 'href="/tasks"' in page.text
    anonymous = client.get("/no/such/page")
    assert anonymous.status_code == 404 and '<nav aria-label="Main">' not in anonymous.text


def test_the_migration_summarises_drafts_already_stored(tmp_path):
    from copilot.drafting.summary import refresh_summaries

    with Store.open(tmp_path / "s.db") as store, store.transaction():
        store.db["customers"].insert({"id": "C", "name": "C Ltd", "segment": "long-tail"})
        store.db["invoices"].insert_all([
            {"number": "A-1", "customer_id": "C", "due_date": "2026-10-01", "amount": "10.00", "currency": "EUR",
             "open_balance": "10.00", "status": "open"},
            {"number": "A-2", "customer_id": "C", "due_date": "2026-09-01", "amount": "5.50", "currency": "USD",
             "open_balance": "5.50", "status": "open"}])  # fmt: skip
        one = store.db["drafts"].insert({"customer_id": "C", "status": "draft", "invoice_numbers_json": '["A-1"]'}).last_pk
        two = store.db["drafts"].insert({"customer_id": "C", "status": "draft",
                                         "invoice_numbers_json": '["A-1", "A-2"]'}).last_pk  # fmt: skip
        assert refresh_summaries(store.db) == 2
        first, second = store.db["drafts"].get(one), store.db["drafts"].get(two)
    assert (first["open_amount"], first["open_currency"], first["oldest_due"]) == ("10.00", "EUR", "2026-10-01")
    assert second["open_currency"] is None and second["oldest_due"] == "2026-09-01"
    assert second["open_totals_json"] == '{"EUR": "10.00", "USD": "5.50"}'


def test_a_payment_import_updates_what_waiting_drafts_sort_on(web_settings: Settings, ids: dict, tmp_path):
    from copilot.ledger.importer import import_payments

    with open_store(web_settings) as store:
        before = Decimal(store.db["drafts"].get(ids["draft"])["open_amount"])
        csv = tmp_path / "payments.csv"
        csv.write_text("payment_id,invoice_number,customer_id,amount,currency,paid_on,method,reference\n"
                       "P-T1,INV-2026-0316,C-1005,100.00,GBP,2026-11-16,wire,ref\n")  # fmt: skip
        import_payments(store, csv)
        after = Decimal(store.db["drafts"].get(ids["draft"])["open_amount"])
    assert after == before - Decimal("100.00")


def test_inbox_orders_replies_by_the_instant_they_were_sent_whatever_their_offset(fx_collector: TestClient,
                                                                                 web_settings: Settings):  # fmt: skip
    with open_store(web_settings) as store, store.transaction():
        first, second = [r["id"] for r in store.db.query(
            "select id from messages where direction = 'inbound' and customer_id is not null order by id limit 2")]  # fmt: skip
        # 14:26 in New York is 19:26 UTC: later than 18:00 UTC, though it sorts first as text.
        store.db["messages"].update(first, {"sent_at": "2026-11-16T14:26:00-05:00"})
        store.db["messages"].update(second, {"sent_at": "2026-11-16T18:00:00+00:00"})
        store.audit("test", "message", first, "edited")
    page = fx_collector.get("/inbox").text
    assert page.index(f'id="reply-{first}"') < page.index(f'id="reply-{second}"')
    assert "16 Nov 2026, 19:26 GMT" in page


def test_the_inbox_pages(fx_collector: TestClient, web_settings: Settings):
    with open_store(web_settings) as store:
        first, second = queries.inbox(store, limit=5), queries.inbox(store, limit=5, page=2)
    assert first["pages"] == -(-first["total"] // 5) > 1 and len(first["rows"]) == 5
    assert not {r["id"] for r in first["rows"]} & {r["id"] for r in second["rows"]}
    assert fx_collector.get("/inbox?page=2").status_code == 200
