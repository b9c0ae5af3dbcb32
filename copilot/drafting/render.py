"""Template drafting: a Jinja2 environment over `templates/email/`, rendering a subject and a body from facts.

Email bodies here are plain text, not HTML, so autoescaping is off: escaping would
turn "&" in a customer's name into "&amp;" in the mail. Nothing rendered here is
ever shown as HTML; the web layer renders drafts through its own autoescaping
environment. Undefined variables raise, so a template can never send "{{ name }}".
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

import jinja2

from copilot.drafting.facts import DraftFacts, SenderFact
from copilot.ledger.money import fmt
from copilot.resources import templates_dir

TONES: tuple[str, ...] = ("standard", "warmer", "firmer")


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    template: str


def long_date(day: date) -> str:
    """'20 November 2026': no day/month order to misread."""
    return f"{day.day} {day:%B %Y}"


MONTH_NAMES: dict[str, tuple[str, ...]] = {
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November",
           "Dezember"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre",
           "décembre"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"),
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december"),
}  # fmt: skip


def local_date(day: date, language: str = "en") -> str:
    """A date written out the way each language does: '20. November 2026', '20 de noviembre de 2026'."""
    if language not in MONTH_NAMES:
        return long_date(day)
    month = MONTH_NAMES[language][day.month - 1]
    if language == "de":
        return f"{day.day}. {month} {day.year}"
    if language == "es":
        return f"{day.day} de {month} de {day.year}"
    return f"{day.day} {month} {day.year}"


def money(amount: Decimal, currency: str) -> str:
    return fmt(amount, currency)


@lru_cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain-text email bodies; see the module docstring
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["long_date"] = long_date
    env.filters["ldate"] = local_date
    env.filters["money"] = lambda amount, currency: money(Decimal(amount), currency)
    return env


def template_name(facts: DraftFacts) -> str:
    """The most specific template for the draft: a segment variant when one exists."""
    base = f"tier{facts.tier}" if facts.kind == "reminder" else facts.kind
    names = _email_templates()
    if facts.language != "en" and f"email/{facts.language}/{base}.txt.j2" in names:
        return f"email/{facts.language}/{base}.txt.j2"  # translations have no segment variants
    specific = f"email/{base}.{facts.segment}.txt.j2"
    return specific if specific in names else f"email/{base}.txt.j2"


@lru_cache
def _email_templates() -> frozenset[str]:
    return frozenset(environment().list_templates(filter_func=lambda n: n.startswith("email/")))


def render_draft(facts: DraftFacts, tone: str = "standard") -> Rendered:
    """Render the template for these facts; the body carries no sign-off (the signature is appended at send)."""
    if tone not in TONES:
        raise ValueError(f"unknown tone {tone!r} (expected one of {', '.join(TONES)})")
    name = template_name(facts)
    context = {"f": facts, "tone": tone, "totals": facts.totals(), "greeting": greeting(facts), "lang": facts.language}
    module = environment().get_template(name).make_module(context)
    subject = " ".join(str(getattr(module, "subject", "")).split())
    if not subject:
        raise jinja2.TemplateError(f"{name} does not set a subject")
    body = _tidy(str(module))
    return Rendered(subject=subject, body=body, template=name)


GREETINGS: dict[str, tuple[str, str]] = {  # (to a named person, to the team)
    "en": ("Hello {name},", "Hello {company} team,"),
    "de": ("Guten Tag {name},", "Guten Tag an das Team von {company},"),
    "fr": ("Bonjour {name},", "Bonjour à l'équipe de {company},"),
    "es": ("Hola, {name}:", "Estimado equipo de {company}:"),
    "nl": ("Beste {name},", "Beste collega's van {company},"),
}
SIGN_OFFS: dict[str, str] = {"en": "Kind regards,", "de": "Mit freundlichen Grüßen", "fr": "Cordialement,",
                             "es": "Saludos cordiales,", "nl": "Met vriendelijke groet,"}  # fmt: skip


def greeting(facts: DraftFacts) -> str:
    """The contact by name when the ledger knows it, else the customer's team, in the draft's language."""
    named, team = GREETINGS.get(facts.language, GREETINGS["en"])
    name = (facts.contact_name or "").strip()
    return named.format(name=name) if name else team.format(company=facts.customer_name)


def _tidy(text: str) -> str:
    """Collapse runs of blank lines left by conditional blocks, and trailing spaces."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out)


def signature(sender: SenderFact, language: str = "en") -> str:
    """The sign-off the product appends to every outgoing body."""
    lines = [SIGN_OFFS.get(language, SIGN_OFFS["en"]), sender.name]
    lines += [part for part in (sender.title, sender.company) if part]
    lines.append(sender.email)
    return "\n".join(lines)
