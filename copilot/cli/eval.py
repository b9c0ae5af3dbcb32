"""`copilot eval DATASET.jsonl`, `copilot eval --compare A.json B.json` and `copilot eval export-corrections OUT.jsonl`."""

import json
from pathlib import Path

import click
from click_default_group import DefaultGroup

from copilot.cli.app import App, main, pass_app
from copilot.errors import CopilotError
from copilot.evaluation import compare as cmp
from copilot.evaluation.console import format_comparison, format_run
from copilot.evaluation.corrections import export_corrections
from copilot.evaluation.dataset import load_dataset
from copilot.evaluation.metrics import pair_up
from copilot.evaluation.predictions import write_predictions
from copilot.evaluation.report import write_report
from copilot.evaluation.runner import resolve_classifier, run_classifier, run_record

MODES = ("local", "llm", "auto", "keyword")


def _gates(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[cmp.Gate]:
    try:
        return [cmp.parse_gate(v) for v in values]
    except CopilotError as exc:
        raise click.BadParameter(str(exc)) from None


def _enforce(failures: list[str]) -> None:
    for failure in failures:
        click.secho(f"gate failed: {failure}", fg="red", err=True)
    if failures:
        raise SystemExit(1)


@main.group("eval", cls=DefaultGroup, default="run")
def eval_group() -> None:
    """Score a classifier on a labelled set, compare runs, export corrections.

    \b
      copilot eval DATASET.jsonl [--classifier local|llm|auto|keyword] [--predictions OUT.jsonl] [--report OUT.html] [--json]
      copilot eval --compare RUN_A.json RUN_B.json [--fail-under macro_f1=0.8 ...]
      copilot eval export-corrections OUT.jsonl
    """


@eval_group.command("run")
@click.argument("dataset", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--classifier", "mode", type=click.Choice(MODES), help="Which classifier to score (default: the configured mode).")
@click.option("--predictions", type=click.Path(path_type=Path, dir_okay=False), help="Write one JSON prediction per reply here.")
@click.option("--report", type=click.Path(path_type=Path, dir_okay=False), help="Write a self-contained HTML report here.")
@click.option("--json", "as_json", is_flag=True, help="Print the run (or the comparison) as JSON; save it for --compare.")
@click.option("--compare", nargs=2, type=click.Path(path_type=Path, dir_okay=False), default=None, metavar="RUN_A RUN_B",
              help="Compare two saved runs instead of scoring.")  # fmt: skip
@click.option("--fail-under", "gates", multiple=True, callback=_gates, metavar="METRIC=VALUE",
              help="Exit 1 when the (new) run scores below VALUE, e.g. macro_f1=0.8 or dispute.recall=0.9. Repeatable.")  # fmt: skip
@click.option("--progress/--no-progress", default=True, help="Show a progress bar on stderr.")
@pass_app
def run(app: App, dataset: Path | None, mode: str | None, predictions: Path | None, report: Path | None,
        as_json: bool, compare: tuple[Path, Path] | None, gates: list[cmp.Gate], progress: bool) -> None:  # fmt: skip
    """Score a classifier on DATASET (JSONL), or compare two runs with --compare."""
    if compare:
        if dataset or predictions or report or mode:
            raise click.UsageError("--compare takes two run files and no dataset, --classifier, --predictions or --report")
        _compare(*compare, gates, as_json)
        return
    if dataset is None:
        raise click.UsageError("give a DATASET.jsonl to score, or --compare RUN_A.json RUN_B.json")
    rows = load_dataset(dataset)
    resolved = resolve_classifier(mode or app.settings.classifier.mode, lambda: app.settings, lambda: app.store)
    for note in resolved.notes:
        click.secho(f"note: {note}", fg="yellow", err=True)
    result = run_classifier(resolved.classifier, rows, store=resolved.store, progress=progress)
    result.notes.extend(resolved.notes)
    record = run_record(dataset, rows, result)
    if predictions:
        write_predictions(predictions, result.predictions)
    if report:
        write_report(report, record, pair_up(rows, result.predictions))
    click.echo(json.dumps(record, indent=2, ensure_ascii=False) if as_json else format_run(record))
    for path, what in ((predictions, "predictions"), (report, "report")):
        if path:
            click.echo(f"{what} written to {path}", err=True)
    _enforce(cmp.failed_gates(record["metrics"], gates))


def _compare(path_a: Path, path_b: Path, gates: list[cmp.Gate], as_json: bool) -> None:
    run_a, run_b = cmp.load_run(path_a), cmp.load_run(path_b)
    if as_json:
        click.echo(json.dumps(cmp.comparison_json(run_a, run_b, gates), indent=2, ensure_ascii=False))
    else:
        click.echo(format_comparison(run_a, run_b))
    _enforce(cmp.failed_gates(run_b["metrics"], gates))


@eval_group.command("export-corrections")
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@pass_app
def export_corrections_cmd(app: App, out: Path) -> None:
    """Write collectors' corrections (human classifications) to OUT as a labelled JSONL set."""
    written, skipped = export_corrections(app.store, out)
    if skipped:
        click.echo(f"skipped {skipped} corrected message(s) with no text", err=True)
    if written:
        click.echo(f"wrote {written} corrected repl{'y' if written == 1 else 'ies'} to {out}")
    else:
        click.echo("no human corrections in the database yet; nothing was written")
