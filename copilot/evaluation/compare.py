"""Comparing two saved runs, and regression gates such as `macro_f1=0.8`."""

import json
from dataclasses import dataclass
from pathlib import Path

from copilot.errors import CopilotError
from copilot.evaluation.metrics import GATE_PATHS, headline
from copilot.evaluation.runner import RUN_SCHEMA
from copilot.labels import LABELS

HEADLINE = ("accuracy", "strict_accuracy", "macro_f1", "escalation_recall", "escalation_precision", "promise_date_match")
CLASS_SCORES = ("precision", "recall", "f1")


class RunFileError(CopilotError):
    """A run file is missing or is not the output of `copilot eval --json`."""


@dataclass(frozen=True)
class Gate:
    metric: str
    threshold: float

    def __str__(self) -> str:
        return f"{self.metric}={self.threshold:g}"


@dataclass(frozen=True)
class Delta:
    name: str
    before: float | None
    after: float | None

    @property
    def change(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before


def load_run(path: Path) -> dict:
    """Read a run file written by `copilot eval --json`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunFileError(f"{path}: no such run file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunFileError(f"{path}: not a JSON run file ({exc})") from None
    if not isinstance(data, dict) or data.get("schema") != RUN_SCHEMA or not isinstance(data.get("metrics"), dict):
        raise RunFileError(f"{path}: not a run file from `copilot eval --json` (expected schema {RUN_SCHEMA!r})")
    return data


def parse_gate(text: str) -> Gate:
    """Parse `metric=value`, e.g. `macro_f1=0.8` or `dispute.recall=0.9`."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep:
        raise CopilotError(f"gate {text!r} must look like metric=value, e.g. macro_f1=0.8")
    if name not in GATE_PATHS:
        known = ", ".join(HEADLINE) + ", or <label>.precision|recall|f1"
        raise CopilotError(f"gate {text!r} names an unknown metric {name!r}; use one of {known}")
    try:
        threshold = float(value)
    except ValueError:
        raise CopilotError(f"gate {text!r}: {value!r} is not a number") from None
    if not 0 <= threshold <= 1:
        raise CopilotError(f"gate {text!r}: the threshold must be between 0 and 1")
    return Gate(name, threshold)


def failed_gates(metrics: dict, gates: list[Gate]) -> list[str]:
    """A sentence for each gate the run falls below; a metric the run could not measure fails too."""
    scores = headline(metrics)
    failures = []
    for gate in gates:
        value = scores[gate.metric]
        if value is None:
            failures.append(f"{gate.metric} was not measured on this run (gate {gate})")
        elif value < gate.threshold:
            failures.append(f"{gate.metric} is {value:.4f}, below the gate {gate.threshold:g}")
    return failures


def headline_deltas(run_a: dict, run_b: dict) -> list[Delta]:
    a, b = headline(run_a["metrics"]), headline(run_b["metrics"])
    return [Delta(name, a[name], b[name]) for name in HEADLINE]


def class_deltas(run_a: dict, run_b: dict) -> dict[str, list[Delta]]:
    """Per label: precision, recall and F1 before and after."""
    a, b = headline(run_a["metrics"]), headline(run_b["metrics"])
    return {label: [Delta(s, a[f"{label}.{s}"], b[f"{label}.{s}"]) for s in CLASS_SCORES] for label in LABELS}


def comparison_warnings(run_a: dict, run_b: dict) -> list[str]:
    """Why the two runs may not be comparable."""
    da, db = run_a.get("dataset", {}), run_b.get("dataset", {})
    if da.get("sha256") and db.get("sha256") and da["sha256"] != db["sha256"]:
        return [f"the runs scored different datasets ({da.get('path')} vs {db.get('path')}); deltas mix data and model changes"]
    return []


def comparison_json(run_a: dict, run_b: dict, gates: list[Gate]) -> dict:
    """The comparison as data, for `--compare --json`."""
    def pack(deltas: list[Delta]) -> dict:
        return {d.name: {"a": d.before, "b": d.after, "delta": d.change} for d in deltas}

    return {
        "a": {k: run_a.get(k) for k in ("classifier", "provenance", "dataset")},
        "b": {k: run_b.get(k) for k in ("classifier", "provenance", "dataset")},
        "headline": pack(headline_deltas(run_a, run_b)),
        "per_class": {label: pack(d) for label, d in class_deltas(run_a, run_b).items()},
        "warnings": comparison_warnings(run_a, run_b),
        "failed_gates": failed_gates(run_b["metrics"], gates),
    }
