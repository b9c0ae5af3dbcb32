"""The clock pins an instant, never only a date, so nothing reads the real time of day while it is pinned."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from copilot import clock


def test_a_pinned_day_starts_at_the_start_of_the_business_day():
    clock.pin(date(2026, 11, 16))
    start = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    assert start <= clock.now() < start + timedelta(minutes=1)
    assert clock.today() == date(2026, 11, 16)
    assert clock.day_start(date(2026, 11, 16)) == start


def test_a_pinned_instant_is_kept_and_converted_to_utc():
    clock.pin(datetime(2026, 12, 4, 23, 59, 40, tzinfo=timezone(timedelta(hours=-5))))
    now = clock.now()
    assert now.tzinfo is UTC
    assert datetime(2026, 12, 5, 4, 59, 40, tzinfo=UTC) <= now < datetime(2026, 12, 5, 5, 0, 40, tzinfo=UTC)
    assert clock.today() == date(2026, 12, 5)


def test_a_pinned_clock_runs_on_by_elapsed_time_not_by_the_time_of_day(monkeypatch):
    ticks = iter([1000.0, 1030.5])
    monkeypatch.setattr(clock._time, "monotonic", lambda: next(ticks))
    clock.pin(datetime(2026, 12, 4, 23, 59, 40, tzinfo=UTC))
    assert clock.now() == datetime(2026, 12, 5, 0, 0, 10, 500000, tzinfo=UTC)


def test_naive_instants_are_refused():
    with pytest.raises(ValueError, match="time zone"):
        clock.pin(datetime(2026, 11, 16, 10, 0))


def test_releasing_the_pin_returns_to_the_real_clock():
    clock.pin(date(2001, 1, 1))
    assert clock.pinned()
    clock.pin(None)
    assert not clock.pinned() and clock.today().year > 2001
