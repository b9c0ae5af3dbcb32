"""The reply label set and the classification record every part of the product shares."""

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field


class Label(StrEnum):
    ACKNOWLEDGEMENT = "acknowledgement"
    PROMISE_TO_PAY = "promise_to_pay"
    PAID = "paid"
    DISPUTE = "dispute"
    FRUSTRATION = "frustration"
    REQUEST = "request"
    AUTO_REPLY = "auto_reply"
    OTHER = "other"


LABELS: tuple[str, ...] = tuple(label.value for label in Label)

# What routing does with each label; shown in prompts, reports and the UI.
LABEL_ACTIONS: dict[Label, str] = {
    Label.ACKNOWLEDGEMENT: "keep the cadence and log it",
    Label.PROMISE_TO_PAY: "track the promise and pause until it falls due",
    Label.PAID: "pause and check cash application",
    Label.DISPUTE: "pause dunning and open a dispute case",
    Label.FRUSTRATION: "alert the account team",
    Label.REQUEST: "create a task for the collector",
    Label.AUTO_REPLY: "no human action; delay the next touch if out of office",
    Label.OTHER: "send to human review",
}


class Classification(BaseModel):
    """What a classifier says about one reply."""

    model_config = ConfigDict(extra="forbid")

    label: Label
    frustrated: bool = False
    confidence: float = Field(ge=0.0, le=1.0)
    needs_review: bool = False
    promise_date: date | None = None
    promise_amount: Decimal | None = None
    promise_currency: str | None = None
    dispute_reason: str | None = None
    request_kind: str | None = None  # w9 | invoice_copy | bank_details | po | portal | statement | contact_change | other
    return_date: date | None = None  # out-of-office return
    auto_reply_kind: str | None = None  # out_of_office | ticket | scanner | bounce | other
    evidence: str | None = None  # an exact substring of the reply text
    source: str = "local"  # header_gate | local | llm | llm_fallback | keyword | human
    model: str | None = None
    prompt_version: str | None = None

    @property
    def escalate(self) -> bool:
        """Routing escalates on the frustration label or the frustrated flag."""
        return self.label is Label.FRUSTRATION or self.frustrated


class Reply(BaseModel):
    """What a classifier sees of one inbound message."""

    model_config = ConfigDict(extra="forbid")

    subject: str = ""
    text: str  # the new reply text, with quoted history and signature stripped where possible
    full_text: str | None = None  # the whole body as text
    sent_at: date | None = None  # the reply's Date header; relative dates resolve against it
    headers: dict[str, str] = {}
    from_addr: str | None = None


class Classifier(Protocol):
    """Anything that labels a reply. Implementations: keyword baseline, local model, LLM, cascade."""

    name: str

    def classify(self, reply: Reply) -> Classification: ...
