"""The aging dashboard: buckets and chart, DSO, CEI, PTP kept rate, open disputes and alerts."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from copilot import clock
from copilot.web import queries, services
from copilot.web.deps import CurrentUser, PolicyDep, Scope, StoreDep
from copilot.web.templating import render

router = APIRouter()


@router.get("/dashboard", name="dashboard")
def dashboard(request: Request, user: CurrentUser, store: StoreDep, policy: PolicyDep, scope: Scope) -> Response:
    today = clock.today()
    data = queries.dashboard(store, policy, today, scope)
    # The headline figures (DSO, CEI, rates) are computed over the whole ledger, so only those who see every account get them.
    figures, current = services.collection_metrics(store, today, policy) if scope.everyone else (None, True)
    return render(request, "dashboard.html", {**data, "metrics": figures, "metrics_current": current, "today": today})
