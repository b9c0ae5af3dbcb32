"""The rewritten alternations match exactly what the written patterns match.

Cue counts, the injection check and the date hint are scanned through rewritten regexes for speed; each is
compared here with the plain pattern it stands for, on every shipped reply, the injection suite and texts
made up from the patterns' own phrases.
"""

import random
import re
from datetime import date

import pytest

from copilot.classify import cues, dates, injection
from copilot.classify.alternation import expand_leading_group, first_letters, word_start_union
from copilot.evaluation.dataset import load_dataset
from copilot.resources import datasets_dir
from tests.classify.test_injection_suite import CASES


def _shipped_texts() -> list[str]:
    return [
        part
        for name in ("train.jsonl", "test.jsonl", "realistic_test.jsonl")
        for item in load_dataset(datasets_dir() / name)
        for part in (item.text, item.subject or "")
    ]


SHIPPED = _shipped_texts()
SUITE = [case.body for case in CASES] + [case.subject for case in CASES if case.subject]


def _phrase_salad(patterns: list[str], count: int, seed: int) -> list[str]:
    """Texts strung together from the patterns' own words (so most of them hit something) and filler."""
    words = sorted({w for p in patterns for w in re.findall(r"[^\W\d_]{2,}|\d+", p)})
    filler = ["the", "invoice", "we", "1st", "12.03", "paid", "-", ":", "[", "(", "\n", "please", "not", "to", "as"]
    rng = random.Random(seed)
    return [" ".join(rng.choice(words + filler) for _ in range(rng.randint(1, 14))) for _ in range(count)]


@pytest.mark.parametrize(
    ("branch", "expected"),
    [
        ("(we|i) paid", ["we paid", "i paid"]),
        ("(?:we|i) paid", ["we paid", "i paid"]),
        ("(nous )?(réglerons|paierons)", ["nous (réglerons|paierons)", "réglerons", "paierons"]),
        ("(reduce|downgrade)d?", ["reduced?", "downgraded?"]),
        ("((a|b)|c)x", ["ax", "bx", "cx"]),
        ("(ab)*c", ["(ab)*c"]),  # repeated: kept whole
        ("(ab)+c", ["(ab)+c"]),
        ("(ab){2}c", ["(ab){2}c"]),
        ("(ab)??c", ["(ab)??c"]),  # lazy: kept whole
        ("(?=ab)abc", ["(?=ab)abc"]),  # lookahead: kept whole
        ("plain", ["plain"]),
    ],
)
def test_leading_groups_are_multiplied_out_in_the_order_they_are_tried(branch, expected):
    assert expand_leading_group(branch) == expected


def test_first_letters_are_known_only_when_every_branch_starts_with_a_letter():
    assert first_letters(r"paid|(we|i) sent|'ll pay") == frozenset("pwi'")
    assert first_letters(r"paid|\d+ ?% now") is None
    assert first_letters(r"(a)?bc") == frozenset("ab")


def test_the_union_matches_exactly_where_a_pattern_does():
    patterns = [r"(we|i) (paid|sent)|payment (is|went) out", r"(nous )?(réglerons|paierons)|\d+ ?% (on|now)", r"zelle\b|(a|b)?c"]
    union = word_start_union(patterns)
    plain = re.compile("|".join(rf"\b(?:{p})" for p in patterns))
    texts = ["we paid it", "i sent", "payment went out", "nous réglerons", "réglerons", "50 % now", "zellep", "ac", "bc", "c", "dc",
             *_phrase_salad(patterns, 500, seed=1)]  # fmt: skip
    hits = 0
    for text in texts:
        expected = {m.start() for i in range(len(text) + 1) if (m := plain.match(text, i))}
        found = {m.start() for i in range(len(text) + 1) if (m := union.match(text, i))}
        assert found == expected, text
        hits += bool(expected)
    assert hits > 100  # the made-up texts do exercise the patterns


@pytest.mark.parametrize("corpus", ["shipped", "salad"])
def test_cue_counts_equal_findall_per_group(corpus):
    texts = SHIPPED if corpus == "shipped" else _phrase_salad(list(cues.CUE_GROUPS.values()), 3000, seed=2)
    nonzero = 0
    for text in texts:
        low = text.lower()
        expected = [len(rx.findall(low)) for rx in cues._PATTERNS]
        assert cues.cue_counts(low) == expected, text
        nonzero += sum(expected)
    assert nonzero > len(texts) // 2


@pytest.mark.parametrize("corpus", ["shipped", "suite", "salad"])
def test_the_injection_scan_finds_what_the_written_patterns_find(corpus):
    texts = {"shipped": SHIPPED, "suite": SUITE, "salad": _phrase_salad(injection._PATTERNS, 3000, seed=3)}[corpus]
    plain = re.compile("|".join(f"(?:{p})" for p in [*injection._PATTERNS, injection._ROLE_HEADER.pattern]))
    found = 0
    for text in texts:
        low = injection.normalise(text)
        expected = plain.search(low) is not None
        assert (injection._first_instruction(low) is not None) == expected, text
        found += expected
    assert found > 0


def test_the_date_hint_matches_the_written_pattern():
    written = re.compile(
        r"\b(monday|tuesday|wednesday|thursday|friday|montag|dienstag|mittwoch|donnerstag|freitag|lundi|mardi|mercredi|jeudi|vendredi|"
        r"lunes|martes|miércoles|jueves|viernes|maandag|dinsdag|woensdag|donderdag|vrijdag|tomorrow|morgen|demain|mañana|"
        r"next week|end of|ende|fin d|final de|eind)\b|\d{1,2}[./]\d{1,2}|\d{1,2}(st|nd|rd|th)\b"
    )  # fmt: skip
    extra = ["pay on the 3rd", "1.2", "12/31", "123/4", "ends of", "fin du mois", "the 21stcentury", "mañana"]
    for text in [t.lower() for t in SHIPPED] + extra:
        hint = cues._DATE_WORD.search(text) is not None or cues._DATE_NUMBER.search(text) is not None
        assert hint == (written.search(text) is not None), text


def test_date_needles_never_skip_a_date(monkeypatch):
    base = date(2026, 12, 1)
    texts = SHIPPED + ["2026-12-24", "am 3.1.", "le 5/01", "by 03.02.2027", "x-1"]
    with_needles = [dates.find_dates(t, base) for t in texts]
    monkeypatch.setattr(dates, "_NEEDLE_RX", {kind: re.compile("") for kind in dates._NEEDLE_RX})
    assert [dates.find_dates(t, base) for t in texts] == with_needles
    assert sum(map(len, with_needles)) > 50
