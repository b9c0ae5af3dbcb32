"""Tier, cadence and cap decisions as pure functions of facts and the policy. No I/O here."""

from datetime import date, timedelta
from decimal import Decimal

from copilot.policy.model import SEGMENTS, WEEKDAYS, Policy

BUCKETS: tuple[str, ...] = ("0-30", "31-60", "61-90", "90+")
NOT_DUE = "not due"


def days_past_due(due_date: date, as_of: date) -> int:
    """Positive once the due date has passed; zero or negative before."""
    return (as_of - due_date).days


def tier_for(days: int, policy: Policy) -> int:
    """Aging tier 1–4 for days past due; 0 when the invoice is not yet overdue."""
    if days < 1:
        return 0
    for rule in sorted(policy.tiers, key=lambda t: t.tier):
        if rule.max_days is None or days <= rule.max_days:
            return rule.tier
    return 4


def bucket_for(days: int) -> str:
    """Aging bucket label. Invoices not yet due are reported apart from the four buckets."""
    if days < 1:
        return NOT_DUE
    if days <= 30:
        return "0-30"
    if days <= 60:
        return "31-60"
    if days <= 90:
        return "61-90"
    return "90+"


def segment_for(segment: str | None, arr: Decimal | None, policy: Policy) -> str:
    """Normalise a segment name, or derive it from ARR when none is given."""
    if segment:
        key = segment.strip().lower().replace("_", "-").replace(" ", "-")
        if key == "midmarket":
            key = "mid-market"
        if key == "longtail":
            key = "long-tail"
        if key not in SEGMENTS:
            raise ValueError(f"unknown segment {segment!r} (expected strategic, mid-market or long-tail)")
        return key
    if arr is None:
        raise ValueError("either segment or arr is required")
    if arr >= policy.segments.strategic_min_arr:
        return "strategic"
    if arr >= policy.segments.mid_market_min_arr:
        return "mid-market"
    return "long-tail"


def touch_days(tier: int, segment: str, policy: Policy) -> list[int]:
    """The configured touch days for a tier, after the segment's override."""
    override = policy.segment_rule(segment).touch_days.get(tier)
    return sorted(override if override is not None else policy.tier_rule(tier).touch_days)


def _schedule_up_to(days: int, segment: str, policy: Policy) -> list[int]:
    scheduled: list[int] = []
    for tier in (1, 2, 3, 4):
        scheduled.extend(touch_days(tier, segment, policy))
    final = policy.tier_rule(4)
    if final.repeat_every_days and scheduled:
        nxt = max(scheduled) + final.repeat_every_days
        while nxt <= days:
            scheduled.append(nxt)
            nxt += final.repeat_every_days
    return sorted(d for d in scheduled if d <= days)


def scheduled_touch(days: int, last_touch_days: int | None, segment: str, policy: Policy) -> int | None:
    """The touch day that falls due today, or None.

    A touch is due when a scheduled day has been reached since the last touch, so
    a touch that fell on a quiet day or past a cap goes out on the next allowed day.
    `last_touch_days` is the invoice's days past due when the customer was last touched.
    """
    if days < 1:
        return None
    reached = [d for d in _schedule_up_to(days, segment, policy) if last_touch_days is None or d > last_touch_days]
    return reached[-1] if reached else None


def pre_due_touch(days: int, last_touch_days: int | None, segment: str, risky: bool, policy: Policy) -> int | None:
    """A courtesy note before the due date for risky customers or flagged segments."""
    if days >= 1 or not (risky or segment in policy.pre_due.segments):
        return None
    before = -days
    due = [b for b in policy.pre_due.days_before if before <= b and (last_touch_days is None or -b > last_touch_days)]
    return -min(due) if due else None


def is_quiet_day(day: date, policy: Policy) -> bool:
    return WEEKDAYS[day.weekday()] in policy.caps.quiet_weekdays or day in policy.caps.quiet_dates


def week_start(day: date) -> date:
    """Monday of the week holding `day`; the weekly cap counts from here."""
    return day - timedelta(days=day.weekday())


def within_caps(contact_touches_today: int, account_touches_this_week: int, policy: Policy) -> bool:
    return (
        contact_touches_today < policy.caps.per_contact_per_day
        and account_touches_this_week < policy.caps.per_account_per_week
    )


def cc_account_owner(tier: int, policy: Policy) -> bool:
    return tier >= 1 and policy.tier_rule(tier).cc_account_owner


def involves_account_team(tier: int, segment: str, policy: Policy) -> bool:
    return tier >= policy.segment_rule(segment).involve_account_team_from_tier


def auto_send_allowed(tier: int, segment: str, policy: Policy) -> bool:
    """Only Tier 1, and only where the segment allows it; every other send needs a person."""
    return tier == 1 and 1 in policy.segment_rule(segment).auto_send_tiers


def bucket_action(bucket: str, policy: Policy) -> str:
    """What the collector should do for a bucket (taken from the tier it maps to)."""
    tier = {"0-30": 1, "31-60": 2, "61-90": 3, "90+": 4}.get(bucket)
    return policy.tier_rule(tier).action if tier else "No action; not yet due"
