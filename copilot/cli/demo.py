"""`copilot demo`: run the product on the built-in sample data."""

from pathlib import Path

import click

from copilot.cli.app import App, main, pass_app
from copilot.cli.serve import run_server
from copilot.demo import drafts, mail, users  # noqa: F401  (each registers its demo step)
from copilot.demo.runner import DEMO_TODAY, run_demo
from copilot.ledger.money import fmt


@main.command("demo")
@click.option("--dir", "folder", type=click.Path(path_type=Path, file_okay=False), default=Path(".copilot-demo"),
              show_default=True, help="Where the demo database is written (recreated each run).")  # fmt: skip
@click.option("--serve/--no-serve", default=True, show_default=True, help="Open the web UI on the demo data afterwards.")
@click.option("--port", type=int, help="Port for the web UI (default: setting COPILOT_WEB__PORT, 8000).")
@pass_app
def demo(app: App, folder: Path, serve: bool, port: int | None) -> None:
    """Load the sample customers, invoices and mail into a fresh demo database, show the result and serve the UI."""
    folder.mkdir(parents=True, exist_ok=True)
    today = app.settings.today or DEMO_TODAY
    result = run_demo(folder / "demo.db", app.policy, today, on_step=lambda name: click.echo(f"· {name}"))
    click.echo(f"Demo database: {result.db_path} (clock pinned to {result.today.isoformat()})")
    for note in result.notes:
        click.echo(f"  {note}")
    if result.aging:
        click.echo("Aging:")
        for bucket in [*result.aging.buckets, result.aging.not_due]:
            totals = ", ".join(fmt(v, c) for c, v in sorted(bucket.totals.items())) or "-"
            click.echo(f"  {bucket.name:<8} {bucket.count:>3} invoices  {totals}")
    if serve:
        # The settings file run_demo wrote beside the database gives the UI the demo's identity, outbox and clock.
        demo_app = App({**app.overrides, "db_path": Path(result.db_path), "today": result.today})
        click.echo("Sign in with one of the logins above.")
        run_server(demo_app, None, port, demo=True)
