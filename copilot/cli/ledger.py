"""`copilot import invoices|payments FILE.csv`."""

from pathlib import Path

import click
from tqdm import tqdm

from copilot import clock
from copilot.cli.app import App, main, pass_app
from copilot.ledger import importer
from copilot.routing.scheduler import on_payments


@main.group("import")
def import_group() -> None:
    """Load the receivables ledger from CSV exports."""


def _count_rows(path: Path) -> int:
    try:
        with path.open("rb") as fh:
            return max(sum(1 for _ in fh) - 1, 0)
    except OSError:
        return 0


def _report(result: importer.ImportResult) -> None:
    s = result.summary()
    click.echo(
        f"{s['kind']}: {s['rows']} rows — {s['created']} created, {s['updated']} updated, "
        f"{s['unchanged']} unchanged, {s['skipped']} skipped"
    )
    for line, reason in result.skipped:
        click.echo(f"  skipped line {line}: {reason}", err=True)


@import_group.command("invoices")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows and report the invalid ones.")
@pass_app
def import_invoices(app: App, file: Path, skip_invalid: bool) -> None:
    """Import or update invoices, customers and billing contacts from FILE."""
    with tqdm(total=_count_rows(file), unit="row", disable=None, leave=False) as bar:
        result = importer.import_invoices(app.store, file, app.policy, skip_invalid=skip_invalid, progress=bar.update)
    _report(result)


@import_group.command("payments")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows and report the invalid ones.")
@pass_app
def import_payments(app: App, file: Path, skip_invalid: bool) -> None:
    """Record payments from FILE and update invoice balances."""
    with tqdm(total=_count_rows(file), unit="row", disable=None, leave=False) as bar:
        result = importer.import_payments(app.store, file, skip_invalid=skip_invalid, progress=bar.update)
    _report(result)
    followed = on_payments(app.store, result.affected_invoices, app.policy, clock.today())
    if followed.promises_kept or followed.paid_claims_confirmed:
        click.echo(f"promises kept: {len(followed.promises_kept)}; "
                   f"paid claims confirmed: {len(followed.paid_claims_confirmed)}")  # fmt: skip
