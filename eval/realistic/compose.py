"""Compose realistic inbox replies from hand-written bodies and hand-written noise.

    python eval/realistic/compose.py TRAIN_OUT.jsonl     # writes TRAIN_OUT.jsonl and eval/datasets/realistic_test.jsonl
    python eval/split_dataset.py --train-only TRAIN_OUT.jsonl

Each body in bodies_<lang>.py is a reply a customer wrote; this script wraps it the way mail clients and
companies do: greeting and sign-off lines (or a greeting that carries the message), signatures with
addresses, phones, banners and social links, legal footers, external-sender banners, HTML remnants
(style residue, image references, rewritten safe-links URLs) and the quoted reminder under Gmail,
Outlook or flattened Outlook headers. Bank advices arrive forwarded under a short note.

The test split (ids `rt-`) uses its own bodies and only the noise pieces whose index is a multiple of
three; training replies (ids `x-r`) use the other pieces. Output is deterministic.
"""

import datetime as dt
import importlib
import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import noise as N  # noqa: E402

LANGS = ["en", "de", "fr", "es", "nl"]
TRAIN_COPIES = {"en": 2, "de": 3, "fr": 3, "es": 3, "nl": 3}  # each training body, wrapped this many different ways
AUTO = {"ticket-receipt", "survey", "scanner"}
NOISE_SLICES = ["signature-noise", "legal-footer", "outlook-header", "html-debris"]


def pool(items: list, side: str) -> list:
    """The test split's share of a noise list (every third piece) or the training share (the rest)."""
    return [x for i, x in enumerate(items) if (i % 3 == 0) == (side == "test")]


def amount(rng: random.Random, lang: str) -> str:
    value = rng.choice([rng.randint(3, 99) * 50, rng.randint(100, 4000) * 10 + rng.choice([0, 0.5, 0.25, 0.9])])
    whole, cents = int(value), round((value - int(value)) * 100)
    if lang == "en":
        return rng.choice(["${:,}.{:02d}", "USD {:,}.{:02d}", "£{:,}.{:02d}"]).format(whole, cents)
    grouped = f"{whole:,}".replace(",", " " if lang == "fr" else ".")
    return rng.choice(["{} €", "EUR {}"]).format(f"{grouped},{cents:02d}") if lang != "nl" else f"€ {grouped},{cents:02d}"


def invoice(rng: random.Random) -> str:
    return rng.choice(["INV-2026-{:04d}", "INV-2026-{:04d}", "{:06d}", "OC-{:05d}", "RE2026-{:04d}"]).format(rng.randint(100, 9999))


WEEKDAYS = {"en": ["Mon", "Tue", "Wed", "Thu", "Fri"], "de": ["Mo.", "Di.", "Mi.", "Do.", "Fr."],
            "fr": ["lun.", "mar.", "mer.", "jeu.", "ven."], "es": ["lun", "mar", "mié", "jue", "vie"],
            "nl": ["ma", "di", "wo", "do", "vr"]}  # fmt: skip
MONTHS = {"en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", "de": "Jan. Feb. März Apr. Mai Juni Juli Aug. Sept. Okt. Nov. Dez.",
          "fr": "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.", "es": "ene feb mar abr may jun jul ago sept oct nov dic",
          "nl": "jan. feb. mrt. apr. mei jun. jul. aug. sep. okt. nov. dec."}  # fmt: skip


def quote_header(rng: random.Random, lang: str, style: str, when: dt.datetime, subject: str, to: str, html: bool) -> str:
    """The line(s) a mail client puts above the quoted reminder."""
    wd, mon = WEEKDAYS[lang][when.weekday() % 5], MONTHS[lang].split()[when.month - 1]
    hm, sender = when.strftime("%H:%M"), rng.choice(["Our Co Billing <ar@ourco.example>", "Sam Collector <sam.collector@ourco.example>",
                                                     "Accounts Receivable <ar@ourco.example>"])  # fmt: skip
    if style == "gmail":
        line = {
            "en": f"On {wd}, {mon} {when.day}, {when.year} at {when.strftime('%I:%M %p').lstrip('0')} {sender} wrote:",
            "de": f"Am {wd}, {when.day}. {mon} {when.year} um {hm} Uhr schrieb {sender}:",
            "fr": f"Le {wd} {when.day} {mon} {when.year} à {hm}, {sender} a écrit :",
            "es": f"El {wd}, {when.day} {mon} {when.year} a las {hm}, {sender} escribió:",
            "nl": f"Op {wd} {when.day} {mon} {when.year} om {hm} schreef {sender}:",
        }[lang]
        if rng.random() < 0.3:  # Gmail wraps a long attribution line
            cut = line.rfind("<")
            line = line[:cut] + "<\n" + line[cut + 1 :]
        return line
    names = {"en": ("From", "Sent", "To", "Subject"), "de": ("Von", "Gesendet", "An", "Betreff"),
             "fr": ("De ", "Envoyé ", "À ", "Objet "), "es": ("De", "Enviado el", "Para", "Asunto"),
             "nl": ("Van", "Verzonden", "Aan", "Onderwerp")}[lang]  # fmt: skip
    sent = {"en": when.strftime("%A, %B %d, %Y %I:%M %p"), "de": f"{wd} {when.day}. {mon} {when.year} {hm}",
            "fr": f"{wd} {when.day} {mon} {when.year} {hm}", "es": f"{wd}, {when.day} de {mon} de {when.year} {hm}",
            "nl": f"{wd} {when.day} {mon} {when.year} {hm}"}[lang]  # fmt: skip
    values = [sender, sent, to, subject]
    star = "*" if html else ""
    fields = [f"{star}{k}:{star} {v}" for k, v in zip(names, values, strict=True)]
    if style == "flat":
        return " ".join(fields)
    return "\n".join(fields)


def quoted(rng: random.Random, lang: str, side: str, inv: str, amt: str, subject: str, when: dt.datetime, to: str, style: str, html: bool) -> str:
    due = (when - dt.timedelta(days=rng.randint(10, 70))).strftime("%d.%m.%Y" if lang != "en" else "%B %d, %Y")
    reminder = rng.choice(pool(N.REMINDERS[lang], side) or N.REMINDERS[lang]).format(inv=inv, amt=amt, due=due)
    if style == "angle":
        head = quote_header(rng, lang, "gmail", when, subject, to, html)
        return head + "\n" + "\n".join("> " + ln if ln else ">" for ln in reminder.split("\n"))
    head = quote_header(rng, lang, style, when, subject, to, html)
    sep = "________________________________\n" if style == "outlook" and rng.random() < 0.5 else ""
    return sep + head + "\n\n" + reminder


def signature(rng: random.Random, lang: str, side: str, first: str, last: str, company: str, long: bool, html: bool) -> str:
    lines = [f"**{first} {last}**" if html else rng.choice([f"{first} {last}", f"{first} {last}", first, f"{first[0]}. {last}"])]
    if long or rng.random() < 0.6:
        lines.append(rng.choice(N.TITLES[lang]))
        lines.append(company)
    if long:
        lines.append(rng.choice(pool(N.CITIES[lang], side) or N.CITIES[lang]))
        lines += rng.sample(pool(N.PHONES, side), k=rng.randint(1, 2))
        web = rng.choice(pool(N.WEBS, side))
        if html:
            host = web.split()[0].replace("https://", "").replace("www.", "").split("/")[0]
            web = web + " " + rng.choice(pool(N.SAFELINKS, side)).format(host=host)
        lines.append(web)
        if html:
            lines.append(rng.choice(pool(N.HTML_IMAGES, side)))
        if rng.random() < 0.6:
            lines.append("")
            lines.append(rng.choice(pool(N.BANNERS, side)))
    sep = "-- \n" if rng.random() < 0.15 else ""
    return sep + "\n".join(lines)


def fill(text: str, rng: random.Random, lang: str, inv: str, amt: str, n: str) -> str:
    return text.format(inv=inv, inv2=invoice(rng), amt=amt, n=n)


BANKS = ["Payments Notification <no-reply@payments.bank.example>", "Treasury Services <treasury@corpbank.example>",
         "Vendor Payments <ap-payments@customer.example>", "Banking Alerts <alerts@onlinebanking.example>",
         "SAP Payment Run <sap-noreply@customer.example>", "Business Banking <service@firmenkunden.example>",
         "Cash Management <cm-notify@banque.example>", "Avisos <avisos@bancaempresas.example>",
         "Zakelijk Bankieren <noreply@zakelijk.example>"]  # fmt: skip
ADVICE_SUBJECTS = ["Payment advice", "Remittance advice", "Payment confirmation", "Zahlungsavis", "Avis de virement",
                   "Aviso de transferencia", "Betaalopdracht uitgevoerd", "Outgoing payment executed", "Your payment"]


def forwarded_header(rng: random.Random, lang: str, side: str, when: dt.datetime) -> str:
    bank, subject = rng.choice(pool(BANKS, side)), rng.choice(pool(ADVICE_SUBJECTS, side))
    stamp = when.strftime("%a, %d %b %Y %H:%M")
    if rng.random() < 0.5:
        return f"---------- Forwarded message ---------\nFrom: {bank}\nDate: {stamp}\nSubject: {subject}\nTo: ap@customer.example"
    names = {"en": "From Sent To Subject", "de": "Von Gesendet An Betreff", "fr": "De Envoyé À Objet",
             "es": "De Enviado Para Asunto", "nl": "Van Verzonden Aan Onderwerp"}[lang].split()  # fmt: skip
    return "\n".join(f"{k}: {v}" for k, v in zip(names, [bank, stamp, "Accounts Payable", subject], strict=True))


def compose(lang: str, slice_: str, label: str, body: str, side: str, ident: str) -> dict:
    rng = random.Random(ident)
    n = rng.choice(N.COLLECTORS)
    first, last = rng.choice(N.PEOPLE[lang])
    company = rng.choice(N.COMPANIES[lang])
    inv, amt = invoice(rng), amount(rng, lang)
    when = dt.datetime(2026, rng.randint(1, 12), rng.randint(1, 28), rng.randint(7, 18), rng.randint(0, 59))
    subject = rng.choice(N.SUBJECTS[lang]).format(inv=inv)
    text_body = fill(body, rng, lang, inv, amt, n)
    noise_slice = slice_
    if slice_ == "plain" and side == "test":
        noise_slice = slice_ = rng.choice(NOISE_SLICES)
    elif slice_ == "plain":
        noise_slice = rng.choice(NOISE_SLICES + ["plain"])
    html = noise_slice == "html-debris" or rng.random() < 0.08
    parts: list[str] = []
    if slice_ in AUTO:
        subject = _auto_subject(rng, slice_, subject)
        parts.append(text_body)
        if rng.random() < 0.3:
            parts.append(rng.choice(pool(N.FOOTERS, side)))
        if slice_ == "ticket-receipt" and rng.random() < 0.5:
            parts.append(quoted(rng, lang, side, inv, amt, subject, when, "ap@customer.example", rng.choice(["gmail", "outlook"]), False))
    elif slice_ == "bank-advice":
        subject = rng.choice(N.FORWARD_SUBJECTS[lang]).format(inv=inv)
        cover, advice = text_body.split("\n===\n")
        if cover.strip():
            parts.append(cover.strip() + ("\n\n" + rng.choice(N.SIGNOFFS[lang]) + "\n" + first if rng.random() < 0.4 else ""))
        parts.append(forwarded_header(rng, lang, side, when) + "\n\n" + advice)
    else:
        if rng.random() < 0.15 or (side == "test" and rng.random() < 0.1):
            parts.append(rng.choice(pool(N.TOP_BANNERS, side)))
        if html:
            parts.append(rng.choice(pool(N.HTML_TOP, side) or N.HTML_TOP))
        greet = rng.choice(N.GREETINGS[lang]).format(n=n)
        if slice_ != "greeting-line" and rng.random() < 0.75:
            text_body = greet + "\n\n" + text_body
        sign_parts = []
        if rng.random() < 0.8:
            sign_parts.append(rng.choice(N.SIGNOFFS[lang]))
        sign_parts.append(signature(rng, lang, side, first, last, company, noise_slice == "signature-noise" or rng.random() < 0.3, html))
        parts.append(text_body + "\n\n" + "\n".join(sign_parts))
        if noise_slice == "legal-footer" or rng.random() < 0.25:
            parts.append(rng.choice(pool(N.FOOTERS, side)))
        if noise_slice == "outlook-header":
            style = "flat"
        else:
            style = rng.choice(["gmail", "outlook", "flat", "angle", None, None])
        if style:
            parts.append(quoted(rng, lang, side, inv, amt, subject, when, f"{first} {last} <{first.lower()}@customer.example>", style, html))
    text = "\n\n".join(parts)
    if html:
        text = text.replace(" ", "\u00a0", 2)  # non-breaking spaces survive the HTML conversion
    label, _, alternates = label.partition("|")
    frustrated = label.endswith("+f") or label == "frustration"
    label = label.removesuffix("+f")
    row = {"id": ident, "subject": subject, "text": text, "date": when.date().isoformat(), "label": label,
           "alternates": [a for a in alternates.split(",") if a], "frustrated": frustrated, "lang": lang, "slice": slice_}  # fmt: skip
    return row


def _auto_subject(rng: random.Random, slice_: str, subject: str) -> str:
    if slice_ == "ticket-receipt":
        return rng.choice([f"[Case {rng.randint(10000, 99999)}] {subject}", f"Request received: {subject}", f"[##{rng.randint(1000, 99999)}##] {subject}",
                           f"Ticket created - {subject}", subject])  # fmt: skip
    if slice_ == "survey":
        return rng.choice(["How did we do?", "Your feedback matters", "Supplier satisfaction survey", "Quick survey about your recent request",
                           "Umfrage zur Kundenzufriedenheit", "Enquête de satisfaction", "Encuesta de satisfacción", "Klanttevredenheidsonderzoek"])  # fmt: skip
    return rng.choice(["Scanned document", "Message from KM_C458", "Scan_20261104_0922.pdf", "[Scan] document", "Attached Image", "Scan"])


def build() -> tuple[list[dict], list[dict]]:
    train, test = [], []
    for lang in LANGS:
        bodies = importlib.import_module(f"bodies_{lang}")
        for i, (slice_, label, body) in enumerate(bodies.TEST, start=1):
            test.append(compose(lang, slice_, label, body, "test", f"rt-{lang}-{i:03d}"))
        for i, (slice_, label, body) in enumerate(bodies.TRAIN, start=1):
            seen = set()
            for copy in range(TRAIN_COPIES[lang]):
                row = compose(lang, slice_, label, body, "train", f"x-r{lang}-{i:03d}{'abc'[copy]}")
                row["weight"] = round(1 / TRAIN_COPIES[lang], 4)  # the body counts once, however many wrappings
                key = " ".join(re.sub(r"[^\w]+", " ", f"{row['subject']} {row['text']}".casefold()).split())
                if key not in seen:  # a bare auto-reply can come out the same twice
                    seen.add(key)
                    train.append(row)
    return train, test


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    train, test = build()
    Path(argv[0]).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in train), encoding="utf-8")
    out = HERE.parent / "datasets" / "realistic_test.jsonl"
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in test), encoding="utf-8")
    print(f"{len(train)} training replies -> {argv[0]}; {len(test)} test replies -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
