"""The Dovecot fixture itself: a fresh account is empty, APPEND lands, a restart keeps the mail."""

import pytest

# Pinned to an instant of its own rather than run under libfaketime: see DOVECOT_INSTANT in conftest.py.
pytestmark = [pytest.mark.dovecot, pytest.mark.usefixtures("dovecot_instant")]


def test_fresh_user_append_and_restart(dovecot, imap_user):
    raw = b"From: a@example.test\r\nSubject: hi\r\nMessage-ID: <1@example.test>\r\n\r\nbody\r\n"
    assert dovecot.append(imap_user, [raw, raw]) == 2
    dovecot.restart()
    with dovecot.client(imap_user) as imap:
        info = imap.select_folder("INBOX", readonly=True)
        assert info[b"EXISTS"] == 2
        assert b"IDLE" in imap.capabilities()


def test_each_user_starts_empty(dovecot, imap_user):
    with dovecot.client(imap_user) as imap:
        assert imap.select_folder("INBOX", readonly=True)[b"EXISTS"] == 0
