"""Collector Copilot: triage AR replies, route them, and draft tier-aware reminders."""

__version__ = "0.1.0"
