"""`copilot model list|use VERSION`: the local models trained on this database, and which one answers."""

import json

import click

from copilot.cli.app import App, main, pass_app
from copilot.cli.train import figures


@main.group("model")
def model() -> None:
    """This database's local models (`copilot train` makes them)."""


@model.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the versions as JSON.")
@pass_app
def list_(app: App, as_json: bool) -> None:
    """Every stored version, newest first, with its scores; * marks the active one."""
    from copilot.classify.registry import corrections_waiting, list_models

    infos = list_models(app.store)
    waiting = corrections_waiting(app.store)
    if as_json:
        rows = [{"version": i.name, "active": i.active, "status": i.status, "usable": i.usable, "created_at": i.created_at,
                 "created_by": i.created_by, "reason": i.reason, "forced": i.forced, "sources": i.sources, "cv": i.cv,
                 "test": i.test, "baseline": i.baseline} for i in infos]  # fmt: skip
        click.echo(json.dumps({"models": rows, "corrections_waiting": waiting}, indent=2, ensure_ascii=False))
        return
    shipped_active = not any(i.active for i in infos)
    click.echo(f"{'*' if shipped_active else ' '} shipped   the built-in model (shipped train split only)")
    for info in infos:
        state = info.status + ("" if info.usable else ", not usable: another release, or weights dropped") + (", forced" if info.forced else "")
        counts = ", ".join(f"{n} {k}" for k, n in info.sources.get("counts", {}).items())
        click.echo(f"{'*' if info.active else ' '} {info.name:<9} {info.created_at[:16]}  {state}  ({counts})")
        if info.test:
            click.echo(f"            test split: {figures(info.test)}")
        if info.reason:
            click.echo(f"            {'forced although' if info.forced else 'not made active:'} {info.reason}")
    click.echo(f"{waiting} correction(s) made since the active model was trained")


@model.command("use")
@click.argument("version")
@click.option("--force", is_flag=True, help="Use a version that failed the test-split check (audited).")
@pass_app
def use(app: App, version: str, force: bool) -> None:
    """Make VERSION (e.g. v3, or 'shipped') the active local model for this database."""
    from copilot.classify.registry import use_model

    info = use_model(app.store, version, actor="cli", force=force)
    click.echo(f"{info.name if info else 'the shipped model'} is now the active model for this database")
