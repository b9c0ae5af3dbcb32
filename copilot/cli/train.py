"""`copilot train [--dataset FILE.jsonl ...] [--force]`: the local model learns this database's inbox."""

from pathlib import Path

import click

from copilot.cli.app import App, main, pass_app


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def figures(scores: dict) -> str:
    """One line of headline scores."""
    return (f"accuracy {_fmt(scores.get('accuracy'))}  macro-F1 {_fmt(scores.get('macro_f1'))}  "
            f"escalation recall {_fmt(scores.get('escalation_recall'))} precision {_fmt(scores.get('escalation_precision'))}"
            f"  (n={scores.get('n', 0)})")  # fmt: skip


@main.command("train")
@click.option("--dataset", "datasets", multiple=True, type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="A labelled JSONL file (the eval format) of the team's own replies. Repeatable.")  # fmt: skip
@click.option("--force", is_flag=True, help="Make the model active even if it scores worse on the shipped test split (audited).")
@pass_app
def train(app: App, datasets: tuple[Path, ...], force: bool) -> None:
    """Train the local model on the shipped split, this database's corrections and any --dataset files.

    The new model becomes the active one for this database unless it loses more than classifier.max_test_drop
    macro-F1 on the shipped test split; `copilot model list` shows every version, `copilot model use` switches.
    """
    from copilot.classify.retrain import retrain

    outcome = retrain(app.store, app.settings, list(datasets), actor="cli", force=force,
                      say=lambda m: click.echo(m, err=True))  # fmt: skip
    info = outcome.model
    if outcome.dropped_test_copies:
        click.echo(f"left out {outcome.dropped_test_copies} given repl(ies) that repeat the shipped test split")
    click.echo(f"model {info.name}, cross-validated (5-fold, out of fold):")
    click.echo(f"  all examples:       {figures(info.cv['all'])}")
    click.echo(f"  the team's own:     {figures(info.cv['team'])}")
    click.echo("shipped test split:")
    click.echo(f"  shipped model:      {figures(info.baseline)}")
    click.echo(f"  {info.name + ':':<19} {figures(info.test)}")
    if outcome.activated and outcome.reason:
        click.secho(f"{info.name} is now the active model, forced although {outcome.reason}", fg="yellow")
    elif outcome.activated:
        click.echo(f"{info.name} is now the active model for this database")
    else:
        click.secho(f"{info.name} was stored but NOT made active: {outcome.reason}", fg="red", err=True)
        click.echo(f"the active model is unchanged; `copilot model use {info.name} --force` would use it anyway", err=True)
        raise SystemExit(1)
