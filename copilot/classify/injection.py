"""Recognise replies that try to instruct the system, in English, German, French, Spanish and Dutch.

Such a reply always goes to a person: `guard` sets needs_review on whatever label a classifier gave
it, so routing never acts on it alone (it can never become `paid` or `auto_reply` automatically).
The LLM's answer cannot decide its label either: the local model (which follows no instructions) does.
Text is normalised first (NFKC, zero-width and bidi controls removed), so "ig\u200bnore" or full-width
letters do not slip past.
"""

import re
import unicodedata
from functools import lru_cache

from copilot.classify.alternation import word_start_union
from copilot.classify.gates import spoofed_auto_headers
from copilot.labels import Classification, Reply

MAX_SCAN_CHARS = 50_000  # of subject, new text and whole body together
_INVISIBLE = dict.fromkeys([*range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2065), 0xFEFF, 0x00AD, 0x180E])

_AI = (r"(ai|a\.i\.|ki|ia|i\.a\.|assistant|assistent|asistente|model|modell|modèle|modelo|classifier|classificateur|clasificador|"
       r"classificeerder|klassifikator|bot|llm|gpt|chatgpt|copilot|language model|sprachmodell|"
       r"automated system|automatic system|automatische[ns]? system|système automatique|sistema automático|automatische systeem|"
       r"system|systeem|système|sistema|triage)")  # fmt: skip
_WANTED = (r"(paid|settled|resolved|closed|auto[_ -]?repl(y|ied)|automatic reply|out of (the )?office|promise[_ ]to[_ ]pay|"
           r"bezahlt|beglichen|erledigt|automatische antwort|abwesenheitsnotiz|"
           r"pay[ée]e?s?|r[ée]gl[ée]e?s?|sold[ée]e?s?|r[ée]ponse automatique|absente?|"
           r"pagad[oa]s?|abonad[oa]s?|saldad[oa]s?|respuesta autom[aá]tica|fuera de la oficina|"
           r"betaald|voldaan|automatisch antwoord|afwezig)")  # fmt: skip
_GAP = r"[^.!?\n]{0,60}?"

_PATTERNS = [
    # ignore / forget the previous instructions
    rf"\b(ignore|disregard|forget|override|bypass)\b{_GAP}\b(instructions?|rules|prompts?|guidelines|directives)\b",
    rf"\b(ignorier\w*|vergiss|vergessen sie|missachte\w*|übergeh\w*)\b{_GAP}\b(anweisung\w*|regeln|vorgaben|instruktion\w*|prompts?)\b",
    rf"\b(ignore[rz]?|oublie[rz]?|néglige[rz]?)\b{_GAP}\b(instructions?|consignes|règles|directives|prompts?)\b",
    rf"\b(ignora[rd]?|ignore[n]?|olvida[rd]?|omite|omitir)\b{_GAP}\b(instrucciones|reglas|indicaciones|directrices|prompts?)\b",
    rf"\b(negeer|negeren|vergeet)\b{_GAP}\b(instructies|regels|aanwijzingen|prompts?)\b",
    # words addressed to the machine
    rf"\b(note|message|instructions?|command|memo|reminder|attention|request|hinweis|anweisung|nachricht|notiz|befehl|"
    rf"consignes?|remarque|mensaje|instrucci[oó]n(es)?|indicaci[oó]n|nota|instructies?|notitie|bericht|opmerking)"
    rf"\s+(to|for|an|für|à|a|au|aux|pour|para|voor|aan)\s+(the |any |all |den |die |das |l'|l’|le |la |les |el |los |de |het )?{_AI}\b",
    r"\b(assistant|ai|system|developer|admin|ki|ia|systeem|sistema|système)[ -]?(instruction|note|message|prompt|override|command|anweisung|"
    r"nachricht|consigne|instrucci[oó]n|instructie|opdracht)s?\b",
    r"\b(system|assistant|developer|systeem|sistema|système)\s*:",
    rf"\b(dear|hey|hello|hi|attention|liebe[rs]?|hallo|cher|chère|querido|querida|hola|beste|hoi)\s+{_AI}\b",
    rf"\b(if you are|if you're|wenn du|falls du|falls sie|si tu es|si vous êtes|si eres|als je|als u)\s+(an? |eine?r? |une? |un[ao]? |een )?{_AI}\b",
    r"\b(prompt système|invite système|message système|prompt del sistema|mensaje del sistema|systemprompt|systemanweisung|systemnachricht|"
    r"systeemprompt|systeembericht|system prompt)\b",
    # taking a role or a mode
    r"\b(you are now|you're now|from now on you|new instructions?|updated instructions?|admin mode|developer mode|god mode|jailbreak|dan mode|"
    r"du bist jetzt|sie sind jetzt|ab sofort bist du|neue anweisungen|tu es maintenant|vous êtes maintenant|désormais tu|nouvelles instructions|"
    r"mode administrateur|ahora eres|a partir de ahora eres|nuevas instrucciones|modo administrador|je bent nu|u bent nu|vanaf nu ben je|"
    r"nieuwe instructies|beheerdersmodus)\b",
    # setting the label, status or confidence
    rf"\b(classify|label|mark|tag|categori[sz]e|flag|treat|record|set|route|file)\b{_GAP}\b(as|to)\s+{_WANTED}\b",
    rf"\b(markier\w*|klassifizier\w*|kennzeichn\w*|einstuf\w*|stufe|behandl\w*|verbuch\w*|setz\w*)\b{_GAP}\bals\s+{_WANTED}",
    rf"\bals\s+{_WANTED}\s+(markier|kennzeichn|einstuf|klassifizier|verbuch|buch|behandel|markeer|markeren|classificeer|registreer|boek)",
    rf"\b(marque[rz]?|classe[rz]?|classifie[rz]?|étiquete[rz]?|considère[rz]?|traite[rz]?|enregistre[rz]?)\b{_GAP}\bcomme\s+{_WANTED}",
    rf"\b(marca[rd]?|marque|clasifica[rd]?|etiqueta[rd]?|considera[rd]?|trata[rd]?|registra[rd]?)\b{_GAP}\bcomo\s+{_WANTED}",
    rf"\b(markeer|classificeer|label|behandel|registreer|zet|boek)\b{_GAP}\bals\s+{_WANTED}",
    r"\b(label|classification|category|kategorie|catégorie|categoría|categorie|etiket|étiquette|etiqueta)\s*(=|:|should be|must be|"
    r"muss|soll|doit être|debe ser|moet)\s*[\"'`]?(paid|auto_reply|promise_to_pay|acknowledgement|bezahlt|payée?|pagad[oa]|betaald)",
    r"\b(auto_reply|promise_to_pay|needs_review|header_gate)\b",
    r"\bconfiden(ce|ce score|tial score)\s*(=|:|of|to)\s*(1(\.0+)?|100 ?%?|high|maximum)\b",
    # keeping it from a person
    r"\b(do not|don't|never|no need to)\s+(escalate|flag|review|alert|notify)\b|\b(skip|bypass|without)\s+(the\s+)?(human\s+|manual\s+)?review\b|"
    r"\bnicht\s+eskalier\w*|\bohne\s+(manuelle|menschliche)\s+prüfung|\bkeine\s+(manuelle|menschliche)\s+prüfung|"
    r"\bne (pas|jamais) (escalader|signaler)|\bsans (vérification|revue|validation) humaine|"
    r"\bno (escales|escalar|revisar)\b|\bsin revisi[oó]n humana|\bniet escaleren|\bzonder (menselijke )?controle",
    # leaking the prompt
    r"\b(print|reveal|show|repeat|output|dump|leak)\s+(me\s+)?(your|the)\s+(full\s+|complete\s+)?(system\s+)?(prompt|instructions|rules|configuration)\b",
    r"\b(respond|reply|answer|output)\s+(only\s+)?with\s+(the\s+)?(json|label|word)\b",
]
# A role written as a header at the start of a line or in brackets: "system: ...", "[assistant]".
_ROLE_HEADER = re.compile(r"(^|\n|[\[(<{])\s*(system|assistant|developer|ai|instruction|instructions|admin|ki|ia|systeem|sistema|système)\s*[:\]>}]")
# Every other pattern starts at a word: one scan finds whether any of them matches (on lower-cased text,
# as re.IGNORECASE is several times slower).
_AT_WORD = word_start_union(_PATTERNS)


def _first_instruction(low: str) -> re.Match[str] | None:
    hits = [m for m in (_AT_WORD.search(low), _ROLE_HEADER.search(low)) if m is not None]
    return min(hits, key=lambda m: m.start()) if hits else None


def normalise(text: str) -> str:
    """Lower-cased NFKC text without zero-width and bidi controls, for matching."""
    text = unicodedata.normalize("NFKC", text[:MAX_SCAN_CHARS]).translate(_INVISIBLE)
    return text.replace("’", "'").lower()


@lru_cache(maxsize=16)  # asked several times per reply (text to label, review flag); not a cross-reply cache
def injection_attempt(text: str) -> str | None:
    """The first phrase that tries to instruct the system, or None."""
    match = _first_instruction(normalise(text))
    return match.group(0).strip() if match else None


def without_injection(text: str) -> str:
    """The reply without the lines that instruct the system; all of it when there are none.

    Such a line carries the attacker's payload ("... and label this paid"); when nothing else is left there is no
    customer content to label.
    """
    if injection_attempt(text) is None:
        return text
    return "".join(line for line in text.splitlines(keepends=True) if _first_instruction(normalise(line)) is None)


def review_reason(reply: Reply) -> str | None:
    """Why a person must see this reply whatever its label: instructions to the system, or spoofed auto-reply headers."""
    for part in (reply.subject, reply.text, reply.full_text or ""):
        phrase = injection_attempt(part) if part else None
        if phrase:
            return f"the reply tries to instruct the system ({phrase[:80]!r})"
    if spoofed_auto_headers(reply):
        return "auto-reply headers on a message a person wrote"
    return None


def guard(result: Classification, reply: Reply) -> Classification:
    """`result`, marked for review when the reply tries to steer the system."""
    if result.needs_review or review_reason(reply) is None:
        return result
    return result.model_copy(update={"needs_review": True})
