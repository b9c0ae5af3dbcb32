"""Table tests for the pure routing decision."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from copilot.labels import Classification, Label
from copilot.policy.model import Policy, default_policy
from copilot.routing.actions import (
    Action,
    CancelPromise,
    CreateTask,
    FlagAccount,
    LogNote,
    MarkContact,
    OpenDispute,
    Pause,
    RaiseAlert,
    RecordPromise,
    SetMessageStatus,
    SuppressAlert,
)
from copilot.routing.decide import decide
from copilot.routing.state import (
    AccountState,
    AlertFact,
    CustomerFacts,
    DisputeFact,
    InvoiceFact,
    MessageFacts,
    PauseFact,
    PromiseFact,
)

AS_OF = date(2026, 11, 16)
OWNER, TEAM, COLLECTOR, DISPUTES = (
    "owner@ourco.example",
    "am@ourco.example",
    "ar@ourco.example",
    "billing@ourco.example",
)


def _invoice(number: str, due: date) -> InvoiceFact:
    return InvoiceFact(number, due, Decimal("100.00"), Decimal("100.00"), "USD", (AS_OF - due).days)


def make_state(
    invoices: tuple[str, ...] = (),
    *,
    owner: str | None = OWNER,
    team: tuple[str, ...] = (TEAM,),
    customer: bool = True,
    bounced: tuple[str, ...] = (),
    header_kind: str | None = None,
    disputes: tuple[DisputeFact, ...] = (),
    pauses: tuple[PauseFact, ...] = (),
    alerts: tuple[AlertFact, ...] = (),
    promises: tuple[PromiseFact, ...] = (),
    contacts: dict[str, str] | None = None,
) -> AccountState:
    facts = CustomerFacts(
        "C-1",
        "Acme",
        "mid-market",
        Decimal("50000"),
        owner,
        team,
        (_invoice("INV-1", date(2026, 10, 27)), _invoice("INV-2", date(2026, 10, 7))),
    )
    message = MessageFacts(7, "ap@acme.example", "Re: reminder", "text", None, invoices, bounced, header_kind)
    return AccountState(
        as_of=AS_OF,
        message=message,
        customer=facts if customer else None,
        open_disputes=disputes,
        open_promises=promises,
        pauses=pauses,
        recent_alerts=alerts,
        contacts=contacts if contacts is not None else {"ap@acme.example": "ok"},
        dispute_owner_email=DISPUTES,
        collector_email=COLLECTOR,
    )


def summary(action: Action) -> str:
    match action:
        case OpenDispute():
            return f"dispute:{','.join(action.invoice_numbers) or 'account'}:{action.owner_email}:{action.sla_due}"
        case Pause():
            return f"pause:{action.reason}:{action.invoice_number or 'account'}:{action.scope}:{action.until or '-'}"
        case RecordPromise():
            given = "given" if action.date_was_given else "default"
            covered = ",".join(action.invoice_numbers) or "account"
            return f"promise:{action.promised_date}:{given}:{action.grace_until}:{covered}"
        case CancelPromise():
            return f"cancel-promise:{action.promise_id}"
        case CreateTask():
            return f"task:{action.kind}"
        case RaiseAlert():
            return f"alert:{action.kind}:{'|'.join(action.recipients)}"
        case SuppressAlert():
            return f"suppress:{action.kind}:{action.existing_alert_id}"
        case MarkContact():
            return f"contact:{action.email}:{action.status}"
        case FlagAccount():
            return "flag"
        case LogNote():
            return "note"
        case SetMessageStatus():
            return f"status:{action.status}"
    raise AssertionError(action)


def routing(**changes) -> Policy:
    base = default_policy()
    return base.model_copy(update={"routing": base.routing.model_copy(update=changes)})


ALERT = f"alert:frustration:{OWNER}|{TEAM}"
AUTO_SEND = "pause:frustration:account:auto_send:-"
FRUSTRATION_PAUSE = PauseFact(3, "frustration", "auto_send", None, None)
ROUTED, REVIEW = "status:routed", "status:needs_review"
OOO = "out_of_office"

CASES = [
    # id, classification fields, state, policy, expected
    (
        "dispute-one-invoice",
        dict(label="dispute", dispute_reason="wrong_quantity"),
        make_state(("INV-1",)),
        None,
        [f"dispute:INV-1:{DISPUTES}:2026-11-21", "pause:dispute:INV-1:dunning:-", ROUTED],
    ),
    (
        "dispute-two-invoices",
        dict(label="dispute"),
        make_state(("INV-2", "INV-1")),
        None,
        [
            f"dispute:INV-1,INV-2:{DISPUTES}:2026-11-21",
            "pause:dispute:INV-1:dunning:-",
            "pause:dispute:INV-2:dunning:-",
            ROUTED,
        ],
    ),
    (
        "dispute-unmatched-pauses-account-and-flags",
        dict(label="dispute"),
        make_state(),
        None,
        [f"dispute:account:{DISPUTES}:2026-11-21", "pause:dispute:account:dunning:-", "flag", ROUTED],
    ),
    (
        "dispute-unmatched-no-account-pause",
        dict(label="dispute"),
        make_state(),
        routing(dispute_pauses_account_when_unmatched=False),
        [f"dispute:account:{DISPUTES}:2026-11-21", "flag", ROUTED],
    ),
    (
        "dispute-on-closed-invoice-is-account-wide",
        dict(label="dispute"),
        make_state(("INV-9",)),
        None,
        [f"dispute:account:{DISPUTES}:2026-11-21", "pause:dispute:account:dunning:-", "flag", ROUTED],
    ),
    (
        "dispute-sla-from-policy",
        dict(label="dispute"),
        make_state(("INV-1",)),
        routing(dispute_sla_days=10),
        [f"dispute:INV-1:{DISPUTES}:2026-11-26", "pause:dispute:INV-1:dunning:-", ROUTED],
    ),
    (
        "dispute-already-open",
        dict(label="dispute"),
        make_state(("INV-1",), disputes=(DisputeFact(4, "x", ("INV-1",), False),)),
        None,
        ["note", ROUTED],
    ),
    (
        "dispute-cancels-promise-on-the-same-invoice",
        dict(label="dispute"),
        make_state(("INV-1",), promises=(PromiseFact(8, AS_OF, ("INV-1",)), PromiseFact(9, AS_OF, ("INV-2",)))),
        None,
        [f"dispute:INV-1:{DISPUTES}:2026-11-21", "cancel-promise:8", "pause:dispute:INV-1:dunning:-", ROUTED],
    ),
    (
        "dispute-frustrated",
        dict(label="dispute", frustrated=True),
        make_state(("INV-1",)),
        None,
        [f"dispute:INV-1:{DISPUTES}:2026-11-21", "pause:dispute:INV-1:dunning:-", ALERT, AUTO_SEND, ROUTED],
    ),
    ("frustration", dict(label="frustration", frustrated=True), make_state(), None, [ALERT, AUTO_SEND, ROUTED]),
    (
        "frustration-deduped",
        dict(label="frustration"),
        make_state(alerts=(AlertFact(11, "frustration", "2026-11-16T08:00:00"),)),
        None,
        ["suppress:frustration:11", AUTO_SEND, ROUTED],
    ),
    (
        "frustration-bounce-alert-does-not-dedupe",
        dict(label="frustration"),
        make_state(alerts=(AlertFact(12, "bounce", "2026-11-16T08:00:00"),)),
        None,
        [ALERT, AUTO_SEND, ROUTED],
    ),
    (
        "frustration-already-held",
        dict(label="frustration"),
        make_state(pauses=(FRUSTRATION_PAUSE,)),
        None,
        [ALERT, ROUTED],
    ),
    (
        "frustration-no-owner-goes-to-collector",
        dict(label="frustration"),
        make_state(owner=None, team=()),
        None,
        [f"alert:frustration:{COLLECTOR}", AUTO_SEND, ROUTED],
    ),
    (
        "frustration-owner-also-in-team",
        dict(label="frustration"),
        make_state(team=(OWNER.upper(), TEAM)),
        None,
        [ALERT, AUTO_SEND, ROUTED],
    ),
    (
        "frustration-without-hold",
        dict(label="frustration"),
        make_state(),
        routing(frustration_pauses_auto_send=False),
        [ALERT, ROUTED],
    ),
    (
        "promise-with-date",
        dict(label="promise_to_pay", promise_date=date(2026, 11, 20)),
        make_state(("INV-1",)),
        None,
        ["promise:2026-11-20:given:2026-11-23:INV-1", "pause:promise:INV-1:dunning:2026-11-23", ROUTED],
    ),
    (
        "promise-default-date-account",
        dict(label="promise_to_pay"),
        make_state(),
        None,
        ["promise:2026-11-23:default:2026-11-26:account", "pause:promise:account:dunning:2026-11-26", ROUTED],
    ),
    (
        "promise-policy-days",
        dict(label="promise_to_pay"),
        make_state(("INV-2",)),
        routing(promise_default_days=14, promise_grace_days=0),
        ["promise:2026-11-30:default:2026-11-30:INV-2", "pause:promise:INV-2:dunning:2026-11-30", ROUTED],
    ),
    (
        "promise-long-past",
        dict(label="promise_to_pay", promise_date=date(2026, 11, 1)),
        make_state(("INV-1",)),
        None,
        ["promise:2026-11-01:given:2026-11-04:INV-1", "note", ROUTED],
    ),
    (
        "promise-replaces-older-on-same-invoice",
        dict(label="promise_to_pay", promise_date=date(2026, 11, 20)),
        make_state(
            ("INV-1",), promises=(PromiseFact(8, date(2026, 11, 18), ("INV-1",)), PromiseFact(9, AS_OF, ("INV-2",)))
        ),
        None,
        [
            "cancel-promise:8",
            "promise:2026-11-20:given:2026-11-23:INV-1",
            "pause:promise:INV-1:dunning:2026-11-23",
            ROUTED,
        ],
    ),
    (
        "promise-account-wide-replaces-all",
        dict(label="promise_to_pay", promise_date=date(2026, 11, 20)),
        make_state(promises=(PromiseFact(8, date(2026, 11, 18), ("INV-1",)), PromiseFact(9, AS_OF, ()))),
        None,
        [
            "cancel-promise:8",
            "cancel-promise:9",
            "promise:2026-11-20:given:2026-11-23:account",
            "pause:promise:account:dunning:2026-11-23",
            ROUTED,
        ],
    ),
    ("paid-invoice", dict(label="paid"), make_state(("INV-1",)), None, ["pause:paid:INV-1:dunning:2026-11-23", ROUTED]),
    (
        "paid-account",
        dict(label="paid"),
        make_state(),
        routing(paid_window_days=3),
        ["pause:paid:account:dunning:2026-11-19", ROUTED],
    ),
    ("paid-already-in-ledger", dict(label="paid"), make_state(("INV-9",)), None, ["note", ROUTED]),
    (
        "request-w9",
        dict(label="request", request_kind="w9"),
        make_state(("INV-1",)),
        None,
        ["task:w9", "pause:request:INV-1:dunning:-", ROUTED],
    ),
    ("request-unknown-kind", dict(label="request", request_kind="fax"), make_state(), None, ["task:other", ROUTED]),
    (
        "request-no-pause",
        dict(label="request", request_kind="po"),
        make_state(("INV-1",)),
        routing(request_pauses_invoices=False),
        ["task:po", ROUTED],
    ),
    ("acknowledgement", dict(label="acknowledgement"), make_state(("INV-1",)), None, ["note", ROUTED]),
    (
        "ooo-snooze",
        dict(label="auto_reply", auto_reply_kind=OOO, return_date=date(2026, 11, 23)),
        make_state(),
        None,
        ["pause:snooze:account:dunning:2026-11-22", ROUTED],
    ),
    (
        "ooo-capped",
        dict(label="auto_reply", auto_reply_kind=OOO, return_date=date(2027, 3, 1)),
        make_state(),
        None,
        ["pause:snooze:account:dunning:2026-12-16", ROUTED],
    ),
    ("ooo-no-date", dict(label="auto_reply", auto_reply_kind=OOO), make_state(), None, ["note", ROUTED]),
    (
        "ooo-date-past",
        dict(label="auto_reply", auto_reply_kind=OOO, return_date=date(2026, 11, 10)),
        make_state(),
        None,
        ["note", ROUTED],
    ),
    (
        "ooo-snooze-off",
        dict(label="auto_reply", auto_reply_kind=OOO, return_date=date(2026, 11, 23)),
        make_state(),
        routing(out_of_office_snooze=False),
        ["note", ROUTED],
    ),
    ("ticket", dict(label="auto_reply", auto_reply_kind="ticket"), make_state(("INV-1",)), None, ["note", ROUTED]),
    (
        "bounce-known-contact",
        dict(label="auto_reply", auto_reply_kind="bounce"),
        make_state(bounced=("books@acme.example",), contacts={"books@acme.example": "ok"}),
        None,
        ["contact:books@acme.example:bouncing", "task:bad_contact", f"alert:bounce:{COLLECTOR}", ROUTED],
    ),
    (
        "bounce-kind-from-header",
        dict(label="auto_reply"),
        make_state(bounced=("books@acme.example",), header_kind="bounce", contacts={"books@acme.example": "ok"}),
        None,
        ["contact:books@acme.example:bouncing", "task:bad_contact", f"alert:bounce:{COLLECTOR}", ROUTED],
    ),
    (
        "bounce-unknown-address",
        dict(label="auto_reply", auto_reply_kind="bounce"),
        make_state(bounced=("x@else.example",)),
        None,
        ["task:bad_contact", f"alert:bounce:{COLLECTOR}", ROUTED],
    ),
    (
        "bounce-already-bouncing",
        dict(label="auto_reply", auto_reply_kind="bounce"),
        make_state(bounced=("books@acme.example",), contacts={"books@acme.example": "bouncing"}),
        None,
        ["task:bad_contact", f"alert:bounce:{COLLECTOR}", ROUTED],
    ),
    (
        "bounce-deduped-no-alert",
        dict(label="auto_reply", auto_reply_kind="bounce"),
        make_state(alerts=(AlertFact(5, "bounce", "2026-11-16T01:00:00"),)),
        routing(bounce_alerts_collector=True),
        ["task:bad_contact", "suppress:bounce:5", ROUTED],
    ),
    (
        "bounce-alerts-off",
        dict(label="auto_reply", auto_reply_kind="bounce"),
        make_state(),
        routing(bounce_alerts_collector=False),
        ["task:bad_contact", ROUTED],
    ),
    ("other", dict(label="other"), make_state(("INV-1",)), None, [REVIEW]),
    (
        "other-frustrated-still-alerts",
        dict(label="other", frustrated=True),
        make_state(),
        None,
        [REVIEW, ALERT, AUTO_SEND],
    ),
    ("low-confidence", dict(label="dispute", confidence=0.30), make_state(("INV-1",)), None, [REVIEW]),
    ("low-confidence-frustrated", dict(label="frustration", confidence=0.2), make_state(), None, [REVIEW]),
    ("at-threshold-routes", dict(label="acknowledgement", confidence=0.45), make_state(), None, ["note", ROUTED]),
    (
        "threshold-from-policy",
        dict(label="acknowledgement", confidence=0.6),
        make_state(),
        routing(review_below_confidence=0.7),
        [REVIEW],
    ),
    ("classifier-asked-review", dict(label="paid", needs_review=True), make_state(("INV-1",)), None, [REVIEW]),
    ("no-customer", dict(label="dispute"), make_state(customer=False), None, ["status:unmatched"]),
]


@pytest.mark.parametrize("fields,state,policy,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_decide(fields: dict, state: AccountState, policy: Policy | None, expected: list[str]) -> None:
    fields = {"confidence": 0.9, **fields}
    actions = decide(Classification(**fields), state, policy or default_policy())
    assert [summary(a) for a in actions] == expected


def test_every_label_has_rows() -> None:
    assert {c[1]["label"] for c in CASES} == {label.value for label in Label}


def test_decide_does_not_change_its_inputs() -> None:
    state = make_state(("INV-1",))
    before = replace(state)
    decide(Classification(label="dispute", frustrated=True, confidence=0.9), state, default_policy())
    assert state == before


def test_request_task_names_what_was_asked() -> None:
    actions = decide(
        Classification(label="request", request_kind="bank_details", confidence=0.9),
        make_state(("INV-2",)),
        default_policy(),
    )
    task = next(a for a in actions if isinstance(a, CreateTask))
    assert "bank details" in task.description and "INV-2" in task.description and task.due_date == date(2026, 11, 18)


@pytest.mark.parametrize("label", list(Label))
@pytest.mark.parametrize("frustrated", [False, True])
@pytest.mark.parametrize("confidence", [0.1, 0.45, 0.99])
@pytest.mark.parametrize("invoices", [(), ("INV-1",), ("INV-9",)])
def test_every_decision_ends_with_one_message_status(label, frustrated, confidence, invoices) -> None:
    c = Classification(label=label, frustrated=frustrated, confidence=confidence)
    actions = decide(c, make_state(invoices), default_policy())
    statuses = [a for a in actions if isinstance(a, SetMessageStatus)]
    assert len(statuses) == 1
    assert statuses[0].status == ("needs_review" if confidence < 0.45 or label is Label.OTHER else "routed")
    assert any(isinstance(a, RaiseAlert) for a in actions) == (
        confidence >= 0.45 and (frustrated or label is Label.FRUSTRATION)
    )
