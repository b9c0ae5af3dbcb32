"""Customers: search, and one customer's page with its ledger, cases, timeline and pause/resume."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from copilot import clock
from copilot.errors import CopilotError
from copilot.web import casework, context, queries, services
from copilot.web.deps import Collector, CurrentUser, PolicyDep, Scope, StoreDep
from copilot.web.templating import flash, redirect, render

router = APIRouter(prefix="/customers")


@router.get("", name="customers")
def search(request: Request, user: CurrentUser, store: StoreDep, scope: Scope, q: str = "") -> Response:
    return render(request, "customers.html", {"rows": queries.customers(store, q, scope=scope), "q": q})


@router.get("/{customer_id}", name="customer")
def page(request: Request, customer_id: str, user: CurrentUser, store: StoreDep, policy: PolicyDep,
         scope: Scope) -> Response:  # fmt: skip
    context.get_customer(store, customer_id)  # an unknown id is a 404 for everyone
    scope.require(store, customer_id)
    data = context.customer_page(store, customer_id, policy, clock.today())
    return render(request, "customer.html", {**data, "today": clock.today(), "call_outcomes": casework.CALL_OUTCOMES})


@router.post("/{customer_id}/pause")
def pause(request: Request, customer_id: str, user: Collector, store: StoreDep,
          note: Annotated[str, Form(max_length=1000)] = "", invoice_number: Annotated[str, Form()] = "",
          until: Annotated[str, Form()] = "", scope: Annotated[str, Form()] = "dunning") -> Response:  # fmt: skip
    try:
        end = date.fromisoformat(until) if until else None
    except ValueError:
        raise CopilotError(f"{until!r} is not a date (use YYYY-MM-DD)") from None
    services.pause_customer(store, customer_id, note, user, clock.today(), invoice_number=invoice_number or None,
                            until=end, scope=scope)  # fmt: skip
    flash(request, f"Paused {'invoice ' + invoice_number if invoice_number else 'the account'}.")
    return redirect(f"/customers/{customer_id}")


@router.post("/{customer_id}/pauses/{pause_id}/lift")
def resume(request: Request, customer_id: str, pause_id: int, user: Collector, store: StoreDep,
           reason: Annotated[str, Form(max_length=1000)] = "") -> Response:  # fmt: skip
    services.resume_pause(store, customer_id, pause_id, reason, user)
    flash(request, "Pause lifted; dunning resumes on the next plan.")
    return redirect(f"/customers/{customer_id}")


@router.post("/{customer_id}/tasks/{task_id}/done")
def task_done(request: Request, customer_id: str, task_id: int, user: Collector, store: StoreDep) -> Response:
    services.complete_task(store, customer_id, task_id, user)
    flash(request, f"Task {task_id} done.")
    return redirect(f"/customers/{customer_id}")


@router.get("/{customer_id}/audit", name="customer_audit")
def audit(request: Request, customer_id: str, user: CurrentUser, store: StoreDep, scope: Scope) -> Response:
    scope.require(store, customer_id)
    return render(request, "customer_audit.html", context.customer_audit(store, customer_id))


@router.post("/{customer_id}/notes")
def add_note(request: Request, customer_id: str, user: Collector, store: StoreDep,
             kind: Annotated[str, Form(max_length=10)] = "note", body: Annotated[str, Form(max_length=4000)] = "",
             contact: Annotated[str, Form(max_length=200)] = "", outcome: Annotated[str, Form(max_length=40)] = "") -> Response:  # fmt: skip
    casework.add_note(store, customer_id, user, kind, body, contact, outcome)
    flash(request, "Call logged." if kind == "call" else "Note added.")
    return redirect(f"/customers/{customer_id}#timeline-h")
