"""Intake fixtures: the session's private Dovecot and a fresh account per test."""

from tests.fixtures.dovecot import dovecot, imap_user  # noqa: F401
