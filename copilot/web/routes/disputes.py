"""Disputes: open cases with their SLA state, owner, amount at stake and due date; one case to edit and resolve."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from copilot import clock
from copilot.routing.service import OUTCOMES
from copilot.web import casework, context, queries
from copilot.web.deps import Collector, CurrentUser, PolicyDep, Scope, SettingsDep, StoreDep
from copilot.web.templating import flash, redirect, render

router = APIRouter(prefix="/disputes")


@router.get("", name="disputes")
def disputes(request: Request, user: CurrentUser, store: StoreDep, scope: Scope, status: str = "open") -> Response:
    status = status if status in ("open", "resolved", "all") else "open"
    rows = queries.disputes_list(store, clock.now(), status, scope)
    stakes = context.at_stake(store, [r["id"] for r in rows])
    for row in rows:
        row["stake"] = stakes.get(row["id"], {})
    return render(request, "disputes.html", {"rows": rows, "status": status, "outcomes": OUTCOMES})


@router.get("/{dispute_id}", name="dispute")
def detail(request: Request, dispute_id: int, user: CurrentUser, store: StoreDep, scope: Scope) -> Response:
    data = context.dispute_detail(store, dispute_id)
    scope.require(store, data["case"]["customer_id"])
    data["case"]["sla"] = queries.sla_state(data["case"]["sla_due_at"], data["case"]["status"], clock.now())
    return render(request, "dispute.html", {**data, "outcomes": OUTCOMES})


@router.post("/{dispute_id}/edit")
def edit(request: Request, dispute_id: int, user: Collector, store: StoreDep,
         reason: Annotated[str, Form(max_length=500)] = "", owner: Annotated[str, Form(max_length=200)] = "") -> Response:  # fmt: skip
    casework.edit_dispute(store, dispute_id, user, reason, owner)
    flash(request, f"Dispute {dispute_id} updated.")
    return redirect(f"/disputes/{dispute_id}")


@router.post("/{dispute_id}/resolve")
def resolve(request: Request, dispute_id: int, user: Collector, store: StoreDep, policy: PolicyDep,
            settings: SettingsDep, resolution: Annotated[str, Form(max_length=1000)] = "",
            outcome: Annotated[str, Form(max_length=40)] = "", amount: Annotated[str, Form(max_length=40)] = "") -> Response:  # fmt: skip
    if outcome not in OUTCOMES:
        # A resolution without an outcome would resume dunning on the full amount after a credit was agreed.
        flash(request, "Choose how the dispute ends (credit note, partial credit, void, or the invoice stands) to "
                       "resolve it.", "error")  # fmt: skip
        return redirect(f"/disputes/{dispute_id}#resolve-form")
    draft_id = casework.resolve_with_reply(store, dispute_id, user, policy, settings, outcome=outcome, amount=amount,
                                           note=resolution)  # fmt: skip
    what = OUTCOMES[outcome].lower()
    if draft_id:
        flash(request, f"Dispute {dispute_id} resolved ({what}); a reply to the customer is drafted for review.")
        return redirect(f"/drafts/{draft_id}")
    flash(request, f"Dispute {dispute_id} resolved ({what}); no reply was drafted (no contact or no open invoice).")
    return redirect(f"/disputes/{dispute_id}")
