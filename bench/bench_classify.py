"""Offline classifier speed: replies/s and per-reply latency against the keyword baseline, plus cold start.

Run by hand from the repository root:  python bench/bench_classify.py [--rounds 10]
Targets: >= 1,000 replies/s and p95 < 5 ms for the local model. Both classifiers run on the same replies
(the shipped test split, repeated) in the same process, so the ratio holds on any machine.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from copilot.classify.keyword import KeywordClassifier  # noqa: E402
from copilot.classify.local import LocalClassifier, load_model  # noqa: E402
from copilot.evaluation.dataset import load_dataset  # noqa: E402
from copilot.resources import datasets_dir  # noqa: E402


def measure(classifier, replies, rounds: int, earlier) -> dict[str, float]:
    """Time `replies` for `rounds` rounds; before each, the classifier forgets and then sees `earlier` mail untimed.

    The same replies come round again, and the model remembers words it has looked up. Starting each round
    from a memo filled only by other mail (the train split) times the test replies as a running poller
    meets new ones: their common words known, their own names and numbers not.
    """
    latencies = []
    wall = cpu = 0.0
    for _ in range(rounds):
        if hasattr(classifier, "model"):
            classifier.model.vectorizer.clear_memo()
        for reply in earlier:
            classifier.classify(reply)
        cpu_started, started = time.process_time(), time.perf_counter()
        for reply in replies:
            t0 = time.perf_counter()
            classifier.classify(reply)
            latencies.append((time.perf_counter() - t0) * 1000)
        wall += time.perf_counter() - started
        cpu += time.process_time() - cpu_started
    latencies.sort()
    return {
        "n": len(latencies),
        "per_s": len(latencies) / wall,
        "per_cpu_s": len(latencies) / cpu,  # what one idle core would do; differs from per_s on a busy machine
        "p50": statistics.median(latencies),
        "p95": latencies[int(0.95 * (len(latencies) - 1))],
        "max": latencies[-1],
    }


def cold_start(cache: Path) -> float:
    """Seconds for a fresh interpreter to import the classifier, get the model and classify one reply."""
    code = (
        "import time; t=time.perf_counter();"
        "from pathlib import Path; from copilot.classify.local import LocalClassifier, load_model;"
        "from copilot.labels import Reply;"
        f"LocalClassifier(load_model(cache_path=Path({str(cache)!r}))).classify(Reply(text='We will pay on Friday.'));"
        "print(time.perf_counter()-t)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="passes over the test split (150 replies each)")
    parser.add_argument("--dataset", default="test.jsonl",
                        help="replies to time, in eval/datasets (realistic_test.jsonl: long signatures, footers, quoted chains)")
    args = parser.parse_args()

    replies = [item.to_reply() for item in load_dataset(datasets_dir() / args.dataset)]
    earlier = [item.to_reply() for item in load_dataset(datasets_dir() / "train.jsonl")]
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "classifier.pkl"
        first = cold_start(cache)  # no cache yet: trains on the train split and writes the cache
        cached = cold_start(cache)
        local = LocalClassifier(load_model(cache_path=cache))
    keyword = KeywordClassifier()

    base = measure(keyword, replies, args.rounds, earlier)
    ours = measure(local, replies, args.rounds, earlier)
    print(f"replies: {len(replies)} x {args.rounds} rounds")
    print(f"{'classifier':<10} {'replies/s':>10} {'per CPU s':>10} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, r in (("keyword", base), ("local", ours)):
        print(f"{name:<10} {r['per_s']:>10.0f} {r['per_cpu_s']:>10.0f} {r['p50']:>8.3f} {r['p95']:>8.3f} {r['max']:>8.2f}")
    print(f"local/keyword throughput ratio: {ours['per_s'] / base['per_s']:.2f}  (p95 ratio {ours['p95'] / base['p95']:.2f})")
    print(f"cold start, first run (train + cache): {first:.2f} s; cold start with the cache: {cached:.2f} s")
    ok = ours["per_s"] >= 1000 and ours["p95"] < 5.0
    print(f"targets (>= 1000 replies/s, p95 < 5 ms): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
