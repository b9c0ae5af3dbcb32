"""`copilot poll` as a user runs it: the long-running watcher stops cleanly on SIGTERM and SIGINT."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import copilot
from tests.intake import mailsamples as ms

# The command runs pinned to a day of its own (--today) rather than under libfaketime, which disturbs
# Dovecot: see DOVECOT_INSTANT in conftest.py.
pytestmark = pytest.mark.dovecot
ROOT = Path(copilot.__file__).resolve().parent.parent


def count(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        try:
            return conn.execute("select count(*) from messages").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_poll_runs_until_signalled_and_stops_cleanly(dovecot, imap_user, tmp_path, sig):
    dovecot.append(imap_user, [ms.plain(msgid="<one@customer.example>")])
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COPILOT_IMAP__HOST": dovecot.host, "COPILOT_IMAP__PORT": str(dovecot.port),
           "COPILOT_IMAP__TLS": "false", "COPILOT_IMAP__USERNAME": imap_user.name, "COPILOT_IMAP__PASSWORD": imap_user.password}  # fmt: skip
    db = tmp_path / "poll.db"
    proc = subprocess.Popen([sys.executable, "-m", "copilot", "--db", str(db), "--today", "2026-11-16", "poll"], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while count(db) < 1 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert count(db) == 1, "the backlog message was not stored"
        dovecot.append(imap_user, [ms.plain(msgid="<two@customer.example>")])
        while count(db) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert count(db) == 2, "mail appended while watching was not stored"
        started = time.monotonic()
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert time.monotonic() - started < 5
    assert "Stopped cleanly." in out and "2 stored" in out
    assert "Traceback" not in out
