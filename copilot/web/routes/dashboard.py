"""The aging dashboard: buckets and chart, DSO, CEI, PTP kept rate, open disputes and alerts."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from copilot import clock
from copilot.web import queries, services
from copilot.web.deps import CurrentUser, PolicyDep, StoreDep
from copilot.web.templating import render

router = APIRouter()


@router.get("/dashboard", name="dashboard")
def dashboard(request: Request, user: CurrentUser, store: StoreDep, policy: PolicyDep) -> Response:
    today = clock.today()
    data = queries.dashboard(store, policy, today)
    figures, current = services.collection_metrics(store, today, policy)
    return render(request, "dashboard.html", {**data, "metrics": figures, "metrics_current": current, "today": today})
