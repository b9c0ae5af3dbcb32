"""A keyword baseline behind the Classifier protocol: transparent, offline and instant.

It exists so the evaluation harness runs end to end and so better classifiers have a floor to beat.
Each label has a few hand-written cues in English, German, French, Spanish and Dutch; the label with
the most cues wins, ties going to the label whose routing matters most.
"""

import calendar
import re
from datetime import date, timedelta

from copilot.classify.gates import spoofed_auto_headers
from copilot.classify.injection import guard
from copilot.labels import Classification, Label, Reply

_FLAGS = re.IGNORECASE | re.UNICODE


def _cues(*patterns: str) -> list[re.Pattern[str]]:
    return [re.compile(p, _FLAGS) for p in patterns]


AUTO_SUBJECT = _cues(
    r"\b(automatic|auto)[ -]?(reply|response)\b", r"out of (the )?office", r"\bundeliver(able|ed)\b",
    r"delivery status notification", r"mail delivery (failed|failure|subsystem)", r"\breturned mail\b",
    r"abwesenheit", r"automatische antwort", r"r[ée]ponse automatique", r"\babsent(e)?\b",
    r"respuesta autom[áa]tica", r"fuera de la oficina", r"automatisch antwoord", r"\bafwezig",
    r"\bticket\b.*\b(created|received|opened|logged)\b", r"\[?(case|ticket|request) ?#? ?\d{3,}",
    r"^read: ", r"accus[ée] de r[ée]ception", r"\bquarantin", r"\boffices? (is |are )?closed\b",
)  # fmt: skip
AUTO_BODY = _cues(
    r"this is an? (automated|automatic) (message|response|reply|notification)", r"do not reply to this",
    r"replies to this (address|mailbox) are not", r"i am (currently )?out of (the )?office",
    r"i('m| am) (currently )?(on (annual |parental |sick )?leave|on vacation|on holiday|away)",
    r"limited access to (my )?e-?mail", r"could not be delivered", r"permanent(ly)? fail",
    r"address (was )?not found", r"ihre (e-?mail|nachricht) (ist|wurde) .*(eingegangen|erhalten)",
    r"bin (bis|vom) .* (nicht im b[üu]ro|abwesend)", r"je suis absent", r"de retour le",
    r"estar[ée] fuera", r"estoy fuera de la oficina", r"ben (tot|vanaf) .* afwezig", r"ik ben afwezig",
    r"automatisch gegenereerd", r"mensaje autom[áa]tico", r"message automatique", r"automatisch erstellt",
    r"was read on", r"held for review", r"votre demande a bien [ée]t[ée] enregistr[ée]e", r"we('ll| will) return on",
)  # fmt: skip

INJECTION = _cues(
    r"ignore (all |any )?(previous|prior|above) (instructions|rules)", r"system prompt",
    r"(classify|label|mark) (this|the) (email|message|reply) as", r"you are (now )?an? (ai|assistant|language model)",
    r"ignoriere (alle )?(vorherigen )?anweisungen", r"ignore[zr] (toutes )?les instructions",
)  # fmt: skip

CUES: dict[Label, list[re.Pattern[str]]] = {
    Label.DISPUTE: _cues(
        r"\bdisput", r"\bincorrect\b", r"\bwrong (amount|price|rate|quantity|address|entity|company|po)",
        r"\bovercharg", r"\bduplicate\b", r"\bcredit note\b", r"\bcorrected invoice\b", r"never (received|delivered|ordered)",
        r"\bcancell?ed\b", r"not (what we|as) agreed", r"\bdamaged\b", r"\bshort(-| )?shipped\b", r"\bvoid\b",
        r"do not owe", r"\bnot valid\b", r"\bbilled twice\b", r"\bdiscrepanc", r"\breklamation", r"\bfalsch",
        r"gutschrift", r"nicht (geliefert|bestellt)", r"\bwiderspr", r"\bcontest", r"\berron[ée]", r"\bavoir\b",
        r"\bjamais (re[çc]u|livr)", r"\bincorrecto", r"\bnota de cr[ée]dito", r"\breclam", r"\bno (hemos )?recibid",
        r"\bonjuist", r"\bcreditnota", r"\bniet (geleverd|besteld|ontvangen)", r"\bbetwist", r"\bklopt niet",
        r"should not be charged", r"not paying for", r"\bbill(ed|s) (us )?(for|two|twice)", r"\bcharged\b", r"\bcontract\b",
        r"\bagreement\b", r"\bexempt", r"\bcorrect(ed)? invoice", r"\bkorrigier", r"umsatzsteuer", r"\bberechnet",
        r"\bno corresponde", r"\bne correspond", r"\bdado de baja", r"\bpresupuesto\b", r"\bdevis\b", r"\bovereenkomst",
    ),
    Label.PAID: _cues(
        r"\b(already |has been |have |was |been )(paid|settled|sent|transferred|remitted)", r"\bremittance\b",
        r"\bpayment (was |has been )?(made|sent|released|processed|executed)", r"\bproof of payment\b",
        r"\bwire (confirmation|reference)", r"\bpaid (on|in full|yesterday|today|last)", r"\bzahlungsavis",
        r"\b(bereits|schon) (bezahlt|überwiesen|beglichen)", r"\bwurde (bezahlt|überwiesen)", r"\b(a|ont) été (payée?|réglée?|viré)",
        r"\bavis de (paiement|virement)", r"\bd[ée]j[àa] (pay[ée]|r[ée]gl[ée])", r"\bya (ha sido |hemos |fue )?(pagad|abonad|transferid)",
        r"\b(hemos|fue) (pagado|abonado|realizado)", r"\bjustificante de (pago|transferencia)",
        r"\b(al |reeds )?(betaald|overgemaakt|voldaan)\b", r"\bbetalingsbewijs",
        r"\bpaid (it|this|by|via|on|usd|eur|gbp|\$|\d)", r"\bsent (it|the payment|payment)", r"\bcheque\b.*\b(mailed|sent|cleared|issued)",
        r"\bdirect debit\b", r"\bwe('ve| have) made (one |a |the )?payment", r"\bbeglichen", r"\bist (gestern |heute )?raus",
        r"\bcomprobante de pago", r"\bse pag[óo]\b", r"\bya est[áa] pagad", r"\br[ée]gl[ée]\b", r"\bc'est pay[ée]", r"\bpayée?\b",
    ),
    Label.PROMISE_TO_PAY: _cues(
        r"\bwill (be )?(pay|paid|settle|transfer|process|release|clear)", r"\bpayment run\b", r"\bwe('ll| will) pay",
        r"\bscheduled (for )?(payment|to be paid)", r"\bpay(ment)? (by|on|before|next|this) ", r"\binstal?ments?\b",
        r"\bpayment plan\b", r"\bend of (the )?(month|week)\b", r"\bnext (week|friday|monday|payment)",
        r"\bwerden (wir )?(\w+ )?(bezahlen|überweisen|begleichen)", r"\bzahlungslauf", r"\b(wird|werden) .*(bezahlt|überwiesen)",
        r"\bnous (allons|proc[ée]derons|r[ée]glerons|paierons)", r"\bsera (pay[ée]e?|r[ée]gl[ée]e?|vir[ée]e?)",
        r"\b(pagaremos|abonaremos|transferiremos|realizaremos)", r"\bse (pagar[áa]|abonar[áa])", r"\bse pagará",
        r"\b(zullen|gaan) (we |wij )?(\w+ )?(betalen|overmaken|voldoen)", r"\bwordt .*(betaald|overgemaakt)", r"\bbetaalrun",
        r"\bwill (have|get) (this|it) paid", r"\bwill go (out|in)\b", r"\b(cheque|check) run\b", r"\bpropos(e|al|ons)",
        r"\bscheduled (for|transfers?|payments?)", r"\bwir (zahlen|überweisen)", r"\bgeht .*raus", r"\bse realizar[áa]",
        r"\bsera effectu[ée]", r"\bwe betalen", r"\bpaiement (le|au|avant)", r"\bvirement .* sera",
    ),
    Label.REQUEST: _cues(
        r"\bw-?9\b", r"\b(copy|copies) of (the )?invoice", r"\bresend\b", r"\bsend (us|me) (a|the)",
        r"\bbank (details|account)", r"\bpurchase order\b|\bpo number\b", r"\bportal\b", r"\bstatement\b",
        r"\bplease (update|change) (our|the) (contact|address|email)", r"\bcould you (please )?(send|provide|share)",
        r"\bupload\b", r"\bkopie der rechnung", r"\bbankverbindung", r"\bbestellnummer", r"\bkontoauszug",
        r"\bbitte (senden|schicken)", r"\bcopie de (la )?facture", r"\bcoordonn[ée]es bancaires", r"\bbon de commande",
        r"\bpourriez-vous (nous )?(envoyer|transmettre)", r"\bcopia de (la )?factura", r"\bdatos bancarios",
        r"\borden de compra", r"\b(pueden|podr[íi]an) (enviar|mandar)", r"\bkopie van (de )?factuur",
        r"\bbankgegevens", r"\binkoopordernummer|\bpo-nummer", r"\bkunt u .*(sturen|toesturen)",
        r"\b(could|can) you (please )?(update|confirm|tell|resend|send)", r"\bplease (use|cc|send|update)", r"\bregister\b",
        r"\bvendor (setup|form)", r"\bpro-?forma", r"\b(vat|tax) invoice", r"\bwhich invoice", r"\bremaining balance",
        r"\blegal name", r"\bbilling address", r"\bpourriez-vous", r"\brenvoyer", r"\battestation", r"\balbar[áa]n",
        r"\breenviar", r"\bfacturas? electr[óo]nicas?", r"\bnecesitamos\b", r"\bbrauchen (wir|noch)", r"\bhebben .* nodig",
    ),
    Label.FRUSTRATION: _cues(
        r"\bunacceptable\b", r"\bridiculous\b", r"\b(speak|talk) to (a|your) (manager|supervisor)", r"\bescalat",
        r"\bharass", r"\bstop (sending|chasing|emailing|these)", r"\b(take|move) our business", r"\bfed up\b",
        r"\bdisappointed\b", r"\bappalling\b", r"\bfurious\b", r"\bcomplain", r"\bcancel (our|the) (account|contract)",
        r"\bthreat", r"\bunversch[äa]mt", r"\binakzeptabel", r"\bbeschwerde", r"\binacceptable\b", r"\bscandaleux",
        r"\bharc[eè]lement", r"\binaceptable\b", r"\bvergonzoso", r"\bonacceptabel", r"\bbelachelijk", r"\bschandalig",
        r"\bstop\b", r"\bagain\?", r"\bseriously\b", r"\bdo not contact", r"\bwhether to renew", r"\bleast friendly",
        r"\b(third|fourth|fifth) (time|email|reminder)", r"\bunfassbar", r"\bschon wieder", r"\bd[ée]çus?\b", r"\ben serio\b",
        r"\bpesados\b", r"\bverg[üu]enza", r"\bdes[áa]nimo", r"\bleidinggevende", r"\bgek van", r"\bteleurgesteld", r"\bonbeschoft",
    ),
    Label.ACKNOWLEDGEMENT: _cues(
        r"\b(received|noted|got it)\b", r"\blooking into\b", r"\bforwarded\b", r"\bpassed (this|it) (on|to)",
        r"\bchecking\b", r"\bget back to you\b", r"\bthanks? (you )?for (the|your) (reminder|email)",
        r"\berhalten\b", r"\bweitergeleitet", r"\bpr[üu]fen", r"\bmelden uns", r"\bbien re[çc]u", r"\btransmis",
        r"\bnous (regardons|v[ée]rifions)", r"\brecibido\b", r"\breenviado", r"\blo revisamos|\bestamos revisando",
        r"\bontvangen\b", r"\bdoorgestuurd", r"\bwe kijken",
        r"\bwill (look|check|revert|get back|come back|be in touch|update)", r"\bconfirm receipt", r"\backnowledg",
        r"\b(looping|copying) in\b", r"\b(with|in) (the )?approv", r"\bangekommen", r"\bkl[äa]re", r"\bbescheid",
        r"\beingang\b", r"\bacusamos recibo", r"\bquedo enterado", r"\blo reviso", r"\bje regarde", r"\bdoorgezet", r"\bkomen .* terug",
    ),
}  # fmt: skip

ANGER = [*CUES[Label.FRUSTRATION], *_cues(r"!!", r"\bfrankly\b", r"\blosing patience", r"\bseriously\b", r"\bthird time\b")]

# Ties go to the label whose missed routing costs most.
PRIORITY = [Label.DISPUTE, Label.PAID, Label.PROMISE_TO_PAY, Label.FRUSTRATION, Label.REQUEST, Label.ACKNOWLEDGEMENT]


class KeywordClassifier:
    """Counts label cues in the subject and text; a floor for real classifiers."""

    name = "keyword"

    def classify(self, reply: Reply) -> Classification:
        return guard(self._classify(reply), reply)

    def _classify(self, reply: Reply) -> Classification:
        text = reply.text
        blob = f"{reply.subject}\n{text}"
        angry = next((m for p in ANGER if (m := p.search(text))), None)
        if (_auto_headers(reply.headers) and not spoofed_auto_headers(reply)) or any(p.search(reply.subject) for p in AUTO_SUBJECT) or any(p.search(text) for p in AUTO_BODY):
            hit = next((m for p in AUTO_BODY if (m := p.search(text))), None)
            return self._result(Label.AUTO_REPLY, 0.8, hit, text)
        if hit := next((m for p in INJECTION if (m := p.search(text))), None):
            return self._result(Label.OTHER, 0.6, hit, text, needs_review=True)
        hits = {label: [m for p in cues if (m := p.search(blob))] for label, cues in CUES.items()}
        best = max(PRIORITY, key=lambda label: (len(hits[label]), -PRIORITY.index(label)))
        if not hits[best]:
            return self._result(Label.OTHER, 0.2, None, text, needs_review=True)
        runner_up = sorted((len(v) for v in hits.values()), reverse=True)[1]
        confidence = min(0.5 + 0.1 * (len(hits[best]) - runner_up), 0.9)
        promise = extract_date(text, reply.sent_at) if best is Label.PROMISE_TO_PAY else None
        first = min(hits[best], key=lambda m: m.start())
        return self._result(best, confidence, first, text, frustrated=angry is not None, promise_date=promise)

    def _result(self, label: Label, confidence: float, match: re.Match[str] | None, text: str, **extra: object) -> Classification:
        # Evidence must quote the reply text itself; a cue found only in the subject quotes nothing.
        evidence = match.group(0) if match is not None and match.group(0) in text else None
        return Classification(label=label, confidence=confidence, evidence=evidence, source="keyword", model="keyword-v1", **extra)  # type: ignore[arg-type]


def _auto_headers(headers: dict[str, str]) -> bool:
    lowered = {k.lower(): v.lower() for k, v in headers.items()}
    return (
        lowered.get("auto-submitted", "no") != "no"
        or "x-autoreply" in lowered
        or "x-autorespond" in lowered
        or lowered.get("precedence") in ("auto_reply", "bulk", "junk")
        or "report-type=delivery-status" in lowered.get("content-type", "")
    )


MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan", "januar", "janvier", "enero", "januari"), ("february", "feb", "februar", "février", "fevrier", "febrero", "februari"),
            ("march", "mar", "märz", "maerz", "mars", "marzo", "maart"), ("april", "apr", "avril", "abril"),
            ("may", "mai", "mayo", "mei"), ("june", "jun", "juni", "juin", "junio"), ("july", "jul", "juli", "juillet", "julio"),
            ("august", "aug", "août", "aout", "agosto", "augustus"), ("september", "sep", "sept", "septembre", "septiembre"),
            ("october", "oct", "oktober", "octobre", "octubre"), ("november", "nov", "novembre", "noviembre"),
            ("december", "dec", "dezember", "décembre", "decembre", "diciembre"),
        ],
        start=1,
    )
    for name in names
}  # fmt: skip
WEEKDAYS = {
    name: number
    for number, names in enumerate(
        [("monday", "montag", "lundi", "lunes", "maandag"), ("tuesday", "dienstag", "mardi", "martes", "dinsdag"),
         ("wednesday", "mittwoch", "mercredi", "miércoles", "miercoles", "woensdag"), ("thursday", "donnerstag", "jeudi", "jueves", "donderdag"),
         ("friday", "freitag", "vendredi", "viernes", "vrijdag"), ("saturday", "samstag", "samedi", "sábado", "zaterdag"),
         ("sunday", "sonntag", "dimanche", "domingo", "zondag")]
    )
    for name in names
}  # fmt: skip
_MONTH = "|".join(sorted(map(re.escape, MONTHS), key=len, reverse=True))
DATE_PATTERNS = [
    ("iso", re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")),
    ("numeric", re.compile(r"\b(\d{1,2})[./](\d{1,2})(?:[./](\d{2,4}))?\b")),
    ("day_month", re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th|\.|er)?(?: de)? ({_MONTH})\b\.?(?:,? (\d{{4}}))?", _FLAGS)),
    ("month_day", re.compile(rf"\b({_MONTH})\.? (\d{{1,2}})(?:st|nd|rd|th)?\b(?:,? (\d{{4}}))?", _FLAGS)),
    ("weekday", re.compile(r"\b(" + "|".join(WEEKDAYS) + r")\b", _FLAGS)),
    ("tomorrow", re.compile(r"\b(tomorrow|morgen|demain|mañana)\b", _FLAGS)),
    ("month_end", re.compile(r"\b(end of (the |this )?month|monatsende|ende des monats|fin (du|de) mois|final de(l)? mes|eind van de maand)\b", _FLAGS)),
]  # fmt: skip


def extract_date(text: str, sent_at: date | None) -> date | None:
    """The first date in `text` on or after `sent_at` (explicit, weekday, tomorrow or month end); a crude baseline."""
    if sent_at is None:
        return None
    found: list[tuple[int, date]] = []
    for kind, pattern in DATE_PATTERNS:
        for m in pattern.finditer(text):
            day = _resolve(kind, m.groups(), sent_at)
            if day is not None and sent_at <= day <= sent_at + timedelta(days=366):
                found.append((m.start(), day))
    return min(found)[1] if found else None


def _resolve(kind: str, groups: tuple[str | None, ...], sent_at: date) -> date | None:
    try:
        if kind == "iso":
            return date(int(groups[0]), int(groups[1]), int(groups[2]))  # type: ignore[arg-type]
        if kind == "numeric":
            a, b = int(groups[0]), int(groups[1])  # type: ignore[arg-type]
            day, month = (b, a) if b > 12 >= a else (a, b)  # day first unless that cannot be
            return _with_year(day, month, groups[2], sent_at)
        if kind == "day_month":
            return _with_year(int(groups[0]), MONTHS[groups[1].lower()], groups[2], sent_at)  # type: ignore[arg-type,union-attr]
        if kind == "month_day":
            return _with_year(int(groups[1]), MONTHS[groups[0].lower()], groups[2], sent_at)  # type: ignore[arg-type,union-attr]
    except ValueError:
        return None
    if kind == "weekday":
        ahead = (WEEKDAYS[groups[0].lower()] - sent_at.weekday()) % 7 or 7  # type: ignore[union-attr]
        return sent_at + timedelta(days=ahead)
    if kind == "tomorrow":
        return sent_at + timedelta(days=1)
    return sent_at.replace(day=calendar.monthrange(sent_at.year, sent_at.month)[1])


def _with_year(day: int, month: int, year: str | None, sent_at: date) -> date:
    if year:
        return date(int(year) + (2000 if len(year) == 2 else 0), month, day)
    guess = date(sent_at.year, month, day)
    return guess if guess >= sent_at else date(sent_at.year + 1, month, day)
