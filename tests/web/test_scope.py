"""Account-team users read only the accounts they own or sit on; collectors and admins read everything.

Dana (account team) owns Northwind Harbor (C-1001), Bellweather (C-1002) and Solstice (C-1006).
Kai is on the team of Northwind Harbor and Quillfeather (C-1003) but owns nothing.
"""

import re

import pytest
from fastapi.testclient import TestClient

from copilot import clock
from copilot.config import Settings
from copilot.web import queries
from copilot.web.scope import EVERYONE, AccountScope
from copilot.web.users import create_user
from tests.web.conftest import open_store, signed_in
from tests.web.seed import PASSWORD

DANA = AccountScope.for_role("account_team", "Dana.Reyes@ourco.example")
DANAS = {"Northwind Harbor Logistics", "Bellweather Foods GmbH", "Solstice Analytics Inc."}
OTHERS = {"Quillfeather Media Group", "Maplecrest Dental Partners", "Tidewater Bike Co.", "Larkspur Yoga Studio",
          "Cedar &amp; Slate Architects", "Pinecone Robotics"}  # fmt: skip


@pytest.fixture
def kai(app, web_settings: Settings) -> TestClient:
    with open_store(web_settings) as store:
        create_user(store, "kai", PASSWORD, "account_team", email="kai.morgan@ourco.example", actor="test")
    with signed_in(app, "kai") as c:
        yield c


def _names(html: str, names: set[str]) -> set[str]:
    return {n for n in names if n in html}


def test_customer_search_lists_only_owned_accounts(account_team: TestClient, collector: TestClient):
    assert _names(account_team.get("/customers").text, DANAS | OTHERS) == DANAS
    assert _names(account_team.get("/customers?q=Tidewater").text, OTHERS) == set()
    assert _names(collector.get("/customers").text, DANAS | OTHERS) == DANAS | OTHERS


def test_team_membership_counts_like_ownership(kai: TestClient):
    page = kai.get("/customers").text
    assert "Northwind Harbor Logistics" in page and "Quillfeather Media Group" in page
    assert "Bellweather Foods GmbH" not in page and "Tidewater Bike Co." not in page
    assert kai.get("/customers/C-1003").status_code == 200
    assert kai.get("/customers/C-1002").status_code == 403


def test_customer_page_of_another_account_is_refused(account_team: TestClient, collector: TestClient):
    assert account_team.get("/customers/C-1001").status_code == 200
    refused = account_team.get("/customers/C-1010")
    assert refused.status_code == 403 and "Tidewater" not in refused.text
    assert account_team.get("/customers/C-9999").status_code == 404
    assert collector.get("/customers/C-1010").status_code == 200


def test_messages_of_other_accounts_and_unmatched_mail_are_refused(account_team: TestClient, collector: TestClient,
                                                                    ids: dict):  # fmt: skip
    assert account_team.get(f"/messages/{ids['frustrated']}").status_code == 200  # Northwind Harbor
    for key in ("hostile_raw", "unmatched"):  # Larkspur Yoga, and a reply matched to no account
        response = account_team.get(f"/messages/{ids[key]}")
        assert response.status_code == 403, key
        assert "onerror" not in response.text and "Larkspur" not in response.text
        assert collector.get(f"/messages/{ids[key]}").status_code == 200


def test_unmatched_queue_and_quarantine_are_empty_in_an_account_scope(web_settings: Settings, account_team: TestClient):
    with open_store(web_settings) as store:
        assert queries.unmatched(store) and queries.quarantined(store)
        assert queries.unmatched(store, scope=DANA) == [] and queries.quarantined(store, scope=DANA) == []
    for path in ("/inbox/unmatched", "/inbox/quarantine"):
        assert account_team.get(path).status_code == 403


def test_disputes_list_shows_only_owned_accounts(account_team: TestClient, collector: TestClient, web_settings: Settings):
    with open_store(web_settings) as store:
        by_customer = {r[0] for r in store.db.execute("select customer_id from disputes")}
    assert "C-1004" in by_customer  # Maplecrest's dispute, not Dana's
    assert "Maplecrest Dental Partners" in collector.get("/disputes?status=all").text
    page = account_team.get("/disputes?status=all").text
    assert _names(page, OTHERS) == set()
    with open_store(web_settings) as store:
        rows = queries.disputes_list(store, clock.now(), "all", DANA)
    assert {r["customer_id"] for r in rows} <= {"C-1001", "C-1002", "C-1006"}


def test_promises_list_shows_only_owned_accounts(account_team: TestClient, collector: TestClient, web_settings: Settings,
                                                 today):  # fmt: skip
    assert "Cedar &amp; Slate Architects" in collector.get("/promises?status=all").text
    assert _names(account_team.get("/promises?status=all").text, OTHERS) == set()
    with open_store(web_settings) as store:
        everyone = queries.promises_list(store, today, "all")
        danas = queries.promises_list(store, today, "all", DANA)
    assert len(danas) < len(everyone)
    assert {r["customer_id"] for r in danas} <= {"C-1001", "C-1002", "C-1006"}


def test_dashboard_counts_and_alerts_cover_only_owned_accounts(account_team: TestClient, collector: TestClient,
                                                               web_settings: Settings, policy, today, ids: dict):  # fmt: skip
    page = account_team.get("/dashboard").text
    assert "/customers/C-1001" in page and "/customers/C-1010" not in page  # Tidewater's bounce alert is not hers
    assert "DSO, days" not in page and "only the accounts you own" in page
    assert "/customers/C-1010" in collector.get("/dashboard").text and "DSO, days" in collector.get("/dashboard").text
    with open_store(web_settings) as store:
        everyone = queries.dashboard(store, policy, today)
        danas = queries.dashboard(store, policy, today, DANA)
        owned_open = store.db.execute("""select count(*) from invoices where customer_id in ('C-1001','C-1002','C-1006')
                                         and status in ('open','partially_paid') and cast(open_balance as real) > 0""").fetchone()[0]  # fmt: skip
    assert sum(b["count"] for b in danas["aging"]) == owned_open < sum(b["count"] for b in everyone["aging"])
    assert {a["customer_id"] for a in danas["alerts"]} <= {"C-1001", "C-1002", "C-1006"}
    assert sum(sum(b.values()) for b in danas["disputes"].values()) < sum(sum(b.values()) for b in everyone["disputes"].values())


def test_drafts_worklist_and_inbox_are_collector_screens(account_team: TestClient, web_settings: Settings, today,
                                                         ids: dict):  # fmt: skip
    for path in ("/worklist", f"/drafts/{ids['draft']}", "/inbox"):
        assert account_team.get(path).status_code == 403, path
    # The queries themselves honour a scope, for any screen that lists them to other roles later.
    with open_store(web_settings) as store:
        drafts = queries.worklist(store, today, scope=DANA)["rows"]
        replies = queries.inbox(store, scope=DANA)["rows"]
        assert queries.worklist(store, today)["rows"] and queries.inbox(store)["rows"]
    assert {r["customer_id"] for r in drafts} <= {"C-1001", "C-1002", "C-1006"}
    assert {r["customer_id"] for r in replies} <= {"C-1001", "C-1002", "C-1006"} and replies


def test_an_account_team_user_without_an_email_sees_no_account(web_settings: Settings):
    nobody = AccountScope.for_role("account_team", None)
    with open_store(web_settings) as store:
        assert queries.customers(store, scope=nobody) == []
        assert not nobody.allows(store, "C-1001")
        assert len(queries.customers(store, scope=EVERYONE)) == 14


@pytest.mark.parametrize("role", ["collector", "admin"])
def test_collectors_and_admins_read_every_account(role: str, web_settings: Settings):
    scope = AccountScope.for_role(role, "someone@ourco.example")
    with open_store(web_settings) as store:
        assert scope.allows(store, "C-1010") and scope.allows(store, None)
        assert len(queries.customers(store, scope=scope)) == 14


def test_scope_matches_emails_without_regard_to_case(web_settings: Settings):
    with open_store(web_settings) as store:
        store.db["customers"].update("C-1004", {"account_team_emails": '["DANA.REYES@OurCo.Example"]'})
        assert DANA.allows(store, "C-1004")
        assert {r["id"] for r in queries.customers(store, scope=DANA)} == {"C-1001", "C-1002", "C-1004", "C-1006"}


def test_admin_sees_the_account_view_of_every_account(admin: TestClient, ids: dict):
    page = admin.get("/account?show=all").text
    assert len(re.findall(r'action="/alerts/\d+/ack"', page)) >= 2
    assert f'action="/alerts/{ids["other_alert"]}/ack"' in page
