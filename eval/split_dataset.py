"""Check the labelled replies and split them into eval/datasets/train.jsonl and test.jsonl.

    python eval/split_dataset.py                 # re-split the current train + test (a no-op when nothing changed)
    python eval/split_dataset.py NEW.jsonl ...   # add more labelled replies and split everything again
    python eval/split_dataset.py --train-only NEW.jsonl ...   # add replies to train only; test stays as it is

Where the data came from: three hand-written parts, English (two parts, 340 replies) and
German/French/Spanish/Dutch (160 replies), merged and split here; the parts were then removed
so that each reply lives in exactly one file.

The split is stratified by (label, language): each stratum sends 30% of its replies to test
(rounded by largest remainder so that the whole test set is 30%).
Membership depends only on a hash of each reply's id, so adding replies never moves old ones between
train and test unless their stratum's quota changes. Replies whose texts are near-copies (bounce
templates, for example) are kept on the same side, so the test set never scores a memorised text.

Later, 320 more replies (ids starting "x-", English and German/French/Spanish/Dutch) were written
for training only, without looking at the test split, and added with --train-only: they always stay
in train, so the test split and every score reported on it remain comparable.

Then 699 replies in the shape of real inbox mail (ids starting "x-r": greetings that carry the message,
long signatures, legal footers, flattened Outlook headers, HTML remnants, cancellations, buried requests,
ticket receipts, forwarded bank advices, instalments) were composed by eval/realistic/compose.py from
hand-written bodies and noise and added with --train-only. The same script writes realistic_test.jsonl,
a separate test split from other bodies and other noise pieces, which is never split or trained on.

Then 88 more hand-written replies (ids starting "x-o", 18 English and 11 each in German, French, Spanish and
Dutch labelled `other`, plus 26 near misses with other labels) were added with --train-only. The `other`
ones are mail that reached the wrong person or is about something else: not a customer, no longer at the
company, a shared inbox asking to be taken off, sales pitches, product or event questions, personal notes,
data-protection requests. The near misses use the same words about a real invoice (goods never received,
billed to the wrong entity, send invoices to a new address, forwarded to accounts, angry "I don't work
there"), so those keep their labels. They carry the usual noise (greetings, signatures, legal footers, the
quoted reminder) and a `slice` naming their pattern.

The script refuses data with duplicate ids, identical texts or invalid fields (see
copilot.evaluation.dataset for the rules), and a train-only reply that nearly copies a test reply.
"""

import hashlib
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from rapidfuzz import fuzz  # noqa: E402

from copilot.evaluation.dataset import LabelledReply, load_dataset, write_dataset  # noqa: E402

DATASETS = ROOT / "eval" / "datasets"
TEST_SHARE = 0.3
SALT = "copilot-eval-split-v1"
NEAR_COPY = 75  # rapidfuzz ratio (0-100) above which two longer texts count as one
MIN_LEN = 80  # short replies ("Received, thanks.") are alike by nature, not copies
REALISTIC = DATASETS / "realistic_test.jsonl"  # scored by slice; built by eval/realistic/compose.py
TRAIN_ONLY = "x-"  # id prefix of replies written for training after the test split was fixed


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def check_duplicates(rows: list[LabelledReply]) -> list[str]:
    problems, seen_ids, seen_texts = [], {}, {}
    for r in rows:
        if r.id in seen_ids:
            problems.append(f"id {r.id} appears twice")
        seen_ids[r.id] = r
        key = normalise(f"{r.subject} {r.text}")
        if key in seen_texts:
            problems.append(f"{r.id} repeats the subject and text of {seen_texts[key]}")
        seen_texts[key] = r.id
    return problems


def near_copy_groups(rows: list[LabelledReply]) -> dict[str, str]:
    """Map each id to its group's key (the smallest id among its near-copies)."""
    parent = {r.id: r.id for r in rows}

    def find(x: str) -> str:
        while parent[x] != x:
            x = parent[x]
        return x

    texts = [(r.id, normalise(r.text)) for r in rows]
    for i, (id_a, a) in enumerate(texts):
        for id_b, b in texts[i + 1:]:
            if min(len(a), len(b)) >= MIN_LEN and fuzz.ratio(a, b) >= NEAR_COPY:
                ra, rb = find(id_a), find(id_b)
                parent[max(ra, rb)] = min(ra, rb)
    return {r.id: find(r.id) for r in rows}


def rank(key: str) -> str:
    return hashlib.sha256(f"{SALT}:{key}".encode()).hexdigest()


def quotas_for(sizes: dict[tuple[str, str], int], total: int) -> dict[tuple[str, str], int]:
    """Test-set size per stratum: 30% rounded by largest remainder, so the total comes out right."""
    exact = {s: n * TEST_SHARE for s, n in sizes.items()}
    quotas = {s: int(x) for s, x in exact.items()}
    by_remainder = sorted(exact, key=lambda s: (-(exact[s] - quotas[s]), s))
    for s in by_remainder[: max(total - sum(quotas.values()), 0)]:
        quotas[s] += 1
    return quotas


def leaks(train_only: list[LabelledReply], test: list[LabelledReply]) -> list[str]:
    """Train-only replies that nearly copy a test reply (they would let the model memorise the test)."""
    found = []
    for r in train_only:
        a = normalise(r.text)
        for t in test:
            b = normalise(t.text)
            if min(len(a), len(b)) >= MIN_LEN and fuzz.ratio(a, b) >= NEAR_COPY:
                found.append(f"train-only {r.id} nearly copies test reply {t.id}")
    return found


def split(all_rows: list[LabelledReply]) -> tuple[list[LabelledReply], list[LabelledReply]]:
    """Deterministic stratified split; near-copies stay together; train-only replies stay in train."""
    rows = [r for r in all_rows if not r.id.startswith(TRAIN_ONLY)]
    train_only = [r for r in all_rows if r.id.startswith(TRAIN_ONLY)]
    groups = near_copy_groups(rows)
    members: dict[str, list[LabelledReply]] = defaultdict(list)
    for r in rows:
        members[groups[r.id]].append(r)
    strata: dict[tuple[str, str], list[str]] = defaultdict(list)
    for key, items in members.items():
        first = min(items, key=lambda r: r.id)
        strata[(first.label.value, first.lang or "")].append(key)
    sizes = {s: sum(len(members[k]) for k in keys) for s, keys in strata.items()}
    quotas = quotas_for(sizes, round(len(rows) * TEST_SHARE))
    test_ids: set[str] = set()
    for stratum, keys in strata.items():
        quota, taken = quotas[stratum], 0
        for key in sorted(keys, key=rank):
            if taken >= quota:
                break
            test_ids.update(r.id for r in members[key])
            taken += len(members[key])
    ordered = sorted(rows, key=lambda r: r.id)
    train = [r for r in ordered if r.id not in test_ids] + sorted(train_only, key=lambda r: r.id)
    return train, [r for r in ordered if r.id in test_ids]


def main(argv: list[str]) -> int:
    train_only = argv[:1] == ["--train-only"]
    argv = argv[1:] if train_only else argv
    sources = [Path(a) for a in argv] or [DATASETS / "train.jsonl", DATASETS / "test.jsonl"]
    extra = [DATASETS / "train.jsonl", DATASETS / "test.jsonl"] if argv else []
    rows = [r for path in extra if path.exists() for r in load_dataset(path)]
    for path in sources:
        for r in load_dataset(path):
            if train_only and not r.id.startswith(TRAIN_ONLY):
                print(f"refusing to split: train-only reply {r.id} must have an id starting {TRAIN_ONLY!r}",
                      file=sys.stderr)  # fmt: skip
                return 1
            rows.append(r)
    problems = check_duplicates(rows)
    if problems:
        print("refusing to split:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    train, test = split(rows)
    # The realistic test split is written apart and never split; no training reply may nearly copy it either.
    realistic = load_dataset(REALISTIC) if REALISTIC.exists() else []
    problems = leaks([r for r in train if r.id.startswith(TRAIN_ONLY)], [*test, *realistic])
    if problems:
        print("refusing to split:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    write_dataset(DATASETS / "train.jsonl", train)
    write_dataset(DATASETS / "test.jsonl", test)
    print(f"{len(rows)} replies: {len(train)} train, {len(test)} test ({len(test) / len(rows):.0%})")
    test_ids = {r.id for r in test}
    side = {r.id: "test" if r.id in test_ids else "train" for r in rows}
    counts = Counter((r.label.value, side[r.id]) for r in rows)
    langs = Counter((r.lang or "?", side[r.id]) for r in rows)
    for label in sorted({r.label.value for r in rows}):
        print(f"  {label:<16} train {counts[(label, 'train')]:>3}  test {counts[(label, 'test')]:>3}")
    for lang in sorted({r.lang or "?" for r in rows}):
        print(f"  {lang:<16} train {langs[(lang, 'train')]:>3}  test {langs[(lang, 'test')]:>3}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
