"""`copilot policy check FILE`: validate a policy file before Finance ships it."""

from pathlib import Path

import click

from copilot.cli.app import main
from copilot.policy.model import load_policy


@main.group("policy")
def policy_group() -> None:
    """Inspect and validate the collections policy."""


@policy_group.command("check")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def check(file: Path) -> None:
    """Validate FILE and print its tiers."""
    policy = load_policy(file)
    click.echo(f"{file}: valid")
    for rule in sorted(policy.tiers, key=lambda t: t.tier):
        span = f"{rule.min_days}-{rule.max_days}" if rule.max_days else f"{rule.min_days}+"
        click.echo(f"  tier {rule.tier} ({span} days): touches on {rule.touch_days} - {rule.action}")
