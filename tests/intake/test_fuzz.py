"""Acceptance: 1,100 seeded hostile messages through the folder mailbox and through Dovecot.

Every message must end stored, a duplicate of a stored one, or quarantined (0 lost), intake must
never raise (0 crashes), and classifying what was stored must never fail. The worst per-message
times are printed (run with -s to see them); speed is measured, not asserted, here.
"""

import collections
import time

import pytest

from copilot.classify.local import LocalClassifier, load_model
from copilot.mail import intake
from copilot.mail.inbound import IntakeContext
from copilot.mail.intake import Poller, Source, context_from_settings, imap_sources
from copilot.mail.mailbox.folder import FolderMailbox
from copilot.routing.triage import classify_one
from tests.fixtures.hostile_mail import hostile_messages
from tests.intake.conftest import imap_settings

COUNT = 1100
SEED = 14


class Recorder:
    """Wraps intake's per-message step: what happened to each UID, and how long it took."""

    def __init__(self, monkeypatch):
        self.outcomes: dict[int, str] = {}
        self.seconds: dict[int, float] = {}
        real = intake.process_message

        def timed(ctx, mail, loc):
            started = time.perf_counter()
            outcome = real(ctx, mail, loc)
            self.seconds[loc.uid] = time.perf_counter() - started
            self.outcomes[loc.uid] = outcome.kind
            return outcome

        monkeypatch.setattr(intake, "process_message", timed)


def check_nothing_lost(store, recorder: Recorder, expected: int, families: dict[int, str]) -> None:
    assert sorted(recorder.outcomes) == list(range(1, expected + 1)), "a message was skipped"
    kinds = collections.Counter(recorder.outcomes.values())
    assert set(kinds) <= {"stored", "duplicate", "quarantined"}
    assert store.db["messages"].count == kinds["stored"]
    assert store.db["quarantine"].count == kinds["quarantined"]
    worst = max(recorder.seconds, key=recorder.seconds.get)
    print(f"\n{expected} hostile messages: {dict(kinds)}; worst intake time {recorder.seconds[worst] * 1000:.0f} ms "
          f"(uid {worst}, {families.get(worst, '?')})")  # fmt: skip


def test_fuzz_through_the_folder_mailbox(store, tmp_path, monkeypatch):
    families = {}
    for uid, (family, raw) in enumerate(hostile_messages(COUNT, SEED), start=1):
        (tmp_path / f"{uid:05d}.eml").write_bytes(raw)
        families[uid] = family
    recorder = Recorder(monkeypatch)
    folder = FolderMailbox(tmp_path)
    stats = Poller(IntakeContext(store), [Source(folder.name, folder.folders, lambda: folder)]).run_once()  # raises on a crash
    assert stats.stored + stats.duplicates + stats.quarantined == COUNT
    check_nothing_lost(store, recorder, COUNT, families)

    # Classify everything stored, as triage would: no reply may make the classifier fail.
    classifier = LocalClassifier(load_model(), review_threshold=0.45)
    cursor = store.conn.execute("select * from messages order by id")
    names = [d[0] for d in cursor.description]
    sources = collections.Counter()
    worst = (0.0, None)
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        started = time.perf_counter()
        result, _ = classify_one(classifier, row)
        spent = time.perf_counter() - started + recorder.seconds[row["uid"]]
        worst = max(worst, (spent, families[row["uid"]]), key=lambda w: w[0])
        sources[result.source] += 1
    assert sources["error"] == 0, "the classifier failed on a stored message"
    print(f"classified {sum(sources.values())}: {dict(sources)}; worst parse+classify {worst[0] * 1000:.0f} ms ({worst[1]})")


@pytest.mark.dovecot
def test_fuzz_through_dovecot(dovecot, imap_user, tmp_path, store, monkeypatch):
    corpus = list(hostile_messages(COUNT, SEED))
    appended = dovecot.append(imap_user, [raw for _, raw in corpus], batch=100)
    assert appended == COUNT
    with dovecot.client(imap_user) as imap:
        imap.select_folder("INBOX", readonly=True)
        in_mailbox = len(imap.search("ALL"))
    families = {uid: family for uid, (family, _) in enumerate(corpus, start=1)}
    recorder = Recorder(monkeypatch)
    settings = imap_settings(dovecot, imap_user, tmp_path)
    stats = Poller(context_from_settings(store, settings), imap_sources(settings)).run_once()
    assert stats.stored + stats.duplicates + stats.quarantined == in_mailbox == COUNT
    check_nothing_lost(store, recorder, in_mailbox, families)
