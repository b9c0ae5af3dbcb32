"""The HTML report of a scoring run: headline scores, a confusion-matrix heat map and the misclassified replies.

One self-contained file (inline CSS, no scripts, no external assets) so it can be mailed or archived.
"""

from collections.abc import Sequence
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from copilot.evaluation.dataset import atomic_write
from copilot.evaluation.metrics import Pair, is_correct
from copilot.labels import LABEL_ACTIONS, Label

_env = Environment(
    loader=PackageLoader("copilot.evaluation", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def pct(value: float | None, digits: int = 1) -> str:
    """A share as a percentage; n/a when it could not be measured."""
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"


def num(value: float | None, digits: int = 2) -> str:
    """A number with thousands separators; n/a when it could not be measured."""
    return "n/a" if value is None else f"{value:,.{digits}f}"


def ms(value: float | None) -> str:
    """Milliseconds with enough digits to tell fast classifiers apart."""
    return "n/a" if value is None else f"{value:,.2f}" if value < 10 else f"{value:,.0f}"


_env.filters.update(pct=pct, num=num, ms=ms)


def heat_colour(count: int, row_total: int, diagonal: bool) -> str:
    """Cell background: green on the diagonal, red off it, stronger with the share of the row."""
    if not count or not row_total:
        return "#ffffff"
    share = count / row_total
    alpha = 0.12 + 0.78 * share
    return f"rgba(22, 128, 60, {alpha:.2f})" if diagonal else f"rgba(200, 40, 30, {alpha:.2f})"


def _heat_rows(confusion: dict) -> list[dict]:
    labels, matrix = confusion["labels"], confusion["matrix"]
    rows = []
    for i, label in enumerate(labels):
        total = sum(matrix[i])
        cells = [
            {"count": n, "share": n / total if total else 0.0, "colour": heat_colour(n, total, i == j),
             "dark": bool(total) and n / total > 0.55, "gold": label, "predicted": labels[j]}
            for j, n in enumerate(matrix[i])
        ]  # fmt: skip
        rows.append({"label": label, "total": total, "cells": cells})
    return rows


def _misclassified(pairs: Sequence[Pair]) -> list[dict]:
    order = {label.value: i for i, label in enumerate(Label)}
    wrong = [(g, p) for g, p in pairs if not is_correct(g, p)]
    wrong.sort(key=lambda gp: (order[gp[0].label.value], order[gp[1].label.value], gp[0].id))
    return [{"gold": g, "pred": p} for g, p in wrong]


def _other_misses(pairs: Sequence[Pair]) -> list[dict]:
    """Right label, but a missed or false escalation, or a wrong promise date."""
    out = []
    for g, p in pairs:
        if not is_correct(g, p):
            continue
        problems = []
        if g.escalate and not p.escalate:
            problems.append("escalation missed")
        elif p.escalate and not g.escalate:
            problems.append("escalated without cause")
        if g.promise_date is not None and p.promise_date != g.promise_date:
            problems.append(f"promise date {p.promise_date or 'missing'}, expected {g.promise_date}")
        if problems:
            out.append({"gold": g, "pred": p, "problems": problems})
    return out


def render_report(record: dict, pairs: Sequence[Pair]) -> str:
    """The report as one HTML string; every dataset string is escaped."""
    metrics = record["metrics"]
    return _env.get_template("report.html.j2").render(
        run=record,
        m=metrics,
        heat=_heat_rows(metrics["confusion"]),
        answered=[(kind, list(counts.items())) for key, kind in (("source", "stage"), ("model", "model"), ("prompt_version", "prompt"))
                  if (counts := (record.get("provenance") or {}).get(key))],  # fmt: skip
        misclassified=_misclassified(pairs),
        other_misses=_other_misses(pairs),
        actions={label.value: action for label, action in LABEL_ACTIONS.items()},
    )


def write_report(path: Path, record: dict, pairs: Sequence[Pair]) -> None:
    """Render the report and write it to `path`, atomically."""
    atomic_write(path, render_report(record, pairs))
