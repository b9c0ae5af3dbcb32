"""Promises to pay: what was promised, by when, and whether it was kept."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from copilot import clock
from copilot.web import queries
from copilot.web.deps import CurrentUser, Scope, StoreDep
from copilot.web.templating import render

router = APIRouter(prefix="/promises")


@router.get("", name="promises")
def promises(request: Request, user: CurrentUser, store: StoreDep, scope: Scope, status: str = "open") -> Response:
    status = status if status in ("open", "kept", "broken", "cancelled", "all") else "open"
    rows = queries.promises_list(store, clock.today(), status, scope)
    return render(request, "promises.html", {"rows": rows, "status": status})
