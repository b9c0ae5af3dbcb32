"""`copilot classify [FILE.eml | -] [--json]`: classify one message from a file or standard input."""

import json
from pathlib import Path
from typing import BinaryIO

import click

from copilot.cli.app import App, main, pass_app


@main.command("classify")
@click.argument("message", type=click.File("rb"), default="-", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the classification as JSON.")
@click.option("--classifier", "mode", type=click.Choice(["local", "llm", "auto", "keyword"]), default=None,
              help="Which classifier to use (default: the classifier.mode setting, 'auto').")  # fmt: skip
@pass_app
def classify(app: App, message: BinaryIO, as_json: bool, mode: str | None) -> None:
    """Classify one email (an .eml file, or - for standard input; plain text without headers works too): label, frustration, confidence and facts."""
    from copilot.classify import build_classifier
    from copilot.classify.gist import Gister, build_gister
    from copilot.classify.message import classify_raw

    settings = app.settings
    # An LLM needs the database (its answer cache and cost log), and an existing database may hold the team's
    # trained model (`copilot train`); otherwise the offline path leaves no file behind.
    wants_llm = mode == "llm" or (mode in (None, "auto") and settings.classifier.mode != "local" and settings.llm.configured)
    store = app.store if wants_llm or (mode != "keyword" and Path(settings.db_path).is_file()) else None
    classifier = build_classifier(settings, store, mode)
    reply, result = classify_raw(classifier, message.read())
    # A reply in another language gets its one-line English gist; the model writes it only where it may read replies.
    gist = (build_gister(settings, store) if wants_llm else Gister()).gist(reply, result)
    if as_json:
        data = result.model_dump(mode="json")
        data["escalate"] = result.escalate
        data["gist"] = None if gist is None else {"language": gist.language, "text": gist.text, "source": gist.source}
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    click.echo(f"label:       {result.label.value}  ({result.confidence:.2f}, {result.source})")
    click.echo(f"frustrated:  {'yes' if result.frustrated else 'no'}{'  -> escalate' if result.escalate else ''}")
    if result.needs_review:
        click.echo("review:      needs a person (low confidence)")
    facts = {
        "promise date": result.promise_date, "amount": result.promise_amount and f"{result.promise_amount} {result.promise_currency or ''}".strip(),
        "dispute": result.dispute_reason, "request": result.request_kind, "auto-reply": result.auto_reply_kind,
        "back on": result.return_date,
    }  # fmt: skip
    for name, value in facts.items():
        if value:
            click.echo(f"{name + ':':<12} {value}")
    if result.evidence:
        click.echo(f"evidence:    \"{result.evidence}\"")
    if gist is not None:
        by = "" if gist.source == "local" else f" (by {gist.source})"
        click.echo(f"in English:  {gist.text}  [{gist.language}{by}]")
    if reply.subject:
        click.echo(f"subject:     {reply.subject}")
