"""The account-team view: alerts on the accounts a person owns or supports, and acknowledging them."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from copilot.web import queries, services
from copilot.web.deps import AccountTeam, Forbidden, Scope, StoreDep
from copilot.web.templating import flash, redirect, render

router = APIRouter()


@router.get("/account", name="account")
def alerts(request: Request, user: AccountTeam, store: StoreDep, scope: Scope, show: str = "open") -> Response:
    show = "all" if show == "all" else "open"
    rows = queries.account_alerts(store, scope, show=show)
    return render(request, "account.html", {"rows": rows, "show": show})


@router.post("/alerts/{alert_id}/ack")
def acknowledge(request: Request, alert_id: int, user: AccountTeam, store: StoreDep, scope: Scope) -> Response:
    mine = queries.account_alerts(store, scope, show="all")
    if not any(a["id"] == alert_id for a in mine):
        raise Forbidden("this alert is not on one of your accounts")
    services.acknowledge_alert(store, alert_id, user)
    flash(request, f"Alert {alert_id} acknowledged.")
    return redirect("/account")
