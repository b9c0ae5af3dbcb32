"""Payment plans where promises are shown: the promises list and the customer page."""

from datetime import date

from fastapi.testclient import TestClient

from copilot.classify.classifications import save_classification
from copilot.config import Settings
from copilot.labels import Classification
from copilot.policy.model import default_policy
from copilot.routing import route_message
from tests.web.conftest import open_store
from tests.web.seed import add_message


def test_instalments_show_their_plan(collector: TestClient, web_settings: Settings):
    with open_store(web_settings) as store:
        mid = add_message(store, "C-1001", "Re: INV-2026-0357", "We can pay USD 10,000 on 1 December and the rest on 15 January.",
                          from_addr="ap@northwindharbor.example", n=40, invoices=["INV-2026-0357"], status="classified")  # fmt: skip
        save_classification(store, mid, Classification(label="promise_to_pay", confidence=0.9, source="local",
                                                       promise_date=date(2026, 12, 1)), "triage")  # fmt: skip
        route_message(store, mid, default_policy(), web_settings)
        plan_id = next(store.db["payment_plans"].rows_where("message_id = ?", [mid]))["id"]
    page = collector.get("/promises").text
    assert f"instalment 1 of 2, plan #{plan_id} (open)" in page and f"instalment 2 of 2, plan #{plan_id} (open)" in page
    assert "2027-01-15" in page and "14,750.00" in page
    customer = collector.get("/customers/C-1001").text
    assert f"instalment 2 of plan #{plan_id}" in customer
