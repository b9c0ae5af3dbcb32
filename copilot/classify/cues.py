"""Multilingual cue groups: hand-written phrases that carry a reply's intent, used as model features.

A linear model over a few hundred labelled replies learns words, not intent. These groups give it features
that hold across phrasing and across English, German, French, Spanish and Dutch, so a reply worded unlike
anything in the training set still lands near the right label.
"""

import re
from math import log1p

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin

from copilot.classify.alternation import factor_by_first_letter, first_letters, word_start_union

CUE_GROUPS: dict[str, str] = {
    "paid_done": (
        r"payment (is|went) out|\bist raus|zahlung ist raus|sent (it |the payment )?(via|thru|through|by)|\b(zelle|venmo|paypal|bacs|sepa)\b|"
        r"paid (by|via|through|over|using)|c'est payé|payé depuis|cheque (#\s?\d+ )?(was )?(issued|mailed)|confirmation (number|no)|receipt no|"
        r"already settled|debited|abgebucht|ya (está|esta) pagad|se abonó|is betaald|hebben .{0,20}betaald|made (one|a|the) payment|"
        r"\b(has|have|had|was|were) (been )?(paid|sent|transferred|remitted|settled|processed|released|wired|cleared)|"
        r"\b(we|i) (paid|sent|transferred|remitted|settled|wired|made (the )?payment)|payment (was|has been) (made|sent|processed|released|executed)|"
        r"remittance|proof of payment|payment confirmation|transaction (id|reference)|\bpaid (it|this|in full|on|yesterday|last)|already paid|"
        r"went out|bank confirmation|"
        r"(bereits|schon|wurde|haben|ist) .{0,40}(überwiesen|bezahlt|beglichen|angewiesen)|zahlungsavis|zahlungsbestätigung|"
        r"(déjà|a été|avons|ont été) .{0,30}(payée?s?|réglée?s?|viré|effectué)|avis de (virement|paiement)|"
        r"(ya|hemos|ha sido|fue) .{0,30}(pagad[ao]s?|abonad[ao]s?|transferid[ao]|realizad[ao])|justificante|comprobante|"
        r"(al|reeds|is|zijn|hebben) .{0,30}(betaald|overgemaakt|voldaan)|betalingsbewijs"
    ),
    "future_pay": (
        r"this week|next week|geht .{0,30}raus|nächste woche|la semaine prochaine|la semana que viene|volgende week|before the|will go (in|out)|"
        r"will be (included|paid|released|processed)|value date|proposal|we'?ll make (the )?payment|intend to (settle|pay)|promise|"
        r"überweisen .{0,30}(bis|am)|bis ende|wir zahlen|nous paierons|pagaremos|we betalen|"
        r"\b(will|'ll|shall|going to|plan to|intend to|can) (be )?(pay|paid|settle|transfer|remit|send|clear|release|process)|"
        r"payment run|pay(ment)? (run|cycle|batch)|scheduled (for|the)|approved for payment|in (the|our) next|by (the )?end of|"
        r"instal+ments?|payment plan|\bby (monday|tuesday|wednesday|thursday|friday)|"
        r"(werden|wird) .{0,60}(überweisen|bezahlen|begleichen|überwiesen|bezahlt|beglichen)|zahlungslauf|ratenzahlung|raten\b|"
        r"(nous )?(réglerons|paierons|virerons|allons (régler|payer))|sera (payée?|réglée?|effectué|viré)|échéancier|campagne de paiement|"
        r"(pagaremos|abonaremos|transferiremos|vamos a pagar|se (realizará|pagará|abonará))|remesa|plazos|confirming|"
        r"(zullen|gaan) .{0,40}(betalen|overmaken|voldoen)|wordt .{0,30}(overgemaakt|betaald)|betaalrun|betalingsregeling|termijnen"
    ),
    "dispute": (
        r"bills? \d+ (hours|units|months)|timesheet|we'?re holding|holding (this|it)|under (the|our) (contract|agreement)|"
        r"separate legal|legal entity|umsatzsteuer|\btva\b|\biva\b|berechnet sind aber|korrigier|corrig|no corresponde|verkeerd|opgezegd|"
        r"jamais reçu|instead of|in plaats van|statt\b|au lieu de|en lugar de|not (yet )?(gone|went) live|should (be|have been)|"
        r"\bdispute|incorrect|\bwrong\b|error|overcharg|not (what we|agreed|ordered)|never (ordered|received|delivered)|"
        r"duplicate|twice|double[- ]bill|credit note|cancel+ed|refuse to pay|won'?t (be )?pay|not (be )?paying|doesn'?t match|"
        r"does not match|discrepanc|query on|contest|damaged|short[- ]shipped|missing items|price (we )?agreed|quoted|"
        r"fehlerhaft|falsch|nicht bestellt|gutschrift|widerspr|reklamation|storn|doppelt|nicht korrekt|beanstand|"
        r"erron|incorrecte?|contest|avoir\b|en double|pas commandé|litige|conteste|réclamation|"
        r"incorrect[ao]|error|abono|duplicad|no (hemos )?(pedido|recibido)|reclamación|no estamos de acuerdo|"
        r"onjuist|klopt niet|fout|creditnota|dubbel|niet besteld|niet geleverd|betwist"
    ),
    "request": (
        r"could you tell me|which invoice|what'?s the (email|address)|\bregister|wilt u|richten aan|verhuist|neue adresse|factura electrónica|"
        r"offene-posten|kontoauszug|reenviar|in writing|bitten wir um|nos podéis|who is (our|the)|können sie (uns|mir)|pourriez|"
        r"(please|kindly|could you|can you|would you)( please)? (send|provide|resend|re-send|share|issue|confirm|let us know|update|add)|"
        r"\bneed (a|the|your|an)|\brequire|w-?9|w-?8|invoice copy|copy of (the )?invoice|bank details|iban|purchase order|\bpo\b|"
        r"from now on|going forward|in future|future invoices|instead of me|künftig|zukünftig|ab sofort|désormais|dorénavant|"
        r"à l'avenir|merci d'(envoyer|adresser|transmettre)|a partir de ahora|en adelante|en lugar de a|voortaan|in plaats van naar|"
        r"portal|statement|vendor (form|setup)|supplier (form|setup|onboarding)|remit(tance)? address|"
        r"bitte (senden|schicken|übermitteln|teilen)|benötigen|brauchen|kopie|bankverbindung|bestellnummer|"
        r"merci de (nous )?(envoyer|transmettre|faire parvenir)|pourriez-vous|pouvez-vous|besoin d|copie|rib\b|bon de commande|"
        r"(podr[ií]an|puede[ns]?|pueden) (enviar|mandar|remitir)|necesitamos|copia|datos bancarios|número de pedido|"
        r"(kunt u|kun je|graag) .{0,40}(sturen|toesturen|ontvangen)|nodig|kopie|ordernummer|inkoopnummer"
    ),
    "ack": (
        r"confirm (the )?receipt|we are aware|i'?m aware|acusamos recibo|quedo enterad|je regarde|come back to you|escalated your (query|email)|"
        r"bevestigen wij de ontvangst|attente d'approbation|in afwachting|wird geprüft|ist in prüfung|im freigabeprozess|estamos revisando|"
        r"being reviewed|have asked|i'?ll (check|find out|come back)|will (revert|update you)|"
        r"\b(noted|received|looking into|look into|checking|will check|forwarded|passed (it|this) (on|to)|thanks for (the|your) (reminder|email)|"
        r"get back to you|on it|in (the )?approval|with (our|the) (ap|finance|accounts)|being processed|in progress|under review|"
        r"erhalten|weitergeleitet|prüfen|kümmern|in bearbeitung|zur freigabe|"
        r"bien reçu|bien noté|transmis|en cours|vérifi|nous revenons|"
        r"recibido|reenviado|revisando|lo revisamos|trasladado|en trámite|"
        r"ontvangen|doorgestuurd|bekijken|in behandeling|komen (hier )?op terug)"
    ),
    "frustration": (
        r"\bstop\.|just stop|again\?|schon wieder|otra vez|en serio|unfassbar|incredible|"
        r"(third|fourth|fifth|sixth|3rd|4th) (email|reminder|time|chaser|notice|final)|(six|five|four|three) (reminders|emails|chasers) in|"
        r"déçu|cansad|desánimo|leidinggevende|onbeschoft|gek van|take (us|me) off|remove (me|my name|us)|do not contact|aus diesem verteiler|"
        r"personal (number|mobile)|cc'?ing|on hold|hung up|not impressed|every (other )?day|tous les deux jours|three (mails|emails) (per|a) day|"
        r"pesados|quatrième relance|genug|reicht|es reicht|zum (dritten|vierten) mal|dagelijkse|"
        r"unacceptable|ridiculous|absurd|outrageous|disgrace|appalling|fed up|sick of|tired of|last straw|enough|"
        r"stop (sending|emailing|contacting|chasing|calling)|harass|threaten|insult|rude|furious|angry|annoyed|frustrat|"
        r"solicitor|lawyer|legal action|take (our|my) business|"
        r"(not|won'?t be) renew|cancel (the|our) (contract|subscription|account)|moving (to|the contract)|review(ing)? (whether|our|all)|"
        r"seriously|unbelievable|joke|embarrass|disappoint|not happy|patience|"
        r"unverschämt|inakzeptabel|frechheit|ärger|verärgert|genervt|zumutung|beschwerde|kündigen|anwalt|"
        r"inadmissible|inacceptable|scandal|honte|exaspér|agacé|insupportable|harcèlement|avocat|résilier|"
        r"inaceptable|vergonzoso|harto|hartos|indignad|molest|acoso|abogado|"
        r"onacceptabel|belachelijk|schandalig|zat\b|boos|geïrriteerd|klacht|advocaat|opzeggen"
    ),
    # Senior roles and escalation words. Polite replies use them too ("our AP manager will check",
    # "escalated your query internally"), so they are a group of their own and weigh apart from anger.
    "senior_role": (
        r"manager|supervisor|escalat|cfo|ceo|director|head of|elsewhere|other (supplier|vendor|provider)s?|"
        r"vorgesetzt|geschäftsführ|leiter|chef\b|directeur|responsable|direcci[oó]n|gerente|directeur|leidinggevende|directie"
    ),
    # Courtesy and apology: common in calm replies, rare in angry ones, so it counts against the frustrated flag.
    "courtesy": (
        r"thank(s| you)|many thanks|appreciate|apolog|sorry|kind regards|best regards|have a (good|nice|great)|"
        r"vielen dank|danke|entschuldig|bitte entschuldigen|freundliche grüße|schönen tag|"
        r"merci|désolée?|excuse|cordialement|bonne journée|"
        r"gracias|disculp|perdón|lo siento|saludos|buen día|"
        r"bedankt|dank u|excuses|sorry|met vriendelijke groet|fijne dag"
    ),
    "ooo": (
        r"out of (the )?office|annual leave|on (leave|holiday|vacation)|limited access|back (on|in the office)|return(ing)? on|"
        r"nicht im büro|abwesend|urlaub|eingeschränkt|absente?|congé|jusqu'au|de retour|fuera de la oficina|vacaciones|hasta el|"
        r"afwezig|vakantie|tot en met|weer aanwezig"
    ),
    "automated": (
        r"no longer monitored|nicht gelesen|elternzeit|will not be (read|forwarded)|this mailbox|"
        r"do not reply|no-?reply|automatic(ally)?|auto-?generated|ticket|case (number|#)|reference number|service desk|batch|"
        r"has been received|we have received your|this (is an )?automated|scanning|capture|mail delivery|undeliverable|"
        r"could not be delivered|postmaster|mailer-daemon|"
        r"automatisch|nicht antworten|ticketnummer|automatique|ne pas répondre|automático|no responda|automatisch|niet beantwoorden"
    ),
    # A service ended or shrank before the invoice: the customer disputes being billed for it.
    "cancellation": (
        r"(cancel+ed|terminated|closed|ended|discontinued|stopped|did not renew|didn'?t renew|not renew(ed|ing)?) .{0,30}"
        r"(subscription|account|contract|service|licen[cs]es?|plan|seats?|renewal|maintenance)|"
        r"(subscription|account|contract|service|plan|agreement) (was|has been|is) (cancel+ed|terminated|closed|ended)|"
        r"no longer (use|using|need)|stopped using|(went|go|gone|going|reduced?|downgrad\w*|moved) (down )?(to|from) (\w+ )?"
        r"(seats?|licen[cs]es?|users?|plan)|(reduce|reduction|downgrade)d?|down to (\w+ )?(seats?|licen[cs]es?|users?)|"
        r"notice (of )?(termination|non-renewal|cancellation)|non-renewal|should not exist|close the account|"
        r"gekündigt|kündigungsbestätigung|nicht (mehr )?verlängert|nutzen .{0,30}nicht mehr|reduzier|abo\w* .{0,20}(beendet|storniert)|"
        r"konto .{0,30}geschlossen|vertrag .{0,30}(beendet|ausgelaufen|endete)|"
        r"résilié\b|résiliée|clôtur|n'utilisons plus|(passés?|réduire|réduit) à \w+ (licences?|postes?|utilisateurs?)|préavis|"
        r"(dimos|dado) de baja|ya no (usamos|utilizamos)|cerramos la cuenta|(bajar|reducir|reducido) a \w+ (licencias|puestos|usuarios)|"
        r"preaviso|contrato terminó|"
        r"opgezegd|opzegging|beëindigd|gebruiken .{0,30}niet meer|account .{0,20}gesloten|teruggegaan naar|"
        r"(terug|verlaagd) naar \w+ (licenties|werkplekken|gebruikers)"
    ),
    # Paying in parts: a promise, however it is worded.
    "instalment": (
        r"instal+ments?|(monthly|weekly) (payments?|instal+ments?)|in (two|three|four|2|3|4) (parts|payments|instal+ments|tranches)|"
        r"split(ting)? (the )?payment|part(ial)? (of it )?(now|this week|on)|half (now|this week|of it)|the (rest|balance|remaining|remainder)|"
        r"pay(ing)? .{0,20} a month|\d+ ?% (on|now)|first (payment|instal+ment|half|part)|"
        r"raten|ratenzahlung|teilzahlung|in (zwei|drei|vier) (teilen|tranchen|raten)|tranche|restbetrag|den rest|die hälfte|"
        r"mensualités?|échéances?|en (deux|trois|quatre) (fois|versements)|le solde|le reste|la moitié|premier versement|"
        r"plazos|pagos mensuales|en (dos|tres|cuatro) (partes|pagos|plazos)|el resto|la mitad|primer pago|"
        r"termijnen|in (twee|drie|vier) (delen|termijnen)|het restant|de rest|de helft|eerste (deel|termijn)"
    ),
    # A bank's or ERP's notice that money left: forwarded, it means paid.
    "payment_advice": (
        r"payment advice|remittance advice|advice note|beneficiary|ordering customer|value date|debtor|creditor|end-to-end|"
        r"(transfer|payment|wire|eft|ach) (has been |was )?(executed|completed|processed|released|initiated)|executed|"
        r"payment (number|date|method|notification)|amount (paid|debited)|"
        r"zahlungsavis|auftraggeber|begünstigter|empfänger|verwendungszweck|ausführungsdatum|ausgeführt|überweisung an|"
        r"avis de (virement|paiement)|donneur d'ordre|bénéficiaire|ordre de virement|exécut|motif|"
        r"aviso de pago|ordenante|beneficiario|concepto|fecha valor|justificante de transferencia|transferencia .{0,10}realizada|"
        r"betalingsadvies|opdrachtgever|begunstigde|betaalbevestiging|betalingskenmerk|uitgevoerd|omschrijving"
    ),
    # Receipts from helpdesks and ticket systems.
    "ticket": (
        r"(logged|registered|recorded|created|opened) (as|under|with)|case (\d|id|number|#|ref)|ticket|\binc\d|"
        r"(request|inquiry|enquiry|query|message|email) (has been|was) (received|logged|registered)|will be (answered|handled|processed) within|"
        r"within \w+ (business|working) days|response time|turnaround|in the order (it was|they are) received|reply above this line|"
        r"vorgangsnummer|erfasst|registriert|eingangsbestätigung|bearbeitungszeit|"
        r"accusons (bonne )?réception|enregistrée? sous|numéro de (ticket|dossier|demande)|sous \d+ ?(heures|jours)|"
        r"registrad[oa] con|número de (incidencia|ticket|caso)|incidencia|en un plazo|"
        r"geregistreerd onder|ticketnummer|binnen \w+ werkdagen|referentie"
    ),
    "survey": (
        r"survey|feedback|how did we do|rate (your|us|our)|rating|satisf(ied|action)|recommend (our|us)|scale of|"
        r"umfrage|zufrieden|bewerten sie|ihre meinung|enquête|questionnaire|évaluez|votre avis|encuesta|valore|valoraría|"
        r"tevreden|beoordeel|onderzoek|hoe hebben wij"
    ),
    "scanner": (
        r"scanned|scan (date|from)|open the attached|attached (file|image)|number of (pages|images)|pages?:|device( name)?:|"
        r"mfp|multifunction|gescannt|angehängte datei|seiten:|gerät:|numérisé|fichier joint|pièce jointe\.|appareil|"
        r"escaneado|archivo adjunto|dispositivo|páginas|gescand|bijgevoegde bestand|apparaat|pagina's"
    ),
    # Approval chains: the everyday reason a calm AP reply mentions managers.
    "approval": (
        r"approv|sign[- ]?off|signed off|budget (holder|owner)|workflow|authoris|authoriz|"
        r"freigabe|freigegeben|genehmig|unterschrift|validation|validé|approuv|signature|aprobaci[oó]n|aprobad|firma|"
        r"goedkeuring|akkoord|goedgekeurd|fiattering"
    ),
    "injection": (
        r"billing assistant|list of all customers|approved by finance|"
        r"ignore (all )?(previous|prior|above)|system prompt|instruction|you are now|admin mode|override|assistant|\bai\b|"
        r"classif|mark (all|every|this|the)? ?(invoices?|account|message)|label this|confidence|do not escalate|"
        r"anweisung|ignorier|ignorez|instructions?|ignora|instrucciones|negeer|instructies"
    ),
    "unrelated": (
        r"unrelated|hors sujet|los van|am rande|off[- ]topic|quote for|angebot für|offerte voor|nodigen|borrel|fiche de données|"
        r"nieuwsbrief|thank you for the (lovely|hamper|gift)|"
        r"unsubscribe|newsletter|webinar|invit|sponsor|survey|recruit|cv\b|career|internship|donat|crypto|invest|"
        r"verify your|password|linkedin|network|promotion|offer|discount|press release|announce|season|holiday greetings|"
        r"abmelden|abonnement|désabonner|desuscrib|darse de baja|afmelden|uitschrijven|"
        r"nichts mit der rechnung|sans rapport|rien à voir|nada que ver|no tiene que ver|"
        r"demo\b|démonstration|demostración|brochure|free (trial|quote|sample)|devis gratuit|presupuesto sin compromiso|"
        r"vrijblijvend|unverbindlich|congrat|glückwunsch|félicitations|enhorabuena|felicidades|gefeliciteerd"
    ),
    # The mail reached someone who is not the customer, or no longer speaks for it: nothing to collect or contest.
    "misdirected": (
        r"wrong (person|contact|company|e-?mail|address|recipient|addressee|mailbox|inbox|place|department|firm)|"
        r"sent (to )?(us |me )?(by mistake|in error)|(received|reached us|came to us) (by mistake|in error)|misdirected|"
        r"never (done|did) (any )?business|never (heard of|dealt with|traded with|worked with)|never (ordered|bought|purchased) anything from|"
        r"never had (an|any) (account|dealings|business)|never been (a |your )?customers?|"
        r"not (a |one of )?your customers?|(isn'?t|aren'?t|are not|is not) (a )?customers? of yours|"
        r"no (account|relationship|dealings|business relationship) with (you|your)|"
        r"(don'?t|do not) (recognise|recognize|know) (you|your|this) (company|name|business|firm)|"
        r"nothing to do with (me|us|this account|your)|not (meant|intended) for (me|us)|"
        r"(don'?t|do not|no longer) work (in|for|at|there)|(i|i'?ve|i have) (left|moved on from) (the |that )?(company|business|firm|there)|"
        r"(i'?m|i am) no longer (with|at|employed)|not (in|part of) (finance|accounts)|"
        r"remove (this|my) (address|e-?mail)|(take|taking) (this|my) (address|e-?mail) off|"
        r"(private|personal) (address|e-?mail|gmail|account)|private individual|similar name|same name|"
        r"falsch (zugestellt|adressiert|zugeordnet)|falschen? (adresse|empfänger|person|firma|ansprechpartner)|"
        r"(irrtümlich|versehentlich) (an uns|bei uns|an mich|bei mir|erhalten|zugestellt|zugesandt|geschickt)|"
        r"irrläufer|fehlgeleitet|verwechslung|nicht (für uns|für mich) bestimmt|"
        r"keine (geschäftsbeziehung|kundenbeziehung|geschäftsverbindung|beziehung)|keinerlei (beziehung|geschäft)|"
        r"kein(en)? kunde|kein kundenkonto|nicht ihr kunde|nie kunde|nichts zu tun|"
        r"(kennen|kenne) (ihre firma|ihr unternehmen|sie) nicht|arbeite (nicht mehr|nicht) (bei|für)|nicht (mehr )?zuständig|"
        r"aus (ihrem|dem|diesem) verteiler|(adresse|e-mail) (löschen|entfernen|streichen)|privat(e|en)? (adresse|e-mail)|"
        r"trompée?s? (de |d')(destinataire|personne|adresse|société|entreprise|client|contact|interlocuteur)|erreur de (destinataire|personne|adresse)|"
        r"(arrivée?|reçue?|envoyée?|adressée?|parvenue?) par erreur|mauvais(e)? (destinataire|adresse|personne|société)|"
        r"pas (le bon|la bonne) (destinataire|personne|adresse|interlocuteur)|pas destiné|"
        r"ne sommes pas (vos |des )?clients|pas clients?|jamais (été|eu) (client|de compte|affaire)|jamais travaillé avec|"
        r"aucun (lien|compte)|aucune relation|confusion (de nom|avec)|je ne (travaille|fais) plus|j'ai quitté|"
        r"retirer (cette|mon) adresse|ne plus (écrire|utiliser|envoyer)|adresse (personnelle|privée)|"
        r"equivocad[oa]s? de (empresa|destinatario|dirección|persona|cliente|correo)|(llegado|recibido|enviado) por error|"
        r"destinatario (equivocado|erróneo)|dirección (equivocada|errónea)|no es para (nosotros|mí)|"
        r"no (somos|soy) (sus |vuestros )?clientes?|ningun[ao] (relación|cuenta)|"
        r"nunca (hemos )?(trabajado|contratado|sido clientes|tenido relación)|no conocemos (su|vuestra) empresa|"
        r"ya no (trabajo|estoy|formo parte)|no trabajo (en|para)|(quiten|eliminen|borren) (esta|mi) dirección|"
        r"cuenta personal|soy (un )?particular|"
        r"verkeerd (adres|geadresseerd|bezorgd|gestuurd|verzonden)|verkeerde (persoon|adres|ontvanger|geadresseerde|bedrijf)|"
        r"(ontvangen|gestuurd|verstuurd|bezorgd) per (abuis|vergissing)|per (abuis|vergissing) (bij|naar|ontvangen)|"
        r"niet (voor ons|voor mij) bedoeld|terechtgekomen|verwarring met|"
        r"geen klant(en)?\b|nooit klant|geen (klantrelatie|zakelijke relatie|relatie)|nooit zaken|ken(nen)? uw bedrijf niet|"
        r"(werk|ben) (hier )?niet meer|niet meer werkzaam|uit uw (bestand|mailinglijst|verzendlijst)|(ben|als) (een )?particulier"
    ),
    # Personal and social notes between people who know each other: parties, meals, family events.
    "social": (
        r"drinks|birthday|wedding|retirement|leaving do|barbecue|bbq|christmas party|summer party|five-a-side|dinner|"
        r"geburtstag|hochzeit|grillen|weihnachtsfeier|sommerfest|abendessen|ruhestand|"
        r"anniversaire|mariage|apéro|soirée|retraite|dîner|"
        r"cumpleaños|boda|jubilación|cena\b|copas|"
        r"verjaardag|bruiloft|etentje|feestje|pensioen\b"
    ),
    # Data-protection requests: about a person's data, not about the invoice.
    "privacy": (
        r"gdpr|dsgvo|rgpd|avg\b|lopd|data protection|datenschutz|protection des données|protección de datos|"
        r"personal (data|details)|personenbezogen|données personnelles|datos personales|persoonsgegevens|"
        r"right to (erasure|be forgotten|object)|subject access|art(icle|ikel|ículo|\.)? ?1[5-7]\b|"
        r"droit (d'accès|à l'effacement|d'opposition)|derecho de (supresión|acceso|oposición)|recht op (inzage|vergetelheid|verwijdering)|"
        r"löschung|supprimer mes|supresión|verwijdering"
    ),
}

# Matched against the lower-cased text without re.IGNORECASE, which is four times faster in CPython.
# Cues start at a word boundary, so the engine skips mid-word positions at once.
_COMPILED = [(name, re.compile(rf"\b(?:{factor_by_first_letter(pattern)})")) for name, pattern in CUE_GROUPS.items()]
_PATTERNS = [rx for _, rx in _COMPILED]
# Matches at a word start exactly where some group does: most replies hold only a few such places.
_ANY_CUE = word_start_union(list(CUE_GROUPS.values()))
_HEADS = [first_letters(pattern) for pattern in CUE_GROUPS.values()]
# Per letter, the groups that can match where a word starts with it (a group of unknown start: always).
_BY_LETTER = {
    ch: [(i, rx) for i, (rx, heads) in enumerate(zip(_PATTERNS, _HEADS)) if heads is None or ch in heads]
    for ch in set().union(*(h for h in _HEADS if h is not None))
}
_UNKNOWN_START = [(i, rx) for i, (rx, heads) in enumerate(zip(_PATTERNS, _HEADS)) if heads is None]
_QUESTION = re.compile(r"\?")
_EXCLAIM = re.compile(r"!")
_CAPS_WORD = re.compile(r"\b[A-ZÄÖÜÉÈ]{3,}\b")
# A date word or a numeric date: `\b(monday|...|eind)\b|\d{1,2}[./]\d{1,2}|\d{1,2}(st|nd|rd|th)\b` on the lower-cased
# text, as two regexes that each let the engine skip ahead (a leading \b or digit alternative keeps it from
# doing so, which made this the slowest pattern of all). Only whether one matches is used.
_DATE_WORD = word_start_union([
    r"(monday|tuesday|wednesday|thursday|friday|montag|dienstag|mittwoch|donnerstag|freitag|lundi|mardi|mercredi|jeudi|vendredi|"
    r"lunes|martes|miércoles|jueves|viernes|maandag|dinsdag|woensdag|donderdag|vrijdag|tomorrow|morgen|demain|mañana|"
    r"next week|end of|ende|fin d|final de|eind)\b"
])  # fmt: skip
_DATE_NUMBER = re.compile(r"\d{1,2}(?:[./]\d|(?:st|nd|rd|th)\b)")


def cue_counts(low: str) -> list[int]:
    """Per group, how many matches `findall` would find in `low`, from one scan of the text.

    Nineteen scans of a reply cost far more than one: `_ANY_CUE` finds each position where some group
    matches, and only there is each group tried. A group already inside one of its own matches is not
    tried until that match ends, which is how `findall` steps through a text, so the counts are the same.
    """
    counts = [0] * len(_PATTERNS)
    resume = [0] * len(_PATTERNS)  # per group, where findall would look next
    search, pos = _ANY_CUE.search, 0
    while (hit := search(low, pos)) is not None:
        at = hit.start()
        for i, rx in _BY_LETTER.get(low[at], _UNKNOWN_START):
            if resume[i] <= at and (m := rx.match(low, at)) is not None:
                counts[i] += 1
                resume[i] = max(m.end(), at + 1)
        pos = at + 1
    return counts


def cue_vector(text: str) -> list[float]:
    """Per-group hit counts (dampened) plus tone and shape signals for one text."""
    low = text.lower()
    counts = [log1p(n) for n in cue_counts(low)]
    words = max(1, len(text.split()))
    return [
        *counts,
        min(len(_QUESTION.findall(text)), 3) / 3,
        min(len(_EXCLAIM.findall(text)), 3) / 3,
        min(len(_CAPS_WORD.findall(text)) / words * 5, 1.0),
        float(_DATE_WORD.search(low) is not None or _DATE_NUMBER.search(low) is not None),
        min(words, 200) / 200,
    ]


class CueFeatures(BaseEstimator, TransformerMixin):
    """scikit-learn transformer turning texts into the cue vector, scaled by `weight`."""

    def __init__(self, weight: float = 1.0):
        self.weight = weight

    def fit(self, texts, y=None):  # noqa: ARG002  (stateless)
        return self

    def transform(self, texts):
        return sparse.csr_matrix(np.asarray([cue_vector(t) for t in texts], dtype=np.float64) * self.weight)
