"""Read-only queries behind the list screens: worklist, inbox, dashboard, disputes, promises and alerts.

Each returns plain dicts for a template. Nothing here writes. Every query that lists accounts'
records takes an `AccountScope` (copilot.web.scope) and filters with its `where()`, so an
account-team user sees only their accounts; the default, EVERYONE, is for collectors and admins.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from copilot.config import ReportingSettings
from copilot.drafting.stale import shown_stale_sql
from copilot.drafting.summary import KIND_REASONS
from copilot.ledger.aging import OPEN_STATUSES
from copilot.ledger.metrics import DISPUTE_AGES
from copilot.policy.cadence import BUCKETS, NOT_DUE, bucket_action
from copilot.policy.model import Policy
from copilot.store import Store, loads
from copilot.web.scope import EVERYONE, AccountScope
from copilot.web.templating import day, money, words

SEGMENT_RANK = {"strategic": 0, "mid-market": 1, "long-tail": 2}
PAGE = 100
# Screens whose rows carry the most (reasons, replies, flags; a relabel form per reply) show fewer per page:
# rendering, not the query, is then most of a page's cost.
WORK_PAGE = 50


def priority_key(row: dict) -> tuple:
    """Pure: the 'priority' order — higher tier first, then segment, risky first, then the larger amount."""
    return (-(row["tier"] or 0), SEGMENT_RANK.get(row["segment"], 3), -(row["risky"] or 0),
            -(row["reporting_amount"] or 0))  # fmt: skip


WAITING = ("draft", "failed")
SORTS = {"amount": "amount in the reporting currency", "overdue": "days overdue", "priority": "priority"}
HISTORY_TABS = ("sent", "rejected", "expired", "stale")


def _dicts(cursor) -> list[dict]:
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, r)) for r in cursor.fetchall()]


def _rate_case(column: str, reporting: ReportingSettings) -> tuple[str, list]:
    """SQL turning an amount in `column`'s currency into the reporting currency (NULL when no rate is set)."""
    rates = {reporting.currency: Decimal(1), **reporting.rates}
    whens = " ".join("when ? then ?" for _ in rates)
    args: list = [x for code, rate in rates.items() for x in (code, float(rate))]
    return f"(case upper({column}) {whens} end)", args


def stale_condition(store: Store) -> str:
    """How the Stale tab recognises a stale draft: the same test the draft page shows its stale banner by."""
    return shown_stale_sql("d")


def worklist(store: Store, as_of: date, reporting: ReportingSettings | None = None, *, tier: int | None = None,
             segment: str | None = None, owner: str | None = None, sort: str = "amount", page: int = 1,
             per_page: int = WORK_PAGE, scope: AccountScope = EVERYONE) -> dict:  # fmt: skip
    """Drafts waiting for a person (and failed sends to retry), one page in the chosen order, with counts.

    The order comes from the totals the planner stored on each draft, so a page costs what it shows;
    the rows on the page then get today's balances, last reply, last touch and flags.
    """
    reporting = reporting or ReportingSettings()
    sort = sort if sort in SORTS else "amount"
    waiting = ",".join("?" * len(WAITING))
    counts: dict = {"total": 0, "tier": defaultdict(int), "segment": defaultdict(int), "status": defaultdict(int)}
    groups = store.db.execute(f"select status, tier, segment, count(*) from drafts where status in ({waiting}) "
                              "group by status, tier, segment", WAITING).fetchall()  # in the worklist index's order  # fmt: skip
    for status, t, seg, n in groups:
        counts["total"] += n
        counts["tier"][t] += n
        counts["segment"][seg] += n
        counts["status"][status] += n
    counts = {k: (dict(sorted(v.items(), key=lambda kv: str(kv[0]))) if isinstance(v, dict) else v) for k, v in counts.items()}
    owners = [r[0] for r in store.db.execute("select distinct account_owner_email from customers "
                                             "where account_owner_email is not null order by 1")]  # fmt: skip
    source, order, order_args, args = _worklist_order(reporting, tier, segment, owner, sort, scope)
    if owner or not scope.everyone:
        matching = store.db.execute(f"select count(*) {source}", args).fetchone()[0]
    else:  # the counts above already hold it
        matching = sum(n for _, t, seg, n in groups if (tier is None or t == tier) and (not segment or seg == segment))
    pages = max(1, -(-matching // per_page))
    page = min(max(1, page), pages)
    # First the page's ids in order, from the narrow worklist index alone; then those rows in full.
    keys = store.db.execute(f"select d.id, {order[0]} as rep {source} order by {order[1]} limit ? offset ?",
                            [*order_args, *args, per_page, (page - 1) * per_page]).fetchall()  # fmt: skip
    position = {draft_id: n for n, (draft_id, _) in enumerate(keys)}
    marks = ",".join("?" * len(keys))
    rows = _dicts(store.db.execute(f"""
        select d.id, d.customer_id, c.name as customer_name, coalesce(d.segment, c.segment) as segment,
               coalesce(d.risky, c.risky, 0) as risky, c.account_owner_email as owner, d.tier, d.kind, d.reason, d.subject,
               d.contact_email, d.status, d.generator, d.auto_send, d.guardrail_flags_json, d.plan_date, d.last_error,
               d.oldest_due, d.invoice_numbers_json, d.stale_at, d.stale_reason
        from drafts d join customers c on c.id = d.customer_id where d.id in ({marks})""", [k[0] for k in keys]))  # fmt: skip
    rows.sort(key=lambda r: position[r["id"]])
    amounts = dict(keys)
    for row in rows:
        row["reporting_amount"] = amounts[row["id"]]
    _decorate(store, rows, as_of, reporting)
    return {"rows": rows, "matching": matching, "counts": counts, "owners": owners, "sort": sort, "page": page,
            "pages": pages, "reporting": reporting}  # fmt: skip


def _worklist_order(reporting: ReportingSettings, tier: int | None, segment: str | None, owner: str | None, sort: str,
                    scope: AccountScope) -> tuple[str, tuple[str, str], list, list]:  # fmt: skip
    """The worklist's FROM/WHERE (with its arguments) and its ORDER BY for a sort: shared by a page and "next draft".

    The WHERE is one parenthesised condition, so "next draft" can widen it to the draft on screen.
    """
    waiting = ",".join("?" * len(WAITING))
    where, args = [f"d.status in ({waiting})"], list(WAITING)
    join = ""
    if tier is not None:
        where.append("d.tier = ?")
        args.append(tier)
    if segment:
        where.append("d.segment = ?")
        args.append(segment)
    if owner:
        join = "join customers c on c.id = d.customer_id"
        where.append("c.account_owner_email = ?")
        args.append(owner)
    if not scope.everyone:
        in_scope, scope_args = scope.where("d.customer_id")
        where.append(in_scope)
        args += scope_args
    single, single_args = _rate_case("d.open_currency", reporting)
    mixed, mixed_args = _rate_case("j.key", reporting)
    rep = (f"coalesce(cast(d.open_amount as real) * {single}, (select sum(cast(j.value as real) * {mixed}) "
           f"from json_each(d.open_totals_json) j))")  # fmt: skip
    order = {
        "amount": "rep desc nulls last, d.oldest_due nulls last, d.id",
        "overdue": "d.oldest_due nulls last, rep desc nulls last, d.id",
        "priority": "d.tier desc, case d.segment when 'strategic' then 0 when 'mid-market' then 1 when 'long-tail' then 2 "
                    "else 3 end, d.risky desc, rep desc nulls last, d.id",
    }[sort if sort in SORTS else "amount"]  # fmt: skip
    return f"from drafts d {join} where ({' and '.join(where)})", (rep, order), [*single_args, *mixed_args], args


def _history_order(store: Store, tab: str) -> tuple[str, str, list]:
    """A history tab's WHERE condition on `drafts d`, its ORDER BY (newest first) and the condition's arguments:
    shared by the tab's page and "next draft"."""
    condition = stale_condition(store) if tab == "stale" else "d.status = ?"
    return f"({condition})", "coalesce(d.sent_at, d.updated_at) desc, d.id desc", [] if tab == "stale" else [tab]


def next_draft(store: Store, draft_id: int, reporting: ReportingSettings | None = None, *, tier: int | None = None,
               segment: str | None = None, owner: str | None = None, sort: str = "amount", tab: str = "",
               scope: AccountScope = EVERYONE) -> int | None:  # fmt: skip
    """The draft after this one in the list the collector came from (the worklist with its filters and sort,
    or a history tab such as Stale), in the same order as that list's page; None at the end of the list.

    A draft that has left the list (sent, held for sending, rejected) keeps its place in the order, so the
    next one is the first listed draft that sorts after it.
    """
    if tab in HISTORY_TABS:
        condition, order, args = _history_order(store, tab)
        source, rep, order_args = f"from drafts d where {condition}", "null", []
    else:
        source, (rep, order), order_args, args = _worklist_order(reporting or ReportingSettings(), tier, segment,
                                                                 owner, sort, scope)  # fmt: skip
    # The current draft joins the ordering whatever its status, so the one after it can be found.
    ranked = source.replace(" where (", " where d.id = ? or (", 1)
    ids = [r[0] for r in store.db.execute(f"select d.id, {rep} as rep {ranked} order by {order}",
                                          [*order_args, draft_id, *args])]  # fmt: skip
    if draft_id not in ids:
        return ids[0] if ids else None
    at = ids.index(draft_id)
    return ids[at + 1] if at + 1 < len(ids) else None


def _decorate(store: Store, rows: list[dict], as_of: date, reporting: ReportingSettings) -> None:
    """Today's amounts, the reason, last reply, last touch and flags for the rows on one page."""
    if not rows:
        return
    ids = [r["id"] for r in rows]
    marks = ",".join("?" * len(ids))
    live: dict[int, dict[str, int]] = defaultdict(dict)
    due: dict[int, str] = {}
    for draft_id, currency, cents, oldest in store.db.execute(f"""
            select d.id, i.currency, sum(cast(round(cast(i.open_balance as real) * 100) as integer)), min(i.due_date)
            from drafts d, json_each(d.invoice_numbers_json) j join invoices i on i.number = j.value
            where d.id in ({marks}) and i.status in ('open', 'partially_paid') group by d.id, i.currency""", ids):  # fmt: skip
        live[draft_id][currency] = cents or 0
        due[draft_id] = min(due.get(draft_id, oldest), oldest)
    customers = sorted({r["customer_id"] for r in rows})
    facts = customer_signals(store, customers, as_of)
    for r in rows:
        per = {cur: Decimal(c) / 100 for cur, c in sorted(live.get(r["id"], {}).items())}
        r["totals"] = per
        r["currency"] = next(iter(per)) if len(per) == 1 else None
        r["amount"] = next(iter(per.values())) if len(per) == 1 else None
        r["invoices"] = len(loads(r["invoice_numbers_json"], []) or [])
        oldest = due.get(r["id"]) or r["oldest_due"]
        r["days_past_due"] = (as_of - date.fromisoformat(oldest)).days if oldest else None
        r["flags"] = len(loads(r["guardrail_flags_json"], []) or [])
        r["reason_text"] = r["reason"] or KIND_REASONS.get(r["kind"], (r["kind"] or "").replace("_", " "))
        r["bulk_ok"] = bulk_refusal(r) is None  # the rule bulk approval applies again when the form is sent
        r.update(facts.get(r["customer_id"], {}))
        # Routine means no customer risk either: a dispute, frustration or bounce needs a person's eye.
        r["bulk_ok"] = r["bulk_ok"] and not any(f["tone"] == "bad" for f in r["risk"])
        r["converted"] = converted(per, reporting)


def bulk_refusal(row: dict) -> str | None:
    """Pure: why this draft may not be approved in bulk, or None when it may (Tier 1, waiting, guardrails passed,
    not stale). The worklist offers a checkbox only where it may; bulk approval checks again."""
    if row["status"] != "draft":
        return f"is {row['status']}, not waiting"
    if row["tier"] != 1:
        return f"is Tier {row['tier']}; only Tier 1 drafts are approved in bulk"
    if row.get("guardrail_flags_json") is None:
        return "was never checked by the guardrails; review it on its own"
    if loads(row["guardrail_flags_json"], []):
        return "has guardrail flags; review it on its own"
    if row.get("stale_at"):
        return f"is stale ({row.get('stale_reason') or 'the account changed after it was planned'}); review it on its own"
    return None


def converted(totals: dict[str, Decimal], reporting: ReportingSettings) -> Decimal | None:
    """Pure: the sum of `totals` in the reporting currency, or None when a rate is missing."""
    out = Decimal(0)
    for currency, amount in totals.items():
        rate = reporting.rate(currency)
        if rate is None:
            return None
        out += amount * rate
    return out.quantize(Decimal("0.01"))


def customer_signals(store: Store, customer_ids: list[str], as_of: date) -> dict[str, dict]:
    """For each customer: the last reply (label, date, excerpt), the last touch and the risk flags.

    Every query is bounded by the customers given, so the cost follows the page, not the ledger.
    """
    out: dict[str, dict] = {c: {"last_reply": None, "last_touch": None, "risk": []} for c in customer_ids}
    if not customer_ids:
        return out
    db = store.db
    marks = ",".join("?" * len(customer_ids))
    for cid in customer_ids:
        reply = db.execute("""select m.id, m.subject, m.sent_at, m.received_at,
                   substr(coalesce(nullif(m.text_reply, ''), m.text_full, ''), 1, 140) as excerpt,
                   k.label, k.frustrated from messages m
                   left join classifications k on k.message_id = m.id and k.is_current = 1
                   where m.customer_id = ? and m.direction = 'inbound' order by datetime(m.sent_at) desc, m.id desc limit 1""",
                           [cid]).fetchone()  # fmt: skip
        if reply:
            out[cid]["last_reply"] = dict(zip(("id", "subject", "sent_at", "received_at", "excerpt", "label", "frustrated"),
                                              reply))  # fmt: skip
        sent = db.execute("select id, sent_at, kind, tier from drafts where customer_id = ? and status = 'sent' "
                          "order by sent_at desc limit 1", [cid]).fetchone()  # fmt: skip
        outbound = db.execute("select id, sent_at, subject from messages where customer_id = ? and direction = 'outbound' "
                              "order by datetime(sent_at) desc limit 1", [cid]).fetchone()  # fmt: skip
        touch = None
        if sent:
            touch = {"at": sent[1], "what": f"{KIND_REASONS.get(sent[2], sent[2])}, Tier {sent[3]}", "draft_id": sent[0]}
        if outbound and (touch is None or (outbound[1] or "") > (touch["at"] or "")):
            touch = {"at": outbound[1], "what": outbound[2] or "email", "message_id": outbound[0]}
        out[cid]["last_touch"] = touch
    risk: dict[str, list[dict]] = defaultdict(list)
    for cid, n in db.execute(f"select customer_id, count(*) from disputes where customer_id in ({marks}) "
                             "and status = 'open' group by 1", customer_ids):  # fmt: skip
        risk[cid].append({"key": "dispute", "text": "open dispute" if n == 1 else f"{n} open disputes", "tone": "bad"})
    for cid in {r[0] for r in db.execute(f"select customer_id from alerts where customer_id in ({marks}) "
                                         "and kind = 'frustration' and acknowledged_at is null", customer_ids)}:  # fmt: skip
        risk[cid].append({"key": "frustration", "text": "frustrated", "tone": "bad"})
    for cid, address in db.execute(f"select customer_id, min(email) from contacts where customer_id in ({marks}) "
                                   "and status = 'bouncing' group by 1", customer_ids):  # fmt: skip
        risk[cid].append({"key": "bounce", "text": f"email to {address} bounced", "tone": "bad"})
    for cid, promised in db.execute(f"select customer_id, min(promised_date) from promises where customer_id in ({marks}) "
                                    "and status = 'open' group by 1", customer_ids):  # fmt: skip
        due_now = promised is not None and promised <= as_of.isoformat()
        risk[cid].append({"key": "promise", "text": ("promise due " if due_now else "promise by ") + _short_day(promised),
                          "tone": "warn" if due_now else "info"})  # fmt: skip
    review = {r[0] for r in db.execute(f"select customer_id from messages where customer_id in ({marks}) "
                                       "and status = 'needs_review'", customer_ids)}  # fmt: skip
    review |= {r[0] for r in db.execute(f"select id from customers where id in ({marks}) and flag is not null", customer_ids)}
    for cid in review:
        risk[cid].append({"key": "review", "text": "needs review", "tone": "warn"})
    for cid in customer_ids:
        reply = out[cid]["last_reply"]
        if reply and reply["frustrated"] and not any(f["key"] == "frustration" for f in risk[cid]):
            risk[cid].append({"key": "frustration", "text": "frustrated", "tone": "bad"})
        out[cid]["risk"] = sorted(risk[cid], key=lambda f: RISK_ORDER.index(f["key"]))
    return out


RISK_ORDER = ("dispute", "frustration", "bounce", "promise", "review")


def _short_day(value: str | None) -> str:
    if not value:
        return "?"
    d = date.fromisoformat(value[:10])
    return f"{d.day} {d:%b}"


def draft_history(store: Store, tab: str, *, page: int = 1, per_page: int = PAGE) -> dict:
    """Drafts that left the worklist (sent, rejected, expired) or went stale, newest first, one page."""
    tab = tab if tab in HISTORY_TABS else "sent"
    condition, order, args = _history_order(store, tab)
    matching = store.db.execute(f"select count(*) from drafts d where {condition}", args).fetchone()[0]
    pages = max(1, -(-matching // per_page))
    page = min(max(1, page), pages)
    rows = _dicts(store.db.execute(f"""
        select d.id, d.customer_id, c.name as customer_name, d.subject, d.kind, d.reason, d.tier, d.status,
               d.contact_email, d.plan_date, d.sent_at, d.sent_by, d.approved_by, d.reject_reason, d.updated_at,
               d.open_amount, d.open_currency, d.last_error
        from drafts d left join customers c on c.id = d.customer_id where {condition}
        order by {order} limit ? offset ?""",
                                   [*args, per_page, (page - 1) * per_page]))  # fmt: skip
    for r in rows:
        r["reason_text"] = r["reason"] or KIND_REASONS.get(r["kind"], r["kind"] or "")
    return {"rows": rows, "matching": matching, "page": page, "pages": pages, "tab": tab}


def history_counts(store: Store) -> dict[str, int]:
    counts = dict.fromkeys(HISTORY_TABS, 0)
    for status, n in store.db.execute("select status, count(*) from drafts where status in ('sent', 'rejected', 'expired') "
                                      "group by 1"):  # fmt: skip
        counts[status] = n
    counts["stale"] = store.db.execute(f"select count(*) from drafts d where {stale_condition(store)}").fetchone()[0]
    return counts


# Pending replies are listed too (as unclassified) so a person can label one before the classifier runs.
INBOX_STATUSES = ("pending", "classified", "routed", "needs_review")


def inbox(store: Store, *, label: str | None = None, review: bool = False, frustrated: bool = False,
          limit: int = WORK_PAGE, page: int = 1, scope: AccountScope = EVERYONE) -> dict:  # fmt: skip
    """Triaged replies, newest first by the customer's Date header, one page, each with its current
    classification and the actions routing took."""
    in_scope, scope_args = scope.where("m.customer_id")
    where = ["m.direction = 'inbound'", "m.customer_id is not null", f"m.status in ({','.join('?' * len(INBOX_STATUSES))})",
             in_scope]  # fmt: skip
    args: list = [*INBOX_STATUSES, *scope_args]
    if label:
        where.append("k.label = ?")
        args.append(label)
    if review:
        where.append("(k.needs_review = 1 or m.status = 'needs_review')")
    if frustrated:
        where.append("k.frustrated = 1")
    # The classification join is needed for counting only when a filter reads it.
    join = "left join classifications k on k.message_id = m.id and k.is_current = 1"
    total = store.db.execute(f"select count(*) from messages m {join if (label or review or frustrated) else ''} "
                             f"where {' and '.join(where)}", args).fetchone()[0]  # fmt: skip
    pages = max(1, -(-total // limit))
    page = min(max(1, page), pages)
    sql = f"""
        select m.id, m.subject, m.from_addr, m.from_name, m.received_at, m.sent_at, m.status, m.customer_id,
               m.invoice_numbers_json, m.match_rule, c.name as customer_name,
               k.label, k.confidence, k.frustrated, k.needs_review, k.evidence, k.source, k.model
        from messages m {join}
        left join customers c on c.id = m.customer_id
        where {' and '.join(where)}
        order by datetime(m.sent_at) desc, m.id desc limit ? offset ?
    """
    rows = _dicts(store.db.execute(sql, [*args, limit, (page - 1) * limit]))
    actions = message_actions(store, [r["id"] for r in rows])
    for row in rows:
        row["invoices"] = loads(row["invoice_numbers_json"], []) or []
        row["actions"] = actions.get(row["id"], [])
    return {"rows": rows, "total": total, "page": page, "pages": pages}


def message_actions(store: Store, message_ids: list[int]) -> dict[int, list[str]]:
    """What routing did for each reply: disputes, promises, tasks, alerts and the pauses they hold."""
    out: dict[int, list[str]] = defaultdict(list)
    if not message_ids:
        return out
    marks = ",".join("?" * len(message_ids))
    db = store.db
    for r in db.execute(f"select message_id, id, reason, status from disputes where message_id in ({marks})", message_ids):
        out[r[0]].append(f"dispute #{r[1]} ({words(r[2]) if r[2] else 'no reason given'}, {words(r[3])})")
    for r in db.execute(f"select message_id, promised_date, amount, currency, status from promises where message_id in ({marks})",
                        message_ids):  # fmt: skip
        amount = f" of {money(r[2], r[3])}" if r[2] else ""
        out[r[0]].append(f"promise{amount} by {day(r[1])} ({words(r[4])})")
    for r in db.execute(f"select message_id, kind, status from tasks where message_id in ({marks})", message_ids):
        out[r[0]].append(f"task: {words(r[1])} ({words(r[2])})")
    for r in db.execute(f"select message_id, kind, status from alerts where message_id in ({marks})", message_ids):
        out[r[0]].append(f"alert: {words(r[1])} ({words(r[2])})")
    sql = f"""
        select coalesce(d.message_id, pr.message_id, t.message_id, case when p.source_type = 'message'
               then cast(p.source_id as integer) end) as mid, p.reason, p.scope, p.invoice_number, p.until, p.lifted_at
        from pauses p
        left join disputes d on p.source_type = 'dispute' and d.id = cast(p.source_id as integer)
        left join promises pr on p.source_type = 'promise' and pr.id = cast(p.source_id as integer)
        left join tasks t on p.source_type = 'task' and t.id = cast(p.source_id as integer)
        where mid in ({marks})
    """
    for mid, reason, scope, invoice, until, lifted in db.execute(sql, message_ids):
        state = "lifted" if lifted else (f"until {day(until)}" if until else "until lifted")
        out[mid].append(f"{words(scope)} paused on {invoice or 'the account'} ({words(reason)}, {state})")
    return out


def unmatched(store: Store, limit: int = PAGE, scope: AccountScope = EVERYONE) -> list[dict]:
    """Replies no rule tied to a customer, with their current label; disputes and frustration first, as they are urgent."""
    # Replies matched to no account belong to no account team: only collectors and admins see those.
    in_scope, args = scope.where("m.customer_id")
    cursor = store.conn.execute(
        "select m.*, c.label, c.confidence, c.frustrated, "
        "coalesce(c.label in ('dispute', 'frustration') or c.frustrated = 1, 0) as urgent "
        "from messages m left join classifications c on c.message_id = m.id and c.is_current = 1 "
        f"where m.direction = 'inbound' and (m.status = 'unmatched' or m.customer_id is null) and {in_scope} "
        "order by urgent desc, m.id desc limit ?", [*args, limit])  # fmt: skip
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def quarantined(store: Store, limit: int = PAGE, scope: AccountScope = EVERYONE) -> list[dict]:
    if not scope.everyone:
        return []  # quarantined mail was never matched to an account
    return list(store.db["quarantine"].rows_where("status = 'open'", select="id, mailbox, folder, uid, message_id, "
                                                  "subject, from_addr, error, size, created_at", order_by="id desc",
                                                  limit=limit))  # fmt: skip


AGE_BANDS = tuple(name for name, _, _ in DISPUTE_AGES)


def _age_band(days: int) -> str:
    return next(name for name, low, high in DISPUTE_AGES if days >= low and (high is None or days <= high))


# The same boundaries as cadence.bucket_for, evaluated inside SQLite so 10,000 invoices cost one scan.
_BUCKET_SQL = """case when days < 1 then ? when days <= 30 then '0-30' when days <= 60 then '31-60'
                     when days <= 90 then '61-90' else '90+' end"""


def aging_table(store: Store, policy: Policy, as_of: date, scope: AccountScope = EVERYONE) -> list[dict]:
    """Open receivables per bucket (the four buckets, then 'not due'): invoices, customers and exact totals per currency."""
    marks = ",".join("?" * len(OPEN_STATUSES))
    in_scope, scope_args = scope.where("customer_id")
    inner = f"""select {_BUCKET_SQL} as bucket, currency, customer_id,
                       cast(round(cast(open_balance as real) * 100) as integer) as cents
                from (select cast(julianday(?) - julianday(due_date) as integer) as days, * from invoices
                      where status in ({marks}) and cast(open_balance as real) > 0 and {in_scope})"""  # fmt: skip
    args = [NOT_DUE, as_of.isoformat(), *OPEN_STATUSES, *scope_args]
    rows = {name: {"name": name, "action": bucket_action(name, policy), "count": 0, "customers": 0, "totals": {}}
            for name in (*BUCKETS, NOT_DUE)}  # fmt: skip
    for bucket, currency, count, cents in store.db.execute(
            f"select bucket, currency, count(*), sum(cents) from ({inner}) group by bucket, currency", args):  # fmt: skip
        rows[bucket]["count"] += count
        rows[bucket]["totals"][currency] = Decimal(cents) / 100
    for bucket, customers in store.db.execute(f"select bucket, count(distinct customer_id) from ({inner}) group by bucket", args):
        rows[bucket]["customers"] = customers
    return list(rows.values())


def dashboard(store: Store, policy: Policy, as_of: date, scope: AccountScope = EVERYONE) -> dict:
    """Aging buckets with chart geometry, open disputes by reason and age, and recent alerts."""
    table = aging_table(store, policy, as_of, scope)
    dispute_scope, dispute_args = scope.where("customer_id")
    alert_scope, alert_args = scope.where("a.customer_id")
    overdue = table[: len(BUCKETS)]
    charts = []
    for cur in sorted({c for b in overdue for c in b["totals"]}):
        top = max(b["totals"].get(cur, Decimal(0)) for b in overdue) or Decimal(1)
        bars = [{"bucket": b["name"], "amount": b["totals"].get(cur, Decimal(0)),
                 "width": float(b["totals"].get(cur, Decimal(0)) / top * 100)} for b in overdue]  # fmt: skip
        charts.append({"currency": cur, "bars": bars})
    disputes: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(AGE_BANDS, 0))
    for reason, opened in store.db.execute("select coalesce(reason, 'unspecified'), opened_at from disputes "
                                           f"where status = 'open' and {dispute_scope}", dispute_args):  # fmt: skip
        age = (as_of - datetime.fromisoformat(opened).date()).days if opened else 0
        disputes[reason][_age_band(age)] += 1
    alerts = list(store.db.execute(f"""select a.id, a.kind, a.status, a.subject, a.created_at, a.acknowledged_at,
        a.customer_id, c.name from alerts a left join customers c on c.id = a.customer_id where {alert_scope}
        order by a.id desc limit 15""", alert_args).fetchall())  # fmt: skip
    return {"aging": table, "charts": charts, "disputes": dict(sorted(disputes.items())), "age_bands": AGE_BANDS,
            "alerts": [dict(zip(("id", "kind", "status", "subject", "created_at", "acknowledged_at", "customer_id",
                                 "customer_name"), a)) for a in alerts]}  # fmt: skip


def sla_state(due_at: str | None, status: str, now: datetime) -> str:
    """Pure: 'resolved', 'breached', 'due soon' (within a day) or 'on track'."""
    if status != "open":
        return "resolved"
    if not due_at:
        return "no SLA"
    due = datetime.fromisoformat(due_at)
    if due.tzinfo is None:
        due = due.replace(tzinfo=now.tzinfo)
    hours = (due - now).total_seconds() / 3600
    return "breached" if hours < 0 else "due soon" if hours <= 24 else "on track"


def disputes_list(store: Store, now: datetime, status: str = "open", scope: AccountScope = EVERYONE) -> list[dict]:
    in_scope, args = scope.where("d.customer_id")
    cursor = store.db.execute(f"""select d.*, c.name as customer_name from disputes d
        left join customers c on c.id = d.customer_id where (? = 'all' or d.status = ?) and {in_scope}
        order by d.status = 'open' desc, d.sla_due_at""", [status, status, *args])  # fmt: skip
    names = [x[0] for x in cursor.description]
    rows = [dict(zip(names, r)) for r in cursor.fetchall()]
    for row in rows:
        row["sla"] = sla_state(row["sla_due_at"], row["status"], now)
        row["invoices"] = loads(row["invoice_numbers_json"], []) or []
    return rows


def promises_list(store: Store, as_of: date, status: str = "open", scope: AccountScope = EVERYONE) -> list[dict]:
    in_scope, args = scope.where("p.customer_id")
    cursor = store.db.execute(f"""select p.*, c.name as customer_name, c.account_owner_email as owner,
        pl.instalments as plan_size, pl.status as plan_status from promises p
        left join customers c on c.id = p.customer_id left join payment_plans pl on pl.id = p.plan_id
        where (? = 'all' or p.status = ?) and {in_scope}
        order by p.status = 'open' desc, p.promised_date""", [status, status, *args])  # fmt: skip
    names = [x[0] for x in cursor.description]
    rows = [dict(zip(names, r)) for r in cursor.fetchall()]
    for row in rows:
        row["invoices"] = loads(row["invoice_numbers_json"], []) or []
        due = row["grace_until"] or row["promised_date"]
        row["sla"] = ("kept" if row["status"] == "kept" else row["status"] if row["status"] != "open"
                      else "overdue" if due and due < as_of.isoformat() else "due today"
                      if row["promised_date"] == as_of.isoformat() else "waiting")  # fmt: skip
    return rows


def account_alerts(store: Store, scope: AccountScope, show: str = "open") -> list[dict]:
    """Alerts for the accounts in scope: those this person owns or sits on the team of (admins see all)."""
    in_scope, args = scope.where("a.customer_id")
    cursor = store.db.execute(f"""select a.*, c.name as customer_name, c.segment, c.arr, c.currency as arr_currency
        from alerts a join customers c on c.id = a.customer_id
        where {in_scope} and (? = 'all' or a.acknowledged_at is null)
        order by a.acknowledged_at is not null, a.id desc limit 500""", [*args, show])  # fmt: skip
    names = [x[0] for x in cursor.description]
    return [dict(zip(names, r)) for r in cursor.fetchall()]


def customers(store: Store, q: str = "", limit: int = 100, scope: AccountScope = EVERYONE) -> list[dict]:
    """Customers by name or id, or by one of their invoice numbers, contact emails or purchase orders.

    Each row says what matched. Invoice numbers and POs match exactly (any case); emails and names by part.
    """
    q = q.strip()
    like = f"%{q}%"
    hits = store.db.execute("""
        select c.id, case when c.id like ?1 then 'id' else 'name' end, null from customers c
            where c.id like ?1 or c.name like ?1
        union all select i.customer_id, 'invoice', i.number from invoices i where ?2 != '' and upper(i.number) = upper(?2)
        union all select i.customer_id, 'purchase order', i.po_number from invoices i
            where ?2 != '' and upper(i.po_number) = upper(?2)
        union all select k.customer_id, 'contact', k.email from contacts k where ?2 != '' and lower(k.email) like lower(?1)
        limit ?3""", [like, q, limit * 4]).fetchall()  # fmt: skip
    best: dict[str, tuple[str, str | None]] = {}
    for cid, field, value in hits:
        if cid not in best or SEARCH_FIELDS.index(field) < SEARCH_FIELDS.index(best[cid][0]):
            best[cid] = (field, value)
    if not best:
        return []
    ids = list(best)
    in_scope, scope_args = scope.where("c.id")
    rows = _dicts(store.db.execute(f"""select c.id, c.name, c.segment, c.account_owner_email,
        (select count(*) from invoices i where i.customer_id = c.id and i.status in ('open','partially_paid')) as open_invoices
        from customers c where c.id in ({','.join('?' * len(ids))}) and {in_scope} order by c.name limit ?""",
        [*ids, *scope_args, limit]))  # fmt: skip
    for r in rows:
        r["matched_by"], r["matched_value"] = best[r["id"]]
    return rows


SEARCH_FIELDS = ("id", "name", "invoice", "purchase order", "contact")


TASK_DUE = {"all": "any time", "overdue": "overdue", "today": "due today or earlier", "week": "due within 7 days",
            "none": "no due date"}  # fmt: skip


def open_tasks(store: Store, as_of: date, *, owner: str | None = None, due: str = "all", page: int = 1,
               per_page: int = PAGE) -> dict:  # fmt: skip
    """Every open task, earliest due first (tasks with no date last), filtered by the account owner and due date."""
    where, args = ["t.status = 'open'"], []
    if owner:
        where.append("c.account_owner_email = ?")
        args.append(owner)
    today = as_of.isoformat()
    if due == "overdue":
        where.append("t.due_date < ?")
        args.append(today)
    elif due == "today":
        where.append("t.due_date <= ?")
        args.append(today)
    elif due == "week":
        where.append("t.due_date <= ?")
        args.append((as_of + timedelta(days=7)).isoformat())
    elif due == "none":
        where.append("t.due_date is null")
    sql = f"from tasks t left join customers c on c.id = t.customer_id where {' and '.join(where)}"
    matching = store.db.execute(f"select count(*) {sql}", args).fetchone()[0]
    pages = max(1, -(-matching // per_page))
    page = min(max(1, page), pages)
    rows = _dicts(store.db.execute(f"""select t.id, t.customer_id, c.name as customer_name, c.account_owner_email as owner,
            t.kind, t.description, t.invoice_numbers_json, t.due_date, t.created_at, t.message_id {sql}
            order by t.due_date is null, t.due_date, t.id limit ? offset ?""", [*args, per_page, (page - 1) * per_page]))  # fmt: skip
    for r in rows:
        r["invoices"] = loads(r["invoice_numbers_json"], []) or []
        r["overdue"] = bool(r["due_date"] and r["due_date"] < today)
    owners = [r[0] for r in store.db.execute("""select distinct c.account_owner_email from tasks t
        join customers c on c.id = t.customer_id where t.status = 'open' and c.account_owner_email is not null order by 1""")]  # fmt: skip
    return {"rows": rows, "matching": matching, "page": page, "pages": pages, "owners": owners}
