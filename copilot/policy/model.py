"""The collections policy file: tiers, cadence, segments, caps, routing and drafting knobs.

Finance edits it as TOML (or YAML); this module loads it into a strict model and
refuses a bad file with a message that names the field. The decisions taken
from it live in `copilot.policy.cadence` (pure functions).
"""

import tomllib
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from copilot.errors import PolicyError
from copilot.resources import default_policy_path

Segment = Literal["strategic", "mid-market", "long-tail"]
SEGMENTS: tuple[str, ...] = ("strategic", "mid-market", "long-tail")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TierRule(_Strict):
    tier: int = Field(ge=1, le=4)
    name: str
    min_days: int = Field(ge=1)
    max_days: int | None = None
    touch_days: list[int]
    repeat_every_days: int | None = Field(None, ge=1)
    cc_account_owner: bool = False
    action: str

    @model_validator(mode="after")
    def _days_inside_tier(self) -> "TierRule":
        if self.max_days is not None and self.max_days < self.min_days:
            raise ValueError(f"tier {self.tier}: max_days is below min_days")
        return self


class SegmentRule(_Strict):
    involve_account_team_from_tier: int = Field(4, ge=1, le=5)
    touch_days: dict[int, list[int]] = {}
    auto_send_tiers: list[int] = []

    @field_validator("auto_send_tiers")
    @classmethod
    def _only_tier_one(cls, tiers: list[int]) -> list[int]:
        if any(t != 1 for t in tiers):
            raise ValueError("automatic sending is only allowed for tier 1")
        return tiers


class SegmentThresholds(_Strict):
    strategic_min_arr: Decimal = Decimal("100000")
    mid_market_min_arr: Decimal = Decimal("20000")


class PreDue(_Strict):
    segments: list[Segment] = []
    days_before: list[int] = [3]


class Caps(_Strict):
    per_contact_per_day: int = Field(1, ge=0)
    per_account_per_week: int = Field(2, ge=0)
    quiet_weekdays: list[str] = ["saturday", "sunday"]
    quiet_dates: list[date] = []

    @field_validator("quiet_weekdays")
    @classmethod
    def _weekday_names(cls, names: list[str]) -> list[str]:
        lowered = [n.strip().lower() for n in names]
        bad = [n for n in lowered if n not in WEEKDAYS]
        if bad:
            raise ValueError(f"unknown weekday {bad[0]!r} (use monday … sunday)")
        return lowered


class RoutingPolicy(_Strict):
    dispute_sla_days: int = Field(5, ge=0)
    dispute_pauses_account_when_unmatched: bool = True
    promise_default_days: int = Field(7, ge=0)
    promise_grace_days: int = Field(3, ge=0)
    paid_window_days: int = Field(7, ge=0)
    request_pauses_invoices: bool = True
    frustration_pauses_auto_send: bool = True
    alert_dedupe_hours: int = Field(24, ge=0)
    review_below_confidence: float = Field(0.45, ge=0, le=1)
    out_of_office_snooze: bool = True
    out_of_office_max_days: int = Field(30, ge=1)
    bounce_alerts_collector: bool = True
    task_due_days: int = Field(2, ge=0)


class DraftingPolicy(_Strict):
    expiry_hours: int = Field(72, ge=1)
    max_body_chars: int = Field(3000, ge=200)
    suspension_notice_days: int = Field(10, ge=1)
    payment_plan_from_tier: int = Field(3, ge=1, le=4)
    pay_by_days: int = Field(7, ge=1)  # the clear date a Tier 3 note asks for


class Policy(_Strict):
    version: int = 1
    segments: SegmentThresholds = SegmentThresholds()
    tiers: list[TierRule]
    segment: dict[Segment, SegmentRule] = {}
    pre_due: PreDue = PreDue()
    caps: Caps = Caps()
    routing: RoutingPolicy = RoutingPolicy()
    drafting: DraftingPolicy = DraftingPolicy()

    @model_validator(mode="after")
    def _tiers_cover_every_day(self) -> "Policy":
        ordered = sorted(self.tiers, key=lambda t: t.tier)
        if [t.tier for t in ordered] != [1, 2, 3, 4]:
            raise ValueError("tiers must define tier 1, 2, 3 and 4 exactly once")
        if ordered[0].min_days != 1:
            raise ValueError("tier 1 must start at day 1")
        for prev, nxt in zip(ordered, ordered[1:]):
            if prev.max_days is None or nxt.min_days != prev.max_days + 1:
                raise ValueError(f"tier {nxt.tier} must start the day after tier {prev.tier} ends")
        if ordered[-1].max_days is not None:
            raise ValueError("tier 4 must be open-ended (no max_days)")
        return self

    def tier_rule(self, tier: int) -> TierRule:
        return next(t for t in self.tiers if t.tier == tier)

    def segment_rule(self, segment: str) -> SegmentRule:
        return self.segment.get(segment, SegmentRule())  # type: ignore[call-overload]


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "the file"
    message = first.get("msg", "is invalid").removeprefix("Value error, ")
    if first.get("type") == "extra_forbidden":
        message = "is not a known policy field"
    return f"{where}: {message}"


def parse_policy(data: dict, source: str = "policy") -> Policy:
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(f"Policy file {source} is invalid: {_describe(exc)}.") from None


def load_policy(path: Path | str | None = None) -> Policy:
    """Load the policy file at `path`, or the shipped default."""
    path = Path(path) if path else default_policy_path()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyError(f"Policy file {path} cannot be read: {exc.strerror or exc}.") from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            data = yaml.safe_load(raw.decode("utf-8")) or {}
        else:
            data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise PolicyError(f"Policy file {path} is not valid {path.suffix.lstrip('.') or 'TOML'}: {exc}.") from None
    if not isinstance(data, dict):
        raise PolicyError(f"Policy file {path} must hold a table of settings.")
    return parse_policy(data, str(path))


@lru_cache
def default_policy() -> Policy:
    return load_policy(None)
