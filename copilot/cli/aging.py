"""`copilot aging`: the bucket table, with collection metrics."""

import json

import click

from copilot import clock
from copilot.cli.app import App, main, pass_app
from copilot.ledger.aging import aging_report
from copilot.ledger.metrics import DEFAULT_PERIOD_DAYS, compute_metrics
from copilot.ledger.money import fmt


@main.command("aging")
@click.option("--json", "as_json", is_flag=True, help="Print the report and metrics as JSON.")
@click.option(
    "--period-days",
    type=click.IntRange(min=1),
    default=DEFAULT_PERIOD_DAYS,
    show_default=True,
    help="Length of the period that DSO, CEI and the other metrics cover.",
)
@pass_app
def aging(app: App, as_json: bool, period_days: int) -> None:
    """Show open receivables by aging bucket, with totals per currency, the action each needs, and metrics."""
    as_of = app.settings.today or clock.today()
    report = aging_report(app.store, app.policy, as_of)
    metrics = compute_metrics(app.store, as_of, period_days, app.policy)
    if as_json:
        click.echo(json.dumps({**report.as_dict(), "metrics": metrics}, indent=2))
        return
    click.echo(f"Aging as of {report.as_of.isoformat()}")
    click.echo(f"{'bucket':<8} {'invoices':>8}  {'open amount':<28} action")
    for bucket in [*report.buckets, report.not_due]:
        totals = ", ".join(fmt(v, c) for c, v in sorted(bucket.totals.items())) or "-"
        click.echo(f"{bucket.name:<8} {bucket.count:>8}  {totals:<28} {bucket.action}")
    _echo_metrics(metrics)


def _per_currency(values: dict[str, str | None], unit: str) -> str:
    return ", ".join(f"{cur} {v}{unit}" for cur, v in values.items() if v is not None) or "n/a"


def _echo_metrics(m: dict) -> None:
    ptp, disputes, alerts, recovery = m["promises"], m["disputes"], m["alerts"], m["recovery_without_escalation"]
    rate = "n/a" if ptp["kept_rate"] is None else f"{ptp['kept_rate']:.0%}"
    click.echo(f"\nMetrics for the {m['period_days']} days to {m['as_of']}")
    click.echo(f"  DSO: {_per_currency(m['dso_days'], ' days')}")
    click.echo(f"  CEI: {_per_currency(m['cei_percent'], '%')}")
    click.echo(f"  Promises: {ptp['kept']} kept, {ptp['broken']} broken (kept rate {rate}), {ptp['open']} open")
    reasons = ", ".join(f"{r} {n}" for r, n in disputes["by_reason"].items()) or "none"
    click.echo(f"  Open disputes: {disputes['open']} ({reasons})")
    click.echo(f"  Alerts sent: {alerts['sent']} ({alerts['pending']} pending, {alerts['failed']} failed)")
    share = "n/a" if recovery["rate"] is None else f"{recovery['rate']:.0%}"
    click.echo(
        f"  Recovered without escalation: {recovery['without_escalation']} of {recovery['overdue_payments']} "
        f"overdue payments ({share})"
    )
