"""`copilot train` speed: the whole command on 2,000 examples, against training the shipped model in the same run.

Run by hand from the repository root:  python bench/bench_train.py [--examples 2000]
Target: under 60 s for 2,000 examples. The baseline is `train()` on the shipped train split alone (what the
product has always done on first use), timed in the same process, so the ratio holds on any machine.
The team's examples are the shipped training replies written again with other names, numbers and a
signature, given as a labelled file; the run goes through gathering, weighting, training, the
cross-validated figures, the test-split check and storing the model in a scratch database.
"""

import argparse
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from copilot.classify.local import load_model  # noqa: E402
from copilot.classify.retrain import retrain  # noqa: E402
from copilot.classify.training import load_training_rows, train  # noqa: E402
from copilot.config import Settings  # noqa: E402
from copilot.evaluation.dataset import load_dataset  # noqa: E402
from copilot.resources import datasets_dir  # noqa: E402
from copilot.store import Store  # noqa: E402

TARGET_SECONDS = 60.0
_NUMBER = re.compile(r"\d{3,}")


def team_file(path: Path, count: int, seed: int = 0) -> Path:
    """`count` labelled replies in the eval format, rewritten from the shipped train split."""
    rng = random.Random(seed)
    items = load_dataset(datasets_dir() / "train.jsonl")
    lines = []
    for k in range(count):
        item = items[k % len(items)]
        text = _NUMBER.sub(lambda m: str(rng.randint(10 ** (len(m.group()) - 1), 10 ** len(m.group()) - 1)), item.text)
        text += f"\n\n{rng.choice(['Regards', 'Best', 'Thanks', 'Gruß', 'Cordialement'])},\nClerk {k} | AP team {rng.randint(1, 99)}"
        row = item.model_dump(mode="json", exclude_none=True)
        lines.append(json.dumps({**row, "id": f"team-{k}", "text": text}, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000, help="shipped plus team examples in all")
    args = parser.parse_args()
    shipped = load_training_rows(datasets_dir() / "train.jsonl")
    load_model()  # the shipped model's disk cache, which the test-split check compares against, is warm in real use

    started, cpu = time.perf_counter(), time.process_time()
    train(shipped)
    baseline, baseline_cpu = time.perf_counter() - started, time.process_time() - cpu

    with tempfile.TemporaryDirectory() as tmp:
        team = team_file(Path(tmp) / "team.jsonl", max(1, args.examples - len(shipped)))
        settings = Settings(db_path=Path(tmp) / "bench.db")
        with Store.open(settings.db_path) as store:
            started, cpu = time.perf_counter(), time.process_time()
            outcome = retrain(store, settings, [team], actor="bench")
            took, took_cpu = time.perf_counter() - started, time.process_time() - cpu
    total = sum(outcome.counts.values())
    print(f"baseline: train() on the shipped split ({len(shipped)} replies): {baseline:.1f} s wall, {baseline_cpu:.1f} s CPU")
    print(f"copilot train on {total} examples ({outcome.counts}): {took:.1f} s wall, {took_cpu:.1f} s CPU  "
          f"ratio {took / baseline:.2f}x the baseline  target < {TARGET_SECONDS:.0f} s: {'met' if took < TARGET_SECONDS else 'MISSED'}")  # fmt: skip
    print(f"model {outcome.model.name}: cv macro-F1 {outcome.model.cv['all']['macro_f1']:.3f}, "
          f"test macro-F1 {outcome.model.test['macro_f1']:.3f} (shipped {outcome.model.baseline['macro_f1']:.3f})")  # fmt: skip


if __name__ == "__main__":
    main()
