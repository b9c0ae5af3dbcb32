"""The product's notion of "now".

Everything that depends on the date or time asks this module, so the demo, `--today` and tests can pin
the clock instead of patching datetime. Pinning fixes an instant, never only a date: a pinned day starts
at `DAY_START` UTC, the start of a business day, and a pinned clock then runs on from that instant by the
time elapsed since it was pinned. So while the clock is pinned nothing reads the real time of day, and the
same run behaves the same at any hour.
"""

import time as _time
from datetime import UTC, date, datetime, time, timedelta

# The instant a pinned day begins at: the start of the business day.
DAY_START = time(9, 0)

_pinned: datetime | None = None
_pinned_at: float = 0.0  # monotonic reading when the clock was pinned


def pin(at: date | datetime | None) -> None:
    """Pin the clock to an instant; a date means that day at `DAY_START` UTC; None releases it."""
    global _pinned, _pinned_at
    if at is None:
        _pinned = None
        return
    if isinstance(at, datetime):
        if at.tzinfo is None:
            raise ValueError("pin the clock to an aware datetime (with a time zone)")
        _pinned = at.astimezone(UTC)
    else:
        _pinned = day_start(at)
    _pinned_at = _time.monotonic()


def pinned() -> bool:
    return _pinned is not None


def now() -> datetime:
    """The current UTC instant: the real one, or the pinned instant plus the time elapsed since pinning."""
    if _pinned is None:
        return datetime.now(UTC)
    return _pinned + timedelta(seconds=_time.monotonic() - _pinned_at)


def today() -> date:
    return now().date()


def now_iso() -> str:
    return now().isoformat(timespec="seconds")


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def day_start(day: date) -> datetime:
    """The instant a business day begins (what pinning to `day` means)."""
    return datetime.combine(day, DAY_START, tzinfo=UTC)
