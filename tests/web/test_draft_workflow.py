"""The collector's path through drafts: every draft sorts by what it asks for, the draft page and the Stale tab
agree, "Next draft" follows the list the collector chose, and bulk approval takes only clean, current drafts."""

import re
from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from copilot.config import ReportingSettings, Settings
from copilot.drafting.stale import mark_stale
from copilot.store import loads
from copilot.web import queries
from copilot.web.app import create_app
from copilot.web.services import bulk_refusal
from tests.web.conftest import DEMO_DAY, csrf_of, open_store, signed_in

RATES = ReportingSettings(currency="USD", rates={"EUR": Decimal("1.08"), "GBP": Decimal("1.27"), "CAD": Decimal("0.73")},
                          rates_date=date(2026, 11, 13))  # fmt: skip
STALE_BANNER = '<div class="risk risk-stale" role="alert">'
NEXT = re.compile(r'<a href="([^"]*)" rel="next" id="next-draft">')


@pytest.fixture
def fx_settings(web_settings: Settings) -> Settings:
    return web_settings.model_copy(update={"reporting": RATES})


@pytest.fixture
def fx(fx_settings: Settings) -> TestClient:
    with signed_in(create_app(fx_settings), "casey") as c:
        yield c


def _post(client: TestClient, path: str, data: dict, page: str = "/worklist"):
    return client.post(path, data={**data, "csrf_token": csrf_of(client, page)})


def _order(settings: Settings, **view) -> list[int]:
    """The worklist's ids in order, all on one page, as the worklist query gives them."""
    with open_store(settings) as store:
        return [r["id"] for r in queries.worklist(store, DEMO_DAY, RATES, per_page=10_000, **view)["rows"]]


# -- 1. every draft carries the worklist's summary ------------------------------------------------------


def test_a_dispute_reply_is_listed_with_its_amount_reason_and_place(fx: TestClient, fx_settings: Settings):
    with open_store(fx_settings) as store:
        case = next(store.db.query("select id, invoice_numbers_json from disputes where status = 'open' "
                                   "and json_array_length(invoice_numbers_json) = 1 order by id"))  # fmt: skip
        invoice = store.db["invoices"].get(loads(case["invoice_numbers_json"])[0])
    response = _post(fx, f"/disputes/{case['id']}/resolve", {"outcome": "stands", "resolution": "price confirmed"},
                     page=f"/disputes/{case['id']}")  # fmt: skip
    assert response.status_code == 303
    reply = int(response.headers["location"].rsplit("/", 1)[1])
    with open_store(fx_settings) as store:
        row = store.db["drafts"].get(reply)
    assert row["kind"] == "dispute_reply" and row["status"] == "draft"
    assert (row["open_amount"], row["open_currency"]) == (invoice["open_balance"], invoice["currency"])
    assert row["oldest_due"] == invoice["due_date"] and row["risky"] is not None
    assert row["reason"] == f"dispute #{case['id']} resolved: stands"

    with open_store(fx_settings) as store:
        rows = {r["id"]: r for r in queries.worklist(store, DEMO_DAY, RATES, per_page=10_000)["rows"]}
    expected = (Decimal(invoice["open_balance"]) * RATES.rate(invoice["currency"])).quantize(Decimal("0.01"))
    assert Decimal(str(rows[reply]["reporting_amount"])).quantize(Decimal("0.01")) == expected
    for sort in queries.SORTS:
        order = _order(fx_settings, sort=sort)
        amounts = [rows[i]["reporting_amount"] for i in order]
        assert None not in amounts  # nothing sorts last for want of an amount
        if sort == "amount":
            assert amounts == sorted(amounts, reverse=True)
        if sort == "overdue":
            dues = [rows[i]["oldest_due"] for i in order]
            assert dues == sorted(dues)
    page = fx.get("/worklist?sort=amount").text
    line = page.split(f'id="draft-row-{reply}"')[1].split("</tr>")[0]
    assert f"dispute #{case['id']} resolved: stands" in line and 'data-sort-amount=""' not in line
    assert f"{Decimal(invoice['open_balance']):,.2f}" in line


def test_a_rewritten_draft_gets_a_new_summary(web_settings: Settings, ids: dict):
    from copilot.drafting.review import regenerate_draft
    from copilot.policy.model import default_policy

    draft = ids["draft"]
    with open_store(web_settings) as store:
        row = store.db["drafts"].get(draft)
        number = loads(row["invoice_numbers_json"])[0]
        store.db["invoices"].update(number, {"open_balance": "123.45", "status": "partially_paid"})
        regenerate_draft(store, draft, "test", "firmer", policy=default_policy(), settings=web_settings)
        after = store.db["drafts"].get(draft)
        balances = [store.db["invoices"].get(n) for n in loads(after["invoice_numbers_json"])]
    assert number in loads(after["invoice_numbers_json"])
    expected = sum((Decimal(i["open_balance"]) for i in balances), Decimal(0))
    assert after["open_amount"] != row["open_amount"] and Decimal(after["open_amount"]) == expected


# -- 2. the draft page and the Stale tab read the same mark ---------------------------------------------


def _stale_tab(client: TestClient) -> set[int]:
    return {int(i) for i in re.findall(r'href="/drafts/(\d+)\?tab=stale"', client.get("/worklist?tab=stale").text)}


def test_a_draft_page_shows_stale_exactly_when_the_stale_tab_lists_it(collector: TestClient, web_settings: Settings):
    with open_store(web_settings) as store:
        drafts = [r["id"] for r in store.db.query("select id from drafts order by id")]
    listed = _stale_tab(collector)
    shown = {d for d in drafts if STALE_BANNER in collector.get(f"/drafts/{d}").text}
    assert listed and set(drafts) - listed  # the seed has stale and current drafts both
    assert shown == listed


def test_a_reply_without_a_stale_mark_does_not_make_the_page_say_out_of_date(collector: TestClient,
                                                                            web_settings: Settings, ids: dict):  # fmt: skip
    from tests.web.seed import add_message

    draft = ids["draft"]
    with open_store(web_settings) as store:
        row = store.db["drafts"].get(draft)
        store.db["drafts"].update(draft, {"stale_at": None, "stale_reason": None, "plan_date": "2026-11-13"})
        late = add_message(store, row["customer_id"], "Question", "Which invoice is this?",
                           from_addr=loads(row["to_json"])[0], n=9)  # fmt: skip
        store.db["messages"].update(late, {"sent_at": "2026-11-16T23:59:00+00:00"})  # after it was drafted
    page = collector.get(f"/drafts/{draft}").text
    assert draft not in _stale_tab(collector)
    assert STALE_BANNER not in page and "may be out of date" not in page


def test_a_stale_mark_shows_on_the_page_with_its_reason_and_in_the_tab(collector: TestClient, web_settings: Settings,
                                                                       ids: dict):  # fmt: skip
    with open_store(web_settings) as store:
        store.conn.execute("update drafts set stale_at = null, stale_reason = null")
        store.conn.commit()
        customer = store.db["drafts"].get(ids["draft"])["customer_id"]
    assert STALE_BANNER not in collector.get(f"/drafts/{ids['draft']}").text and not _stale_tab(collector)
    with open_store(web_settings) as store:
        marked = mark_stale(store, customer, "payment recorded on INV-1 after the draft was planned", "test")
    assert ids["draft"] in marked
    page = collector.get(f"/drafts/{ids['draft']}").text
    banner = page.split(STALE_BANNER)[1].split("</div>")[0]
    assert "This draft may be out of date" in banner and "payment recorded on INV-1 after the draft was planned" in banner
    assert _stale_tab(collector) == set(marked)


def test_a_held_stale_draft_leaves_the_tab_and_its_banner_until_undone(collector: TestClient, web_settings: Settings,
                                                                       ids: dict):  # fmt: skip
    draft = ids["draft"]
    with open_store(web_settings) as store:
        row = store.db["drafts"].get(draft)
        store.db["drafts"].update(draft, {"stale_at": None, "stale_reason": None})
    assert _post(collector, f"/drafts/{draft}", {"action": "send", "subject": row["subject"], "body": row["body"]},
                 page=f"/drafts/{draft}").status_code == 303  # fmt: skip
    with open_store(web_settings) as store:
        assert store.db["drafts"].get(draft)["status"] == "approved"
        mark_stale(store, row["customer_id"], "paused after planning", "test")
    assert draft not in _stale_tab(collector) and STALE_BANNER not in collector.get(f"/drafts/{draft}").text
    assert _post(collector, f"/drafts/{draft}/undo", {}, page=f"/drafts/{draft}").status_code == 303
    assert draft in _stale_tab(collector) and STALE_BANNER in collector.get(f"/drafts/{draft}").text


# -- 3. "Next draft" follows the list the collector chose ------------------------------------------------


@pytest.mark.parametrize("sort", sorted(queries.SORTS))
def test_next_draft_follows_the_chosen_sort(fx: TestClient, fx_settings: Settings, sort: str):
    order = _order(fx_settings, sort=sort)
    assert len(order) >= 4
    q = "" if sort == "amount" else f"?sort={sort}"
    # The worklist's links carry the sort, and each page's "Next draft" walks the same order as the list.
    assert f'href="/drafts/{order[0]}{q}"' in fx.get(f"/worklist?sort={sort}").text
    walked, url = [], f"/drafts/{order[0]}{q}"
    while url.startswith("/drafts/"):
        walked.append(int(url.split("?")[0].rsplit("/", 1)[1]))
        url = NEXT.search(fx.get(url).text).group(1).replace("&amp;", "&")
    assert walked == order and url == f"/worklist{q}"


@pytest.mark.parametrize("sort", sorted(queries.SORTS))
def test_acting_on_a_draft_moves_on_in_the_chosen_sort(fx: TestClient, fx_settings: Settings, sort: str):
    order = _order(fx_settings, sort=sort)
    q = "" if sort == "amount" else f"?sort={sort}"
    rejected = _post(fx, f"/drafts/{order[0]}/reject{q}", {"reason": "customer rang"}, page=f"/drafts/{order[0]}{q}")
    assert rejected.headers["location"] == f"/drafts/{order[1]}{q}"
    with open_store(fx_settings) as store:
        row = store.db["drafts"].get(order[1])
    held = _post(fx, f"/drafts/{order[1]}{q}", {"action": "send", "subject": row["subject"], "body": row["body"]},
                 page=f"/drafts/{order[1]}{q}")  # fmt: skip
    with open_store(fx_settings) as store:
        status = store.db["drafts"].get(order[1])["status"]
    if status == "approved":  # held for sending: the page moves on
        assert held.headers["location"] == f"/drafts/{order[2]}{q}"
    else:  # refused (its guardrails failed): the collector stays on it
        assert held.headers["location"] == f"/drafts/{order[1]}{q}"


def test_next_draft_keeps_filters_and_sort_together(fx: TestClient, fx_settings: Settings):
    view = {"tier": 2, "sort": "overdue"}
    order = _order(fx_settings, **view)
    assert len(order) >= 2
    page = fx.get(f"/drafts/{order[0]}?tier=2&sort=overdue").text
    assert NEXT.search(page).group(1) == f"/drafts/{order[1]}?tier=2&amp;sort=overdue"
    assert 'href="/worklist?tier=2&amp;sort=overdue">Worklist</a>' in page
    last = fx.get(f"/drafts/{order[-1]}?tier=2&sort=overdue").text
    assert NEXT.search(last).group(1) == "/worklist?tier=2&amp;sort=overdue" and "Back to the worklist" in last


def test_next_draft_from_the_stale_tab_walks_the_stale_tab(collector: TestClient, web_settings: Settings):
    with open_store(web_settings) as store:
        listed = [r["id"] for r in queries.draft_history(store, "stale", per_page=10_000)["rows"]]
    assert len(listed) >= 2
    walked, url = [], f"/drafts/{listed[0]}?tab=stale"
    while url.startswith("/drafts/"):
        walked.append(int(url.split("?")[0].rsplit("/", 1)[1]))
        url = NEXT.search(collector.get(url).text).group(1)
    assert walked == listed and url == "/worklist?tab=stale"


# -- 4. bulk approval takes only Tier 1 drafts that passed the guardrails and are not stale ------------


def test_bulk_approve_refuses_a_stale_or_unchecked_tier1_draft(collector: TestClient, web_settings: Settings):
    with open_store(web_settings) as store:
        tier1 = [r["id"] for r in store.db.query("select id from drafts where status = 'draft' and tier = 1 "
                                                 "and stale_at is null order by id")]  # fmt: skip
        assert tier1, "the seed should leave a current Tier 1 draft"
        clean = tier1[0]
        stale = next(r["id"] for r in store.db.query("select id from drafts where status = 'draft' and tier = 1 "
                                                     "and stale_at is not null"))  # fmt: skip
        unchecked = store.db["drafts"].get(clean)
        store.db["drafts"].update(clean, {"guardrail_flags_json": None})
    page = collector.get("/worklist").text
    assert f'id="bulk-{stale}"' not in page and f'id="bulk-{clean}"' not in page  # no checkbox for either
    response = _post(collector, "/worklist/approve", {"draft_id": [str(stale), str(clean)]})
    assert response.status_code == 303
    with open_store(web_settings) as store:
        assert store.db["drafts"].get(stale)["status"] == "draft"
        assert store.db["drafts"].get(clean)["status"] == "draft"
        store.db["drafts"].update(clean, {"guardrail_flags_json": unchecked["guardrail_flags_json"]})
    message = collector.get("/worklist").text
    assert f"#{stale} is stale (" in message and f"#{clean} was never checked by the guardrails" in message
    assert f'id="bulk-{clean}"' in message  # checked again, it may go


@pytest.mark.parametrize(("row", "expected"), [
    ({"status": "draft", "tier": 1, "guardrail_flags_json": "[]", "stale_at": "2026-11-16T09:00:00+00:00",
      "stale_reason": "paused after planning"}, "is stale (paused after planning); review it on its own"),
    ({"status": "draft", "tier": 1, "guardrail_flags_json": None}, "was never checked by the guardrails; review it on its own"),
    ({"status": "draft", "tier": 1, "guardrail_flags_json": "[]", "stale_at": None}, None),
])  # fmt: skip
def test_bulk_refusal_of_stale_and_unchecked_drafts(row: dict, expected: str | None):
    assert bulk_refusal(row) == expected


def test_a_dispute_credit_marks_the_waiting_reminder_stale_but_not_the_reply(fx: TestClient, fx_settings: Settings):
    # The page once worked out "the balance to chase is now ..." by itself; the credit now marks the draft instead.
    with open_store(fx_settings) as store:
        case = next(store.db.query("select id, customer_id, invoice_numbers_json from disputes where status = 'open' "
                                   "and json_array_length(invoice_numbers_json) = 1 order by id"))  # fmt: skip
        number = loads(case["invoice_numbers_json"])[0]
        reminder = next(r["id"] for r in store.db.query(
            "select d.id from drafts d, json_each(d.invoice_numbers_json) j where d.customer_id = ? and "
            "d.status = 'draft' and j.value = ?", [case["customer_id"], number]))  # fmt: skip
        store.db["drafts"].update(reminder, {"stale_at": None, "stale_reason": None})
    response = _post(fx, f"/disputes/{case['id']}/resolve", {"outcome": "credit_note"}, page=f"/disputes/{case['id']}")
    reply = int(response.headers["location"].rsplit("/", 1)[1])
    listed = _stale_tab(fx)
    assert reminder in listed and reply not in listed
    banner = fx.get(f"/drafts/{reminder}").text.split(STALE_BANNER)[1].split("</div>")[0]
    assert f"dispute #{case['id']} credited {number} after the draft was planned" in banner
    assert STALE_BANNER not in fx.get(f"/drafts/{reply}").text
