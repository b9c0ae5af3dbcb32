"""The demo's drafting step: plan the demo day's reminders from the sample ledger (and any triaged mail)."""

from copilot.demo.runner import DemoResult, demo_settings, step
from copilot.drafting.plan import plan_day
from copilot.policy.model import Policy
from copilot.store import Store


@step("drafts")
def plan_demo_day(store: Store, policy: Policy, result: DemoResult) -> None:
    plan = plan_day(store, policy, demo_settings(result.db_path), result.today)
    summary = plan.summary()
    kinds = ", ".join(f"{n} {k}" for k, n in summary["by_kind"].items()) or "none"
    tiers = ", ".join(f"T{t}: {n}" for t, n in summary["by_tier"].items()) or "-"
    result.notes.append(f"drafts: {len(plan.created)} planned for {result.today.isoformat()} ({kinds}; {tiers}); "
                        f"{summary['auto_send']} may go out automatically")  # fmt: skip
    result.notes.append(f"drafts: review them with `copilot --db {result.db_path} drafts list` (the settings file "
                        "beside the demo database gives every command the demo's clock, identity and outbox)")  # fmt: skip
