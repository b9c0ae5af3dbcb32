"""Match an inbound reply to its customer and invoices, trying the most certain evidence first.

Rules, in order: the reply's In-Reply-To/References point at a reminder we sent
(`reply_header`); invoice numbers in the subject or body (`invoice_number`); the sender's
address is a known contact (`sender_address`); only the sender's domain is known
(`sender_domain`). No rule matching leaves the message unmatched, never dropped.
"""

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from copilot.store import Store, loads

# Shared mail providers: a colleague at gmail.com says nothing about which customer wrote.
FREEMAIL = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com", "icloud.com",
    "me.com", "aol.com", "gmx.de", "gmx.net", "web.de", "proton.me", "protonmail.com", "yandex.ru", "mail.ru",
    "orange.fr", "free.fr", "laposte.net", "libero.it", "qq.com", "163.com",
})  # fmt: skip
TOKEN_RE = re.compile(r"[A-Z0-9][A-Z0-9/_.\-#]{2,40}")
MAX_CANDIDATES = 500
HAS_DIGIT = re.compile(r"[0-9]").search  # TOKEN_RE admits only ASCII digits


@dataclass(frozen=True)
class Match:
    customer_id: str | None
    invoice_numbers: list[str] = field(default_factory=list)
    rule: str | None = None  # reply_header | invoice_number | sender_address | sender_domain

    @property
    def matched(self) -> bool:
        return self.customer_id is not None


@dataclass(frozen=True)
class MatchInput:
    """What matching looks at in one message."""

    references: list[str]  # In-Reply-To, References and, for bounces, the returned message's ID
    subject: str
    texts: list[str]  # most specific first: the reply text, then the full text
    from_addr: str | None


def invoice_candidates(text: str) -> list[str]:
    """Tokens that could be invoice numbers (upper-cased, trailing punctuation dropped, containing a digit)."""
    seen: dict[str, None] = {}
    for token in TOKEN_RE.findall(text.upper()):
        token = token.rstrip("./-_#")
        if len(token) >= 3 and HAS_DIGIT(token):
            seen.setdefault(token, None)
            if len(seen) >= MAX_CANDIDATES:
                break
    return list(seen)


def known_invoices(store: Store, text: str) -> list[tuple[str, str]]:
    """(invoice number, customer id) for every ledger invoice named in text, in order of appearance."""
    candidates = invoice_candidates(text)
    if not candidates:
        return []
    marks = ",".join("?" * len(candidates))
    rows = store.db.execute(
        f"select number, customer_id from invoices where upper(number) in ({marks})", candidates
    ).fetchall()
    by_number = {number.upper(): (number, customer) for number, customer in rows}
    return [by_number[c] for c in candidates if c in by_number]


def own_domains(store: Store, extra: Iterable[str | None] = ()) -> frozenset[str]:
    """Our own mail domains: those we send reminders from plus any configured addresses."""
    domains = {_domain(a) for a in extra if a}
    rows = store.db.execute("select distinct from_addr from messages where direction = 'outbound'").fetchall()
    domains |= {_domain(r[0]) for r in rows if r[0]}
    return frozenset(d for d in domains if d)


def match_message(store: Store, facts: MatchInput, ours: frozenset[str] = frozenset()) -> Match:
    """Apply the matching rules in order and return the first that finds a customer."""
    sender_is_us = _is_ours(_domain(facts.from_addr), ours)
    by_header = _by_reply_header(store, facts)
    if by_header:
        return by_header
    for text in [f"{facts.subject}\n{facts.texts[0] if facts.texts else ''}", *facts.texts[1:]]:
        found = known_invoices(store, text)
        if found:
            return _by_invoices(store, found, facts.from_addr)
    if facts.from_addr and not sender_is_us:
        by_address = _by_sender_address(store, facts.from_addr)
        if by_address:
            return by_address
        by_domain = _by_sender_domain(store, _domain(facts.from_addr), ours)
        if by_domain:
            return by_domain
    return Match(None)


def _by_reply_header(store: Store, facts: MatchInput) -> Match | None:
    refs = [r for r in dict.fromkeys(facts.references) if r][:100]
    if not refs:
        return None
    marks = ",".join("?" * len(refs))
    rows = store.db.execute(
        f"select message_id, customer_id, invoice_numbers_json from messages "
        f"where direction = 'outbound' and message_id in ({marks}) and customer_id is not null",
        refs,
    ).fetchall()
    if not rows:
        return None
    # The reference closest to the reply (last in References, or In-Reply-To) wins.
    by_id = {r[0]: r for r in rows}
    chosen = next(by_id[r] for r in reversed(refs) if r in by_id) if len(rows) > 1 else rows[0]
    customer = chosen[1]
    invoices = list(loads(chosen[2], []) or [])
    for text in [facts.subject, *facts.texts[:1]]:
        invoices += [n for n, c in known_invoices(store, text) if c == customer]
    return Match(customer, list(dict.fromkeys(invoices)), "reply_header")


def _by_invoices(store: Store, found: list[tuple[str, str]], from_addr: str | None) -> Match:
    customers = Counter(c for _, c in found)
    customer = found[0][1]
    if len(customers) > 1 and from_addr:
        # Several customers' invoices named: trust the sender when they are one of those customers.
        sender = {m.customer_id for m in (_by_sender_address(store, from_addr),) if m}
        customer = next((c for c in customers if c in sender), customers.most_common(1)[0][0])
    numbers = [n for n, c in found if c == customer]
    return Match(customer, list(dict.fromkeys(numbers)), "invoice_number")


def _by_sender_address(store: Store, from_addr: str) -> Match | None:
    rows = store.db.execute(
        "select distinct customer_id from contacts where lower(email) = ? order by customer_id", [from_addr.lower()]
    ).fetchall()
    return Match(rows[0][0], [], "sender_address") if len(rows) == 1 else None


def _by_sender_domain(store: Store, domain: str, ours: frozenset[str]) -> Match | None:
    if not domain or domain in FREEMAIL or _is_ours(domain, ours):
        return None
    rows = store.db.execute(
        "select distinct customer_id from contacts where lower(email) like ? escape '\\'",
        ["%@" + domain.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")],
    ).fetchall()
    # A domain shared by two customers (a parent company, an AP outsourcer) proves nothing.
    return Match(rows[0][0], [], "sender_domain") if len(rows) == 1 else None


def _domain(addr: str | None) -> str:
    return addr.rsplit("@", 1)[-1].strip().lower() if addr and "@" in addr else ""


def _is_ours(domain: str, ours: frozenset[str]) -> bool:
    return bool(domain) and any(domain == d or domain.endswith("." + d) for d in ours)
