"""The root click group, shared options and the per-invocation application context."""

import sys
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import click

from copilot import clock, redact
from copilot.config import Settings, load_settings
from copilot.errors import CopilotError
from copilot.policy.model import Policy, load_policy
from copilot.store import Store


class App:
    """What a command needs: settings, policy and the store, created on first use."""

    def __init__(self, overrides: dict[str, Any] | None = None):
        self.overrides = {k: v for k, v in (overrides or {}).items() if v is not None}

    @cached_property
    def settings(self) -> Settings:
        settings = load_settings(**self.overrides)
        if settings.today:
            clock.pin(settings.today)
        return settings

    @cached_property
    def policy(self) -> Policy:
        return load_policy(self.settings.policy_path)

    @cached_property
    def store(self) -> Store:
        return Store.open(self.settings.db_path)


pass_app = click.make_pass_decorator(App)

# A run that finished but left some messages for a person (a reply that could not be routed, a message the
# server would not mark processed): the rest was done, so this is not the error exit (1), yet scripts can see it.
EXIT_NEEDS_ATTENTION = 3


class CopilotGroup(click.Group):
    """Turns the product's errors into a clean message and exit code 1, without a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CopilotError as exc:
            click.secho(redact.redact(f"Error: {exc}"), fg="red", err=True)
            sys.exit(1)


@click.group(cls=CopilotGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_path", type=click.Path(path_type=Path), help="SQLite database file (setting COPILOT_DB_PATH).")
@click.option("--policy", "policy_path", type=click.Path(path_type=Path), help="Policy file, TOML or YAML.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Run as if today were this date (YYYY-MM-DD).")
@click.version_option(package_name="collector-copilot")
@click.pass_context
def main(ctx: click.Context, db_path: Path | None, policy_path: Path | None, today: Any) -> None:
    """Collector Copilot: triage AR replies, route them and draft tier-aware reminders."""
    day: date | None = today.date() if today else None
    redact.install()  # every log line of every command passes through the redaction
    ctx.obj = App({"db_path": db_path, "policy_path": policy_path, "today": day})
