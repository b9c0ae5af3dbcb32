"""The built-in demo: sample ledger and mail, a pinned clock, the day's drafts and one user per role."""
