"""Reply splitting time against text length: linear means doubling the text doubles the time, no more.

Run by hand from the repository root:  python bench/bench_split.py
Each shape is a worst case for a backtracking splitter (one long converted line with many attribution
starts, many header starts that never complete, deep quoting). The ratio of the time at 8x the length to
the time at 1x, measured in the same run, stays near 8 for a linear splitter (a quadratic one gives ~64).
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from copilot.classify.clean import body_for_model, strip_reply  # noqa: E402

SHAPES = {
    "long line of 'On ...' sentences": lambda n: "On the 3rd we paid invoice 4471 and the rest follows. " * n,
    "repeated 'On ... wrote:' on one line": lambda n: "Paid.\n\n" + "On Tue, 3 Mar 2026 at 09:12, Anna <a@x.example> wrote: " * n,
    "header starts that never complete": lambda n: "Paid.\n\n" + "From: a Sent: b " * n,
    "deep quoting": lambda n: "Paid.\n" + "> On Tue, 3 Mar 2026 at 09:12, Anna wrote:\n" * n,
    "style rules without an end": lambda n: "Hi, " + "p.a, p.b { x " * n + "we will pay",
    "greetings, a line, signature paragraphs": lambda n: "Hi,\n\n" * n + "Paid.\n\n" + "Tom\n\n" * n,
}


def best_of(text: str, repeat: int = 5) -> float:
    """The least CPU time of a few runs: CPU time, not wall time, so other work on the machine does not count."""
    times = []
    for _ in range(repeat):
        strip_reply.cache_clear()
        t0 = time.process_time()
        body_for_model(text)
        times.append(time.process_time() - t0)
    return min(times)


def main() -> None:
    print(f"{'shape':<40}{'1x KB':>8}{'1x ms':>9}{'8x ms':>9}{'ratio':>7}   (CPU time)")
    worst = 0.0
    for name, make in SHAPES.items():
        small, big = make(500), make(4000)
        t1, t8 = best_of(small), best_of(big)
        worst = max(worst, t8 / t1)
        print(f"{name:<40}{len(small) / 1000:>8.0f}{t1 * 1000:>9.1f}{t8 * 1000:>9.1f}{t8 / t1:>7.1f}")
    print(f"worst ratio at 8x the length: {worst:.1f} (linear ~8, quadratic ~64): {'linear' if worst < 16 else 'NOT linear'}")


if __name__ == "__main__":
    main()
