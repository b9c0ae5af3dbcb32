"""Disputes: open cases with their SLA state, owner and due date; resolving one resumes dunning."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from copilot import clock
from copilot.web import queries, services
from copilot.web.deps import Collector, CurrentUser, Scope, StoreDep
from copilot.web.templating import flash, redirect, render

router = APIRouter(prefix="/disputes")


@router.get("", name="disputes")
def disputes(request: Request, user: CurrentUser, store: StoreDep, scope: Scope, status: str = "open") -> Response:
    status = status if status in ("open", "resolved", "all") else "open"
    rows = queries.disputes_list(store, clock.now(), status, scope)
    return render(request, "disputes.html", {"rows": rows, "status": status})


@router.post("/{dispute_id}/resolve")
def resolve(request: Request, dispute_id: int, user: Collector, store: StoreDep,
            resolution: Annotated[str, Form(max_length=1000)] = "") -> Response:  # fmt: skip
    services.resolve_dispute(store, dispute_id, resolution, user)
    flash(request, f"Dispute {dispute_id} resolved; its pauses are lifted.")
    return redirect("/disputes")
