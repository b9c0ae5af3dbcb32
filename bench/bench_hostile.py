"""Per-message cost of parsing and classifying hostile mail (run by hand; not part of the test suite).

    python bench/bench_hostile.py [--count 1100] [--seed 14]

Parses and classifies (local model) each message of the seeded hostile corpus from
tests/fixtures/hostile_mail.py, and, as the baseline measured in the same run, the ordinary
replies shipped with the demo. Prints the worst case and p99 per message for each, the worst
family, and the ratios hostile/baseline. Target: worst hostile message under 1 s.
"""

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from copilot.classify.local import LocalClassifier, load_model  # noqa: E402
from copilot.classify.message import reply_from_parsed  # noqa: E402
from copilot.errors import ParseError  # noqa: E402
from copilot.mail.parse import parse_message  # noqa: E402
from copilot.resources import demo_data_dir  # noqa: E402
from tests.fixtures.hostile_mail import hostile_messages  # noqa: E402

TARGET_SECONDS = 1.0


def cost(classifier: LocalClassifier, raw: bytes) -> float:
    """Seconds to parse and classify one message (a message that cannot be parsed costs its parse attempt)."""
    started = time.perf_counter()
    try:
        parsed = parse_message(raw)
    except ParseError:
        return time.perf_counter() - started
    classifier.classify(reply_from_parsed(parsed))
    return time.perf_counter() - started


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98] if len(values) > 1 else values[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=1100)
    ap.add_argument("--seed", type=int, default=14)
    args = ap.parse_args()
    classifier = LocalClassifier(load_model(), review_threshold=0.45)
    ordinary = [p.read_bytes() for p in sorted((demo_data_dir() / "mail").glob("*.eml"))]
    cost(classifier, ordinary[0])  # warm up: model load and regex compilation are not per-message costs
    baseline = [cost(classifier, raw) for _ in range(5) for raw in ordinary]
    hostile: list[float] = []
    by_family: dict[str, list[float]] = defaultdict(list)
    for family, raw in hostile_messages(args.count, args.seed):
        spent = cost(classifier, raw)
        hostile.append(spent)
        by_family[family].append(spent)
    worst_family = max(by_family, key=lambda f: max(by_family[f]))
    print(f"baseline  ({len(baseline)} ordinary replies): worst {max(baseline) * 1000:8.1f} ms   p99 {p99(baseline) * 1000:8.1f} ms   "
          f"mean {statistics.mean(baseline) * 1000:6.1f} ms")  # fmt: skip
    print(f"hostile   ({len(hostile)} messages, seed {args.seed}): worst {max(hostile) * 1000:8.1f} ms   p99 {p99(hostile) * 1000:8.1f} ms   "
          f"mean {statistics.mean(hostile) * 1000:6.1f} ms")  # fmt: skip
    for family in sorted(by_family, key=lambda f: -max(by_family[f])):
        print(f"  {family:15s} n={len(by_family[family]):4d}  worst {max(by_family[family]) * 1000:8.1f} ms")
    print(f"ratio hostile/baseline: worst {max(hostile) / max(baseline):.1f}x, p99 {p99(hostile) / p99(baseline):.1f}x")
    verdict = "meets" if max(hostile) < TARGET_SECONDS else "MISSES"
    print(f"worst hostile message ({worst_family}) {verdict} the {TARGET_SECONDS:g} s target")


if __name__ == "__main__":
    main()
