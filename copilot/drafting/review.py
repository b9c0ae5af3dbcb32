"""Review actions on a draft: edit, approve, reject with a reason, regenerate with a tone hint, expire, revive.

Every change is audited in the same transaction. Approval re-runs the guardrails on the
text as it stands, so an edit cannot slip a wrong amount or a premature threat past
them; a person may still approve a flagged draft by giving an override reason.
"""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from langchain_core.language_models.chat_models import BaseChatModel
from rapidfuzz.distance import Levenshtein

from copilot import clock
from copilot.config import Settings, get_settings
from copilot.drafting.facts import DraftFacts
from copilot.drafting.guardrails import check_draft
from copilot.drafting.summary import update_draft
from copilot.errors import CopilotError, InvalidTransition, NotFound
from copilot.policy.model import Policy, default_policy
from copilot.store import Store, dumps

if TYPE_CHECKING:
    from copilot.drafting.sendcheck import Rederived

OPEN_STATUSES: tuple[str, ...] = ("draft", "approved", "sending", "failed")
EDITABLE: tuple[str, ...] = ("draft", "approved", "failed")
TONE_HINTS: tuple[str, ...] = ("warmer", "firmer")
UNKNOWN_DELIVERY = "delivery unknown"


class GuardrailBlocked(CopilotError):
    """The draft's text fails a guardrail and nobody gave a reason to override it."""


def get_draft(store: Store, draft_id: int) -> dict:
    row = next(store.db["drafts"].rows_where("id = ?", [draft_id]), None)
    if row is None:
        raise NotFound(f"no draft with id {draft_id}")
    return row


def draft_facts(row: dict) -> DraftFacts:
    return DraftFacts.model_validate_json(row["facts_json"])


def current_flags(row: dict, policy: Policy) -> list[dict]:
    """Guardrail failures of the draft's text as it stands now."""
    flags = check_draft(row["subject"] or "", row["body"] or "", draft_facts(row), policy.drafting.max_body_chars)
    return [{**f.as_dict(), "source": "current"} for f in flags]


def held_until(row: dict) -> datetime | None:
    """When a draft held for Undo goes out; None when the draft is not waiting out a hold."""
    if row["status"] != "approved" or not row.get("send_after"):
        return None
    return datetime.fromisoformat(row["send_after"])


def normalized_text(text: str | None) -> str:
    """The text with line endings made LF and trailing whitespace dropped from each line and the end.

    A browser's form posts CRLF line endings, and editors strip or add trailing spaces; neither is an edit.
    """
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).rstrip()


def edit_distance(original: str | None, sent: str | None) -> int:
    """Characters inserted, deleted or replaced between the draft as written and the text as sent.

    Line-ending and trailing-whitespace differences do not count (see `normalized_text`).
    """
    return Levenshtein.distance(normalized_text(original), normalized_text(sent))


def _change(store: Store, row: dict, change: dict, user: str, action: str, reason: str | None = None) -> dict:
    change = {**change, "updated_at": clock.now_iso()}
    with store.transaction():
        update_draft(store, row["id"], change)
        before = {k: row.get(k) for k in change if k != "updated_at"}
        store.audit(user, "draft", row["id"], action, reason=reason, before=before,
                    after={k: v for k, v in change.items() if k != "updated_at"}, customer_id=row["customer_id"])  # fmt: skip
    return {**row, **change}


def _require(row: dict, allowed: tuple[str, ...], verb: str, *, unknown_ok: bool = False) -> None:
    if row["status"] not in allowed:
        raise InvalidTransition(f"draft {row['id']} is {row['status']}; only a draft that is "
                                f"{' or '.join(allowed)} can be {verb}")  # fmt: skip
    if row["status"] == "failed" and unknown_delivery(row) and not unknown_ok:
        raise InvalidTransition(f"draft {row['id']} may already have been delivered; check, then retry the send "
                                "with confirmation, or reject it")  # fmt: skip


def unknown_delivery(row: dict) -> bool:
    """True when a send was interrupted after it started, so the mail may or may not have gone out."""
    return (row.get("last_error") or "").startswith(UNKNOWN_DELIVERY)


def edit_draft(store: Store, draft_id: int, user: str, *, subject: str | None = None, body: str | None = None,
               policy: Policy | None = None) -> dict:  # fmt: skip
    """Change the subject and/or body; an approved or failed draft goes back to review."""
    row = get_draft(store, draft_id)
    _require(row, EDITABLE, "edited")
    change: dict = {}
    if subject is not None:
        if not subject.strip():
            raise ValueError("the subject must not be empty")
        change["subject"] = subject.strip()
    if body is not None:
        if not body.strip():
            raise ValueError("the body must not be empty")
        change["body"] = normalized_text(body).strip()
    if all(normalized_text(v) == normalized_text(row.get(k)) for k, v in change.items()):
        return row  # the same text, perhaps with a browser's CRLF line endings: not an edit
    if row.get("original_subject") is None and normalized_text(change.get("subject", row["subject"])) != normalized_text(row["subject"]):
        change["original_subject"] = row["subject"]  # stored before subjects were kept as written: this is the last unedited one
    change["guardrail_flags_json"] = dumps(current_flags({**row, **change}, policy or default_policy()))
    if row["status"] in ("approved", "failed"):  # changed text needs a fresh approval before it goes out
        change |= {"status": "draft", "approved_by": None, "approved_at": None, "send_after": None}
    return _change(store, row, change, user, "edited")


def approve_draft(store: Store, draft_id: int, user: str, *, policy: Policy | None = None,
                  override_reason: str | None = None, send_after: datetime | None = None) -> dict:  # fmt: skip
    """Approve for sending after re-checking the guardrails on the current text.

    `send_after` holds the send until then, so the approval can be undone (`copilot.drafting.hold`).
    """
    row = get_draft(store, draft_id)
    _require(row, ("draft",), "approved")
    if _expired(row, clock.now()):  # refused, not expired here: expiry is `tick`'s and `plan`'s to record
        raise InvalidTransition(f"draft {draft_id} expired at {row['expires_at']}; revive or regenerate it first")
    flags = current_flags(row, policy or default_policy())
    if flags and not (override_reason and override_reason.strip()):
        details = "; ".join(f["detail"] for f in flags)
        raise GuardrailBlocked(f"draft {draft_id} fails the guardrails ({details}); fix it or give an override reason")
    change = {"status": "approved", "approved_by": user, "approved_at": clock.now_iso(),
              "guardrail_flags_json": dumps(flags),
              "send_after": send_after.isoformat(timespec="milliseconds") if send_after else None}  # fmt: skip
    return _change(store, row, change, user, "approved", reason=override_reason if flags else None)


def reject_draft(store: Store, draft_id: int, user: str, reason: str) -> dict:
    """Discard the draft; the reason is kept as feedback."""
    if not reason or not reason.strip():
        raise ValueError("a reason is required to reject a draft")
    row = get_draft(store, draft_id)
    _require(row, EDITABLE, "rejected", unknown_ok=True)
    return _change(store, row, {"status": "rejected", "reject_reason": reason.strip()}, user, "rejected", reason=reason.strip())


def regenerate_draft(
    store: Store,
    draft_id: int,
    user: str,
    tone_hint: str,
    *,
    policy: Policy | None = None,
    settings: Settings | None = None,
    chat_model: BaseChatModel | None = None,
) -> dict:
    """Write the draft again, warmer or firmer, from the account's state today; it returns to review.

    An expired draft may be regenerated too: it comes back with a fresh expiry.
    """
    if tone_hint not in TONE_HINTS:
        raise ValueError(f"tone_hint must be one of {', '.join(TONE_HINTS)} (got {tone_hint!r})")
    policy = policy or default_policy()
    row = get_draft(store, draft_id)
    _require(row, (*EDITABLE, "expired"), "regenerated")
    change = _from_current_state(store, row, policy, settings or get_settings(), tone=tone_hint, chat_model=chat_model)
    change |= {"tone_hint": tone_hint, "status": "draft", "approved_by": None, "approved_at": None,
               "send_after": None}
    if row["status"] == "expired":
        change["expires_at"] = _expiry(policy)
    return _change(store, row, change, user, "regenerated", reason=f"tone: {tone_hint}")


def revive_draft(store: Store, draft_id: int, user: str, *, policy: Policy | None = None,
                 settings: Settings | None = None) -> dict:  # fmt: skip
    """Bring an expired draft back to review with a fresh expiry; rewritten if the account's state moved on."""
    from copilot.drafting.sendcheck import edited, rederive

    policy = policy or default_policy()
    row = get_draft(store, draft_id)
    _require(row, ("expired",), "revived")
    found = rederive(store, row, clock.today(), rewriting=True)
    change: dict = {}
    if found.blocker or not found.keep or found.changed or not edited(row):
        # Written again from today's state: days overdue, balances and holds as they are now.
        change = _from_current_state(store, row, policy, settings or get_settings(), found=found)
    change |= {"status": "draft", "approved_by": None, "approved_at": None, "stale_at": None, "stale_reason": None,
               "expires_at": _expiry(policy)}  # fmt: skip
    return _change(store, row, change, user, "revived", reason="brought back from expired")


def _expiry(policy: Policy) -> str:
    return (clock.now() + timedelta(hours=policy.drafting.expiry_hours)).isoformat(timespec="seconds")


def _from_current_state(store: Store, row: dict, policy: Policy, settings: Settings, *, tone: str | None = None,
                        chat_model: BaseChatModel | None = None, found: "Rederived | None" = None) -> dict:  # fmt: skip
    """The draft's text, facts and recipients written again from the account's state today."""
    from copilot.drafting.sendcheck import rederive, rewrite  # sendcheck builds on this module

    found = found or rederive(store, row, clock.today(), rewriting=True)
    if found.blocker or not found.keep:
        raise InvalidTransition(f"draft {row['id']} has nothing left to say: "
                                f"{found.blocker or 'nothing left to chase: ' + found.reasons()}")  # fmt: skip
    change = rewrite(store, row, found.keep, policy, settings, clock.today(), tone=tone, allow_llm=True,
                     chat_model=chat_model)  # fmt: skip
    note = f"Rewritten from the current state: {found.reasons()}." if found.changed else None
    return {**change, "note": note, "stale_at": None, "stale_reason": None}


def _expired(row: dict, now: datetime) -> bool:
    return bool(row.get("expires_at")) and datetime.fromisoformat(row["expires_at"]) <= now


def expire_drafts(store: Store, actor: str, now: datetime | None = None) -> int:
    """Expire drafts and approvals left unsent past their expiry time; returns how many."""
    now = now or clock.now()
    stale = [r for r in store.db["drafts"].rows_where("status in ('draft', 'approved') and expires_at is not null")
             if _expired(r, now)]  # fmt: skip
    with store.transaction():
        for row in stale:
            _change(store, row, {"status": "expired"}, actor, "expired", reason="past its expiry time")
    return len(stale)
