"""The shipped labelled sets and the script that splits them."""

import importlib.util
from collections import Counter
from pathlib import Path

import pytest

from copilot.evaluation.dataset import LabelledReply, load_dataset
from copilot.labels import LABELS

ROOT = Path(__file__).resolve().parents[2]
DATASETS = ROOT / "eval" / "datasets"


def _split_module():
    spec = importlib.util.spec_from_file_location("split_dataset", ROOT / "eval" / "split_dataset.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def shipped() -> tuple[list[LabelledReply], list[LabelledReply]]:
    return load_dataset(DATASETS / "train.jsonl"), load_dataset(DATASETS / "test.jsonl")


def test_sets_are_big_varied_and_disjoint(shipped):
    train, test = shipped
    assert len(train) + len(test) >= 400
    split_train = [r for r in train if not r.id.startswith("x-")]  # train-only replies are not part of the split
    assert 0.27 <= len(test) / (len(split_train) + len(test)) <= 0.33
    assert not {r.id for r in train} & {r.id for r in test}
    for rows in (train, test):
        assert set(Counter(r.label.value for r in rows)) == set(LABELS)
        assert {"en", "de", "fr", "es", "nl"} <= {r.lang for r in rows}
        assert sum(r.promise_date is not None for r in rows) >= 10
        assert sum(r.frustrated for r in rows) >= 20
        assert sum(bool(r.alternates) for r in rows) >= 10
        assert sum(bool(r.headers) for r in rows) >= 5


def test_the_split_is_reproducible_and_keeps_near_copies_together(shipped):
    split = _split_module()
    train, test = shipped
    rows = [*train, *test]
    assert split.check_duplicates(rows) == []
    again_train, again_test = split.split(rows)
    assert [r.id for r in again_train] == [r.id for r in train] and [r.id for r in again_test] == [r.id for r in test]
    groups = split.near_copy_groups(rows)
    side = {r.id: "test" for r in test} | {r.id: "train" for r in train}
    by_group: dict[str, set[str]] = {}
    for rid, key in groups.items():
        by_group.setdefault(key, set()).add(side[rid])
    assert all(len(sides) == 1 for sides in by_group.values())
    assert any(list(groups.values()).count(k) > 1 for k in set(groups.values()))  # the bounce templates do group


def _row(i: int, label: str, lang: str, text: str | None = None) -> LabelledReply:
    return LabelledReply(id=f"r{i:03d}", text=text or f"reply number {i} " + "x" * i, label=label, frustrated=label == "frustration", lang=lang)


def test_split_quotas_and_duplicate_refusal():
    split = _split_module()
    rows = [_row(i, label, lang) for i, (label, lang) in enumerate(
        [("paid", "en")] * 10 + [("dispute", "en")] * 7 + [("paid", "de")] * 3)]  # fmt: skip
    train, test = split.split(rows)
    assert len(test) == 6  # 30% of 20
    assert Counter((r.label.value, r.lang) for r in test) == {("paid", "en"): 3, ("dispute", "en"): 2, ("paid", "de"): 1}
    assert split.split(list(reversed(rows))) == (train, test)  # order of input does not matter
    dup = _row(99, "paid", "en", text=rows[0].text)
    assert split.check_duplicates([*rows, dup]) == ["r099 repeats the subject and text of r000"]


def test_train_only_replies_stay_in_train_and_may_not_copy_a_test_reply():
    split = _split_module()
    rows = [_row(i, "paid", "en") for i in range(10)]
    extra = LabelledReply(id="x-001", text="we sent the wire yesterday afternoon " * 4, label="paid", frustrated=False, lang="en")
    train, test = split.split([*rows, extra])
    assert extra in train and len(test) == 3  # the quota counts only the split replies
    reply = "Hello, the wire for invoice 4471 left our bank this morning, remittance attached. Regards, Tom"
    test_reply = LabelledReply(id="t", text=reply, label="paid", frustrated=False, lang="en")
    near = LabelledReply(id="x-002", text=reply.replace("Tom", "Tomas"), label="paid", frustrated=False, lang="en")
    other = LabelledReply(id="x-003", text="Could you resend invoice 4471 as a PDF? Our portal rejected the upload.",
                          label="request", frustrated=False, lang="en")  # fmt: skip
    assert split.leaks([near, other], [test_reply]) == ["train-only x-002 nearly copies test reply t"]


def _compose_module():
    spec = importlib.util.spec_from_file_location("compose", ROOT / "eval" / "realistic" / "compose.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_realistic_split_is_separate_varied_and_scored_by_slice(shipped):
    train, test = shipped
    realistic = load_dataset(DATASETS / "realistic_test.jsonl")
    assert 150 <= len(realistic) <= 200
    assert set(Counter(r.label.value for r in realistic)) == set(LABELS)
    assert {r.lang for r in realistic} == {"en", "de", "fr", "es", "nl"}
    slices = Counter(r.slice for r in realistic)
    for name in ("greeting-line", "cancellation", "buried-request", "ticket-receipt", "survey", "scanner", "bank-advice",
                 "instalment", "polite-not-frustrated", "one-word", "frustration", "outlook-header", "legal-footer"):  # fmt: skip
        assert slices[name] >= 2, name
    assert sum(r.escalate for r in realistic) >= 15
    assert not {r.id for r in realistic} & {r.id for r in [*train, *test]}
    generated = [r for r in train if r.id.startswith("x-r")]
    assert len(generated) >= 600 and {r.lang for r in generated} == {"en", "de", "fr", "es", "nl"}
    assert _split_module().leaks(generated, realistic) == []  # no training reply nearly copies a realistic test reply


def test_the_realistic_replies_are_what_the_composer_writes(shipped):
    built_train, built_test = _compose_module().build()
    assert [r.model_dump() for r in load_dataset(DATASETS / "realistic_test.jsonl")] == [
        LabelledReply.model_validate(r).model_dump() for r in built_test]
    train = {r.id: r for r in shipped[0] if r.id.startswith("x-r")}
    assert sorted(train) == sorted(r["id"] for r in built_train)
    assert all(train[r["id"]] == LabelledReply.model_validate(r) for r in built_train)
