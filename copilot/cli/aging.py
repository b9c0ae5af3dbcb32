"""`copilot aging`: the bucket table."""

import json

import click

from copilot import clock
from copilot.aging import aging_report
from copilot.cli.app import App, main, pass_app
from copilot.money import fmt


@main.command("aging")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_app
def aging(app: App, as_json: bool) -> None:
    """Show open receivables by aging bucket, with totals per currency and the action each needs."""
    app.settings  # pins the clock when COPILOT_TODAY is set
    report = aging_report(app.store, app.policy, clock.today())
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
        return
    click.echo(f"Aging as of {report.as_of.isoformat()}")
    click.echo(f"{'bucket':<8} {'invoices':>8}  {'open amount':<28} action")
    for bucket in [*report.buckets, report.not_due]:
        totals = ", ".join(fmt(v, c) for c, v in sorted(bucket.totals.items())) or "-"
        click.echo(f"{bucket.name:<8} {bucket.count:>8}  {totals:<28} {bucket.action}")
