"""The structured answer an LLM must give: every free-text field but the evidence quote is a closed set."""

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from copilot.labels import Label

DisputeReason = Literal[
    "amount", "pricing", "tax", "quantity", "cancelled", "not_delivered", "damaged", "duplicate", "wrong_entity", "po", "other"
]  # fmt: skip
RequestKind = Literal["w9", "invoice_copy", "bank_details", "po", "portal", "statement", "contact_change", "other"]


class ClassifyAnswer(BaseModel):
    """Classification of one customer reply to a payment reminder."""

    model_config = ConfigDict(extra="forbid")

    label: Label = Field(description="exactly one of the defined labels")
    frustrated: bool = Field(description="angry or at-risk tone, whatever the label")
    confidence: float = Field(ge=0.0, le=1.0, description="probability that the label is right")
    promise_date: date | None = Field(None, description="first promised payment date, YYYY-MM-DD")
    promise_amount: float | None = Field(None, ge=0, description="promised or paid amount")
    promise_currency: str | None = Field(None, min_length=3, max_length=3, description="ISO 4217 code")
    dispute_reason: DisputeReason | None = None
    request_kind: RequestKind | None = None
    evidence: str | None = Field(None, max_length=400, description="a quote copied exactly from the email")
