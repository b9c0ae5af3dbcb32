"""The product's notion of "now".

Everything that depends on the date asks this module, so the demo and tests can
pin the clock through the `today` setting instead of patching datetime.
"""

from datetime import UTC, date, datetime, time

_pinned: date | None = None


def pin(day: date | None) -> None:
    """Pin today's date (None releases it)."""
    global _pinned
    _pinned = day


def today() -> date:
    return _pinned or datetime.now(UTC).date()


def now() -> datetime:
    """Current UTC time; on a pinned day, that day at the current wall-clock time."""
    real = datetime.now(UTC)
    if _pinned is None:
        return real
    return datetime.combine(_pinned, real.time().replace(tzinfo=None), tzinfo=UTC)


def now_iso() -> str:
    return now().isoformat(timespec="seconds")


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)
