"""Cross-validation of the offline classifier on the train split only, to judge model changes without the test split.

Run by hand from the repository root:  python bench/cv_classify.py [--folds 5] [--seeds 0 1]
Each fold trains the full local model (features, calibrated views, temperature, frustrated threshold) on the
other folds and classifies the held-out replies end to end (gates, model, facts), scored with the eval metrics.
Folds are stratified by label and language together, so every language is held out in every fold; the
per-language accuracy shows whether a change helps only English. A leave-one-language-out pass
(--by-language) checks how the model does on a language it was never trained on.
"""

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sklearn.model_selection import StratifiedKFold  # noqa: E402

from copilot.classify.local import LocalClassifier  # noqa: E402
from copilot.classify.training import TrainingRow, train  # noqa: E402
from copilot.evaluation.dataset import LabelledReply, load_dataset  # noqa: E402
from copilot.evaluation.metrics import compute_metrics, pair_up  # noqa: E402
from copilot.evaluation.predictions import Prediction  # noqa: E402
from copilot.labels import Label  # noqa: E402
from copilot.resources import datasets_dir  # noqa: E402


def _row(item: LabelledReply) -> TrainingRow:
    return TrainingRow(item.subject, item.text, item.label.value, item.frustrated or item.label is Label.FRUSTRATION, item.weight)


def predict_held_out(train_items: list[LabelledReply], held_out: list[LabelledReply]) -> list[Prediction]:
    """Train on one part and classify the other, end to end."""
    classifier = LocalClassifier(train([_row(i) for i in train_items]))
    return [Prediction.from_classification(i.id, classifier.classify(i.to_reply()), 0.0) for i in held_out]


def cross_validate(items: list[LabelledReply], folds: int, seed: int) -> dict:
    """Out-of-fold predictions for every reply, scored as one run."""
    strata = [f"{i.label.value}|{i.lang}" for i in items]
    # Rare label-language pairs cannot fill every fold; fold them into their label so stratification still works.
    counts = {s: strata.count(s) for s in strata}
    strata = [s if counts[s] >= folds else s.split("|")[0] for s in strata]
    predictions: list[Prediction] = []
    for train_idx, test_idx in StratifiedKFold(folds, shuffle=True, random_state=seed).split(items, strata):
        predictions += predict_held_out([items[k] for k in train_idx], [items[k] for k in test_idx])
    return compute_metrics(pair_up(items, predictions))


def leave_language_out(items: list[LabelledReply]) -> dict[str, float]:
    """Accuracy on each non-English language when the model never saw a reply in it."""
    out = {}
    for lang in sorted({i.lang for i in items} - {"en", None}):
        held = [i for i in items if i.lang == lang]
        metrics = compute_metrics(pair_up(held, predict_held_out([i for i in items if i.lang != lang], held)))
        out[lang] = metrics["accuracy"]
    return out


def summary(metrics: dict) -> str:
    esc = metrics["escalation"]
    langs = " ".join(f"{k}={v['accuracy']:.2f}" for k, v in metrics["by_language"].items())
    per = " ".join(f"{k[:5]}={v['f1']:.2f}" for k, v in metrics["per_class"].items())
    return (f"macro-F1 {metrics['macro_f1']:.3f}  acc {metrics['accuracy']:.3f}  esc recall {esc['recall']:.3f} "
            f"precision {esc['precision']:.3f}  date {metrics['promise_date']['exact_match']:.3f}\n    {per}\n    {langs}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--by-language", action="store_true", help="also hold out each non-English language in turn")
    args = parser.parse_args()
    items = load_dataset(datasets_dir() / "train.jsonl")
    runs = []
    for seed in args.seeds:
        metrics = cross_validate(items, args.folds, seed)
        runs.append(metrics)
        print(f"seed {seed}: {summary(metrics)}")
    mean = lambda f: statistics.mean(f(m) for m in runs)  # noqa: E731
    print(f"mean over seeds: macro-F1 {mean(lambda m: m['macro_f1']):.3f}  "
          f"esc recall {mean(lambda m: m['escalation']['recall']):.3f}  "
          f"esc precision {mean(lambda m: m['escalation']['precision']):.3f}  "
          f"date {mean(lambda m: m['promise_date']['exact_match']):.3f}")  # fmt: skip
    if args.by_language:
        print("leave one language out, accuracy:", leave_language_out(items))


if __name__ == "__main__":
    main()
