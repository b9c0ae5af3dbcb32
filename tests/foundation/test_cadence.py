"""Tier, cadence, caps and quiet days as tables."""

import tomllib
from datetime import date

import pytest

from copilot.policy import cadence
from copilot.policy.model import parse_policy
from copilot.resources import default_policy_path


@pytest.mark.parametrize(
    ("days", "tier", "bucket"),
    [
        (-10, 0, "not due"),
        (0, 0, "not due"),
        (1, 1, "0-30"),
        (30, 1, "0-30"),
        (31, 2, "31-60"),
        (60, 2, "31-60"),
        (61, 3, "61-90"),
        (90, 3, "61-90"),
        (91, 4, "90+"),
        (400, 4, "90+"),
    ],
)
def test_tier_and_bucket_boundaries(policy, days, tier, bucket):
    assert cadence.tier_for(days, policy) == tier
    assert cadence.bucket_for(days) == bucket


@pytest.mark.parametrize(
    ("days", "last_touch", "segment", "expected"),
    [
        (4, None, "mid-market", None),  # before the first touch day
        (5, None, "mid-market", 5),
        (6, 5, "mid-market", None),  # touched on day 5 already
        (7, None, "mid-market", 5),  # day 5 fell on a quiet day: catch up
        (10, 5, "mid-market", 10),
        (12, 5, "mid-market", 10),
        (30, 20, "mid-market", 30),
        (31, 30, "mid-market", None),  # tier 2 starts at day 35
        (35, 30, "mid-market", 35),
        (65, 55, "mid-market", 65),
        (91, 85, "mid-market", 91),
        (112, 98, "mid-market", 112),  # tier 4 repeats every 14 days after its last touch day
        (113, 112, "mid-market", None),
        (126, 112, "mid-market", 126),
        # strategic accounts get fewer, later touches in tiers 1 and 2
        (5, None, "strategic", None),
        (7, None, "strategic", 7),
        (20, 7, "strategic", None),
        (21, 7, "strategic", 21),
        (45, 35, "strategic", None),
        (50, 35, "strategic", 50),
        (65, 50, "strategic", 65),  # tier 3 is not overridden
        (5, None, "long-tail", 5),
    ],
)
def test_scheduled_touch(policy, days, last_touch, segment, expected):
    assert cadence.scheduled_touch(days, last_touch, segment, policy) == expected


@pytest.mark.parametrize(
    ("day", "quiet"),
    [
        (date(2026, 11, 16), False),  # Monday
        (date(2026, 11, 21), True),  # Saturday
        (date(2026, 11, 22), True),  # Sunday
        (date(2026, 12, 25), True),  # configured holiday (a Friday)
        (date(2026, 12, 24), False),
    ],
)
def test_quiet_days(policy, day, quiet):
    assert cadence.is_quiet_day(day, policy) is quiet


@pytest.mark.parametrize(
    ("contact_today", "account_week", "allowed"),
    [(0, 0, True), (1, 0, False), (0, 1, True), (0, 2, False), (1, 2, False)],
)
def test_frequency_caps(policy, contact_today, account_week, allowed):
    assert cadence.within_caps(contact_today, account_week, policy) is allowed


def test_caps_follow_the_policy_file():
    data = tomllib.loads(default_policy_path().read_text())
    data["caps"] = {"per_contact_per_day": 2, "per_account_per_week": 5, "quiet_weekdays": ["friday"]}
    custom = parse_policy(data)
    assert cadence.within_caps(1, 4, custom)
    assert not cadence.within_caps(2, 0, custom)
    assert cadence.is_quiet_day(date(2026, 11, 20), custom)  # a Friday
    assert not cadence.is_quiet_day(date(2026, 11, 21), custom)


@pytest.mark.parametrize(
    ("tier", "segment", "auto", "team", "cc_owner"),
    [
        (1, "long-tail", True, False, False),
        (1, "mid-market", False, False, False),
        (1, "strategic", False, False, False),
        (2, "strategic", False, True, False),
        (2, "mid-market", False, False, False),
        (3, "mid-market", False, True, True),
        (2, "long-tail", False, False, False),
        (4, "long-tail", False, True, True),
    ],
)
def test_segment_overrides(policy, tier, segment, auto, team, cc_owner):
    assert cadence.auto_send_allowed(tier, segment, policy) is auto
    assert cadence.involves_account_team(tier, segment, policy) is team
    assert cadence.cc_account_owner(tier, policy) is cc_owner


@pytest.mark.parametrize(
    ("days", "last", "segment", "risky", "expected"),
    [
        (-3, None, "mid-market", True, -3),
        (-2, None, "mid-market", True, -3),
        (-5, None, "mid-market", True, None),
        (-3, None, "mid-market", False, None),  # not risky, segment not flagged
        (-1, -3, "mid-market", True, None),  # already sent
        (1, None, "mid-market", True, None),  # overdue: not a pre-due note
    ],
)
def test_pre_due(policy, days, last, segment, risky, expected):
    assert cadence.pre_due_touch(days, last, segment, risky, policy) == expected


@pytest.mark.parametrize(
    ("segment", "arr", "expected"),
    [
        ("Strategic", None, "strategic"),
        ("mid_market", None, "mid-market"),
        ("Long Tail", None, "long-tail"),
        (None, "250000", "strategic"),
        (None, "20000", "mid-market"),
        (None, "19999.99", "long-tail"),
    ],
)
def test_segment_from_name_or_arr(policy, segment, arr, expected):
    from decimal import Decimal

    assert cadence.segment_for(segment, Decimal(arr) if arr else None, policy) == expected


def test_unknown_segment_is_refused(policy):
    with pytest.raises(ValueError, match="unknown segment 'enterprise'"):
        cadence.segment_for("enterprise", None, policy)
