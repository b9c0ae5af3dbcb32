"""Daily ledger figures, their reconstruction, the dashboard's reporting-currency totals and chart geometry."""

from datetime import date, timedelta
from decimal import Decimal

from copilot.config import ReportingSettings
from copilot.ledger.daily import ensure_history, read_series, record_day
from copilot.routing.scheduler import tick
from copilot.store import Store
from copilot.web import charts
from copilot.web.trends import Converter, dashboard_figures

DAY = date(2026, 11, 16)
USD_EUR = ReportingSettings(currency="USD", rates={"EUR": Decimal("1.10")}, rates_date=date(2026, 11, 13))


def _ledger() -> Store:
    store = Store.memory()
    db = store.db
    db["customers"].insert_all([{"id": "A", "name": "Alpha", "segment": "mid-market"},
                                {"id": "B", "name": "Beta", "segment": "mid-market"}])  # fmt: skip
    rows = [  # number, customer, issued, due, amount, open, currency, status
        ("I1", "A", "2026-08-01", "2026-09-01", "1000.00", "1000.00", "USD", "open"),  # 76 days overdue
        ("I2", "A", "2026-11-01", "2026-12-01", "500.00", "500.00", "USD", "open"),  # not due
        ("I3", "B", "2026-09-20", "2026-10-20", "2000.00", "0.00", "EUR", "paid"),  # paid on 2026-11-10
        ("I4", "B", "2026-10-01", "2026-11-01", "300.00", "300.00", "GBP", "open"),  # no rate for GBP
    ]
    db["invoices"].insert_all({"number": n, "customer_id": c, "issue_date": i, "due_date": d, "amount": a,
                               "open_balance": o, "currency": cur, "status": s} for n, c, i, d, a, o, cur, s in rows)  # fmt: skip
    db["payments"].insert({"id": "P1", "invoice_number": "I3", "customer_id": "B", "amount": "2000.00", "currency": "EUR",
                           "paid_on": "2026-11-10"})  # fmt: skip
    return store


def test_today_is_recorded_per_currency_and_bucket_with_the_flows():
    store = _ledger()
    assert record_day(store, DAY)
    today = read_series(store, [DAY])[DAY.isoformat()]
    assert today[("USD", "61-90")] == (1, Decimal("1000"))
    assert today[("USD", "not due")] == (1, Decimal("500"))
    assert today[("GBP", "0-30")] == (1, Decimal("300"))
    assert ("EUR", "31-60") not in today  # paid
    assert today[("USD", "invoiced_90d")] == (1, Decimal("500"))  # I1 was issued more than 90 days ago
    assert not record_day(store, DAY, only_if_missing=True)  # tick leaves a recorded day alone


def test_earlier_weeks_are_rebuilt_from_payments():
    store = _ledger()
    record_day(store, DAY)
    week_ago = DAY - timedelta(weeks=1)  # 2026-11-09: I3 was still open then (paid on the 10th), 20 days overdue
    before = read_series(store, [week_ago])[week_ago.isoformat()]
    assert before[("EUR", "0-30")] == (1, Decimal("2000"))
    old = DAY - timedelta(weeks=12)  # 2026-08-24: only I1 had been issued, not yet due
    assert read_series(store, [old])[old.isoformat()] == {("USD", "not due"): (1, Decimal("1000")),
                                                          ("USD", "invoiced_90d"): (1, Decimal("1000"))}  # fmt: skip
    assert ensure_history(store, DAY) == 0  # written once


def test_tick_writes_the_day_once():
    from copilot.config import Settings
    from copilot.policy.model import default_policy

    store = _ledger()
    tick(store, default_policy(), Settings(), DAY)
    assert store.db["ledger_daily"].count_where("day = ?", [DAY.isoformat()]) > 0


def test_totals_are_converted_and_what_has_no_rate_is_named():
    store = _ledger()
    record_day(store, DAY)
    figures = dashboard_figures(store, DAY, USD_EUR)
    assert figures["totals"] == {"open": Decimal("1500"), "overdue": Decimal("1000"), "not_due": Decimal("500")}
    assert figures["not_converted"] == {"GBP": Decimal("300")}
    assert [d["id"] for d in figures["top_debtors"]] == ["A", "B"]
    assert figures["top_debtors"][0]["reporting"] == Decimal("1500")
    cash = {bar["label"]: bar["value"] for bar in figures["cash"]["bars"]}
    assert cash["16 Nov"] == "2.2k"  # EUR 2,000 at 1.10, in the week ending today
    # A week ago the EUR invoice was still open: the aging history shows it, converted.
    week = figures["over_time"]["bars"][-2]
    assert week["label"] == "9 Nov" and {s["key"]: s["value"] for s in week["segments"]}["0-30"] == "2.2k"


def test_the_converter_keeps_unconverted_amounts_aside():
    conv = Converter(USD_EUR)
    assert conv.total({"USD": Decimal("10"), "EUR": Decimal("10"), "CHF": Decimal("5")}) == Decimal("21.0")
    assert dict(conv.missing) == {"CHF": Decimal("5")}


def test_chart_geometry():
    cols = charts.columns([("a", Decimal("50")), ("b", Decimal("100"))])
    assert cols["bars"][1]["h"] == 2 * cols["bars"][0]["h"] and cols["bars"][1]["y"] == charts.TOP
    line = charts.line([("a", 10.0), ("b", None), ("c", 30.0)])
    assert len(line["runs"]) == 2 and line["dots"][1]["y"] is None  # a gap where there is no value
    stack = charts.stacked([("w", {"x": Decimal("1"), "y": Decimal("3")})], ["x", "y"])
    x, y = stack["bars"][0]["segments"]
    assert y["h"] == 3 * x["h"] and y["y"] < x["y"]
    assert charts.short_amount(1_250_000) == "1.2M" and charts.short_amount(950) == "950"


def test_quick_metrics_agree_with_the_full_calculation(web_settings, today):
    from copilot.ledger.metrics import compute_metrics
    from copilot.web.trends import quick_metrics
    from tests.web.conftest import open_store

    with open_store(web_settings) as store:
        full = compute_metrics(store, today, 90)
        quick = quick_metrics(store, today)
    assert quick is not None
    for key in ("dso_days", "cei_percent", "period_start"):
        assert quick[key] == full[key], key
    assert {k: quick["promises"][k] for k in ("kept", "broken", "open", "kept_rate")} == \
        {k: full["promises"][k] for k in ("kept", "broken", "open", "kept_rate")}  # fmt: skip
    assert quick["alerts"] == {k: full["alerts"][k] for k in ("sent", "pending", "failed")}


def test_quick_metrics_need_both_ends_of_the_period():
    from copilot.web.trends import quick_metrics

    store = _ledger()
    assert quick_metrics(store, DAY) is None  # nothing recorded yet
    record_day(store, DAY)
    assert quick_metrics(store, DAY)["dso_days"]["USD"] == "270.0"  # USD 1,500 open over USD 500 invoiced in 90 days
