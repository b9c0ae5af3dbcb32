"""The dashboard: totals in the reporting currency, aging (with 'not due'), trends, top debtors, collector activity."""

from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import Response

from copilot import clock
from copilot.ledger.daily import AGING_BUCKETS
from copilot.web import charts, queries, services, trends
from copilot.web.cache import cached_or_stale
from copilot.web.deps import CurrentUser, PolicyDep, Scope, SettingsDep, StoreDep
from copilot.web.templating import render

router = APIRouter()


@router.get("/dashboard", name="dashboard")
def dashboard(request: Request, user: CurrentUser, store: StoreDep, policy: PolicyDep, settings: SettingsDep,
              scope: Scope) -> Response:  # fmt: skip
    today = clock.today()
    reporting = settings.reporting

    def compute(s) -> dict:
        data = queries.dashboard(s, policy, today, scope)
        by_name = {row["name"]: row for row in data["aging"]}
        currencies = sorted({c for row in data["aging"] for c in row["totals"]})
        data["currency_charts"] = [
            {"currency": cur, "chart": charts.hbars([(b, by_name.get(b, {"totals": {}})["totals"].get(cur, Decimal(0)))
                                                     for b in AGING_BUCKETS])} for cur in currencies]  # fmt: skip
        # Totals, trends, top debtors and activity cover the whole ledger: only for those who see every account.
        data["trends"] = trends.dashboard_figures(s, today, reporting) if scope.everyone else None
        return data

    # Reading the whole ledger costs what it holds; after a change the page shows the previous figures
    # while fresh ones are computed in the background (trends themselves come from the daily table).
    data, current = cached_or_stale(store, ("dashboard", today, reporting.model_dump_json(), id(policy), scope), compute)
    if not scope.everyone:  # the headline figures (DSO, CEI, rates) are company-wide too
        return render(request, "dashboard.html", {**data, "metrics": None, "metrics_current": True, "today": today})
    figures = trends.quick_metrics(store, today)  # from the daily figures: a few rows, whatever the ledger holds
    if figures is None:  # no daily record for today or the period start yet: the full calculation, cached
        figures, fresh = services.collection_metrics(store, today, policy)
        current = current and fresh
    return render(request, "dashboard.html", {**data, "metrics": figures, "metrics_current": current, "today": today})
