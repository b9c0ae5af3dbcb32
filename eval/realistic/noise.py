"""Hand-written noise that real inbox mail carries around the words that matter.

Every list is split in two by `pool()`: the realistic test split draws its signatures, footers, banners and
quoted reminders from pieces the training replies never use, so a score on it cannot come from a memorised
footer.
"""

# Greetings written on a line of their own, per language. {n} is our collector's first name.
GREETINGS = {
    "en": ["Hi {n},", "Hello {n},", "Dear {n},", "Hi,", "Hello,", "Good morning,", "Dear Sir or Madam,", "Hi team,",
           "Good afternoon {n},", "Hey {n},", "Dear Accounts Receivable,", "Hello AR team,", "Morning {n},", "Hi there,"],
    "de": ["Hallo {n},", "Guten Tag,", "Sehr geehrte Damen und Herren,", "Hallo zusammen,", "Guten Morgen {n},",
           "Liebe Frau {n},", "Sehr geehrter Herr {n},", "Hi {n},", "Moin,", "Servus {n},"],
    "fr": ["Bonjour {n},", "Bonjour,", "Madame, Monsieur,", "Bonjour à tous,", "Chère Madame {n},", "Bonsoir,",
           "Cher Monsieur {n},", "Bonjour Madame,", "Hello {n},"],
    "es": ["Hola {n},", "Buenos días,", "Estimados señores:", "Buenas tardes {n},", "Hola,", "Estimada {n}:",
           "Buenos días {n},", "Estimado equipo:", "Saludos,"],
    "nl": ["Hallo {n},", "Beste {n},", "Goedemorgen,", "Geachte heer/mevrouw,", "Hoi {n},", "Goedemiddag {n},",
           "Beste collega's,", "Dag {n},", "Geachte {n},"],
}

SIGNOFFS = {
    "en": ["Thanks,", "Kind regards,", "Best,", "Regards,", "Many thanks,", "Best regards,", "Cheers,", "Thank you,",
           "Warm regards,", "Thanks!", "Sincerely,", "BR,", "Thanks and regards,", "All the best,"],
    "de": ["Mit freundlichen Grüßen", "Viele Grüße", "Beste Grüße", "Freundliche Grüße", "MfG", "Gruß", "LG",
           "Danke und Gruß", "Schöne Grüße aus Köln"],
    "fr": ["Cordialement,", "Bien cordialement,", "Bien à vous,", "Merci,", "Salutations,", "Bonne journée,",
           "Merci d'avance,", "Sincères salutations,"],
    "es": ["Saludos,", "Un saludo,", "Atentamente,", "Saludos cordiales,", "Gracias,", "Un abrazo,", "Quedo atento,"],
    "nl": ["Met vriendelijke groet,", "Groet,", "Groeten,", "Mvg,", "Vriendelijke groeten,", "Hartelijke groet,",
           "Alvast bedankt,"],
}

# Our own people, whose first names customers greet.
COLLECTORS = ["Sam", "Alex", "Jordan", "Priya", "Marco", "Lena", "Tom", "Sofia", "Niels", "Claire", "Javier", "Hannah"]

# Customer people: (first, last).
PEOPLE = {
    "en": [("Megan", "Holt"), ("Darnell", "Price"), ("Rachel", "Okafor"), ("Kevin", "Liu"), ("Tanya", "Brooks"),
           ("Graham", "Fletcher"), ("Aisha", "Rahman"), ("Paul", "Mendes"), ("Carla", "Whitfield"), ("Owen", "Doyle"),
           ("Beth", "Sandoval"), ("Victor", "Nguyen"), ("Laura", "McKenna"), ("Raj", "Patel"), ("Emily", "Strand"),
           ("Chris", "Albright"), ("Nadia", "Kowalski"), ("Sean", "Gallagher")],
    "de": [("Katrin", "Vogel"), ("Jens", "Hartmann"), ("Birgit", "Lorenz"), ("Uwe", "Schreiber"), ("Melanie", "Krause"),
           ("Florian", "Brandt"), ("Sabine", "Winter"), ("Tobias", "Keller"), ("Anja", "Seidel"), ("Dirk", "Ostermann")],
    "fr": [("Camille", "Roux"), ("Julien", "Moreau"), ("Isabelle", "Garnier"), ("Thomas", "Lefèvre"), ("Nathalie", "Blanc"),
           ("Olivier", "Chevalier"), ("Sandrine", "Faure"), ("Hugo", "Mercier"), ("Élodie", "Perrin")],
    "es": [("Lucía", "Navarro"), ("Andrés", "Molina"), ("Carmen", "Ortega"), ("Diego", "Castro"), ("Marta", "Iglesias"),
           ("Pablo", "Serrano"), ("Elena", "Vidal"), ("Raúl", "Delgado"), ("Nuria", "Ferrer")],
    "nl": [("Sanne", "de Vries"), ("Joris", "Bakker"), ("Femke", "Visser"), ("Ruud", "Smit"), ("Ilse", "Mulder"),
           ("Bart", "van Dijk"), ("Marloes", "Jansen"), ("Wouter", "de Boer"), ("Eva", "Peters")],
}

COMPANIES = {
    "en": ["Harborview Logistics Inc.", "Pinecrest Dental Group", "Northgate Analytics LLC", "Bluewater Marine Supply",
           "Summit Ridge Property Management", "Calloway & Finch LLP", "Redwood Learning Ltd", "Ironbridge Fabrication Co.",
           "Meadowlark Health Partners", "Crescent Foods plc", "Tallis Engineering Ltd", "Orchard Street Media"],
    "de": ["Hofmann Verpackungen GmbH", "Elbtal Logistik AG", "Kreuzer & Lang Steuerberatung", "Weserland Kliniken gGmbH",
           "Brenntag Süd Handels GmbH", "Alpenblick Hotelbetriebe KG", "Rheinwerk Maschinenbau GmbH"],
    "fr": ["Atelier Lumière SARL", "Groupe Vendôme Services", "Transports Rivière & Fils", "Cabinet Morel Avocats",
           "Boulangeries du Littoral SAS", "Clinique Saint-Roch", "Éditions du Quai"],
    "es": ["Distribuciones Levante S.L.", "Grupo Alameda Hoteles", "Talleres Ebro S.A.", "Clínica Dental Sonrisa",
           "Construcciones Iberia Norte", "Logística Atlántica S.L.", "Agencia Faro Comunicación"],
    "nl": ["Van Leeuwen Installatietechniek B.V.", "Duinzicht Zorggroep", "Polderman Transport", "Studio Grachtengordel",
           "Bakkerij De Korenschoof", "Kaasmakerij Westland B.V.", "Hoogeveen Bouw & Advies"],
}

TITLES = {
    "en": ["Accounts Payable Specialist", "AP Coordinator", "Finance Manager", "Office Manager", "Controller",
           "Senior Accountant", "Procurement Lead", "Operations Director", "Bookkeeper", "VP Finance"],
    "de": ["Kreditorenbuchhaltung", "Leitung Finanzen", "Buchhaltung", "Einkauf", "Assistenz der Geschäftsführung",
           "Finanzbuchhalterin", "Controlling"],
    "fr": ["Comptabilité fournisseurs", "Responsable administratif et financier", "Assistante de direction",
           "Service achats", "Comptable", "Contrôleur de gestion"],
    "es": ["Departamento de Cuentas a Pagar", "Responsable de Administración", "Contabilidad", "Compras",
           "Directora Financiera", "Administración y Finanzas"],
    "nl": ["Crediteurenadministratie", "Financieel Controller", "Office Manager", "Inkoop", "Boekhouding",
           "Hoofd Financiën"],
}

CITIES = {
    "en": ["1450 Harbor Blvd, Suite 300, Long Beach, CA 90802", "77 King Street, Manchester M2 4LQ",
           "2200 Commerce Pkwy, Dallas, TX 75247", "Unit 4, Riverside Park, Leeds LS10 1RE",
           "415 Elm Street, Floor 2, Hartford, CT 06103", "9 Wharf Road, Dublin 4, Ireland"],
    "de": ["Industriestraße 14, 33100 Paderborn", "Am Hafen 3, 20457 Hamburg", "Leopoldstraße 88, 80802 München",
           "Kaiserstr. 21, 60311 Frankfurt am Main", "Gewerbepark Nord 7, 04129 Leipzig"],
    "fr": ["12 rue des Tanneurs, 69002 Lyon", "48 avenue de la République, 75011 Paris", "ZA des Peupliers, 44300 Nantes",
           "3 quai des Chartrons, 33000 Bordeaux"],
    "es": ["C/ Colón 22, 3º, 46004 Valencia", "Avda. de América 45, 28002 Madrid", "Pol. Ind. El Pla, nave 7, 08930 Barcelona",
           "Paseo Independencia 12, 50004 Zaragoza"],
    "nl": ["Keizersgracht 210, 1016 DZ Amsterdam", "Industrieweg 5, 3044 AS Rotterdam", "Marktstraat 17, 7311 AC Apeldoorn",
           "Stationsplein 2, 3511 ED Utrecht"],
}

PHONES = ["+1 (562) 555-0148", "+44 161 496 0732", "Tel. +49 5251 8870-214", "T +33 4 78 92 11 05", "Tel: +34 963 51 42 77",
          "T: +31 (0)10 411 2290", "Direct: 214-555-0193", "M +49 171 5538 902", "Mob: 07700 900 318", "Mobile +1 860 555 0127",
          "Fax +49 40 3080 115", "Tél. : 01 43 55 62 10", "Móvil 612 345 678", "M: 06 12 34 56 78", "Office 0113 496 0451 ext. 212"]

WEBS = ["www.harborviewlogistics.example", "https://pinecrestdental.example/locations", "www.elbtal-logistik.example",
        "https://www.ateliers-lumiere.example", "www.distribucioneslevante.example", "https://vanleeuwen-installatie.example",
        "www.calloway-finch.example | LinkedIn | Twitter", "LinkedIn: linkedin.com/company/northgate-analytics",
        "Follow us: Facebook | Instagram | LinkedIn", "https://www.linkedin.com/in/graham-fletcher-ap", "X: @redwoodlearning"]

BANNERS = [
    "Please consider the environment before printing this email.",
    "Proud winner of the 2026 Regional Logistics Excellence Award.",
    "We have moved! Please note our new address from 1 January.",
    "Our offices will be closed from 24 December to 2 January.",
    "Bitte denken Sie an die Umwelt, bevor Sie diese E-Mail ausdrucken.",
    "Merci de penser à l'environnement avant d'imprimer ce courriel.",
    "Antes de imprimir este correo, piense en el medio ambiente.",
    "Denk aan het milieu voordat u deze e-mail afdrukt.",
    "Join us at booth B12 at LogiMAT, 10-12 March, Stuttgart.",
    "Rated 'Great Place to Work' five years running.",
    "My working hours may not be your working hours. Please do not feel obliged to reply outside of yours.",
    "Ich arbeite Montag bis Donnerstag. Freitags bin ich nicht erreichbar.",
    "Je travaille à temps partiel (lundi, mardi, jeudi).",
    "ISO 9001 | ISO 14001 certified",
    "Celebrating 50 years of service 1976-2026",
]

FOOTERS = [
    "This email and any attachments are confidential and intended solely for the addressee. If you have received it in "
    "error, please notify the sender immediately and delete it. Any unauthorised use, disclosure or copying is prohibited.",
    "CONFIDENTIALITY NOTICE: The information contained in this message may be privileged and confidential and protected "
    "from disclosure. If the reader of this message is not the intended recipient, you are hereby notified that any "
    "dissemination, distribution or copying of this communication is strictly prohibited.",
    "Diese E-Mail enthält vertrauliche und/oder rechtlich geschützte Informationen. Wenn Sie nicht der richtige Adressat "
    "sind oder diese E-Mail irrtümlich erhalten haben, informieren Sie bitte sofort den Absender und vernichten Sie diese Mail.",
    "Ce message et toutes les pièces jointes sont confidentiels et établis à l'intention exclusive de ses destinataires. "
    "Toute utilisation ou diffusion non autorisée est interdite. Si vous avez reçu ce message par erreur, merci de le détruire.",
    "Este mensaje y sus anexos son confidenciales y se dirigen exclusivamente a su destinatario. Si usted no es el "
    "destinatario indicado, queda notificado de que la utilización, divulgación o copia sin autorización está prohibida.",
    "Dit e-mailbericht is uitsluitend bestemd voor de geadresseerde(n) en kan vertrouwelijke informatie bevatten. Indien u "
    "dit bericht onterecht heeft ontvangen, wordt u verzocht de afzender te informeren en het bericht te verwijderen.",
    "Registered in England and Wales, company no. 04417382. Registered office: 77 King Street, Manchester M2 4LQ. "
    "VAT GB 291 4475 12.",
    "Sitz der Gesellschaft: Hamburg · Registergericht: Amtsgericht Hamburg HRB 118842 · Geschäftsführer: Dr. K. Albers, "
    "M. Tiedemann · USt-IdNr. DE 812 553 901",
    "IMPORTANT: We will never ask you to change bank details by email. If you receive such a request, call your usual "
    "contact on a known number before making any payment.",
    "Disclaimer: Any views or opinions presented in this email are solely those of the author and do not necessarily "
    "represent those of the company. Employees are expressly required not to make defamatory statements.",
    "SAS au capital de 250 000 € · RCS Lyon 512 334 908 · Siège social : 12 rue des Tanneurs, 69002 Lyon",
    "Inscrita en el Registro Mercantil de Valencia, Tomo 8.214, Folio 112, Hoja V-104.332. CIF B-98123456. De conformidad "
    "con el RGPD, le informamos que sus datos se tratan para gestionar la relación comercial.",
    "Op al onze diensten zijn de algemene voorwaarden van toepassing, gedeponeerd bij de KvK onder nummer 24311802.",
    "WARNING: Computer viruses can be transmitted via email. The recipient should check this email and any attachments "
    "for the presence of viruses. The company accepts no liability for any damage caused by any virus.",
]

TOP_BANNERS = [
    "CAUTION: This email originated from outside of the organization. Do not click links or open attachments unless you "
    "recognize the sender and know the content is safe.",
    "[EXTERNAL] This message came from outside your organization.",
    "You don't often get email from ar@ourco.example. Learn why this is important",
    "ACHTUNG: Diese E-Mail stammt von einem externen Absender. Öffnen Sie keine Links oder Anhänge, wenn Sie den Absender nicht kennen.",
    "*** EXTERNAL EMAIL *** Use caution with links and attachments.",
    "ATTENTION : ce courriel provient de l'extérieur de l'organisation.",
    "LET OP: deze e-mail is afkomstig van buiten de organisatie.",
    "PRECAUCIÓN: Este correo se originó fuera de la organización.",
]

# Our reminder as the customer's mail client quotes it, per language. {inv} {amt} {due} are filled in.
REMINDERS = {
    "en": [
        "Dear customer,\nThis is a friendly reminder that invoice {inv} for {amt} was due on {due} and is now overdue. "
        "If you have already paid, please ignore this message.\nKind regards,\nAccounts Receivable, Our Co",
        "Hello,\nOur records show {inv} ({amt}) remains unpaid past its due date of {due}. Please arrange payment or let us "
        "know if there is a dispute or a problem with the invoice.\nThanks,\nOur Co Billing",
        "Hi there,\nJust checking in on invoice {inv} for {amt}, due {due}. You can pay online using the link below. If "
        "anything is holding this up, reply to this email and we will help.\nBest,\nOur Co Collections",
        "FINAL NOTICE: invoice {inv} for {amt} is more than 60 days overdue. Please pay immediately to avoid escalation "
        "of this account.\nOur Co Credit Control",
    ],
    "de": [
        "Sehr geehrte Damen und Herren,\nbei der Durchsicht unserer Buchhaltung ist uns aufgefallen, dass die Rechnung {inv} "
        "über {amt}, fällig am {due}, noch offen ist. Sollten Sie die Zahlung bereits veranlasst haben, betrachten Sie "
        "dieses Schreiben bitte als gegenstandslos.\nMit freundlichen Grüßen\nForderungsmanagement Our Co",
        "Hallo,\nkurze Erinnerung: Rechnung {inv} ({amt}) war am {due} fällig. Bitte überweisen Sie den Betrag oder "
        "melden Sie sich, falls es Unstimmigkeiten gibt.\nViele Grüße\nOur Co Buchhaltung",
        "2. Mahnung – Rechnung {inv}\nTrotz unserer Erinnerung ist der Betrag von {amt} weiterhin offen. Bitte begleichen "
        "Sie ihn umgehend.\nOur Co GmbH",
    ],
    "fr": [
        "Madame, Monsieur,\nSauf erreur de notre part, la facture {inv} d'un montant de {amt}, échue le {due}, reste impayée. "
        "Si vous avez déjà effectué le règlement, merci de ne pas tenir compte de ce message.\nCordialement,\nService "
        "recouvrement Our Co",
        "Bonjour,\nPetit rappel concernant la facture {inv} ({amt}) arrivée à échéance le {due}. N'hésitez pas à nous "
        "signaler tout litige.\nBien à vous,\nOur Co Comptabilité",
        "RELANCE : la facture {inv} de {amt} est en retard de plus de 30 jours. Merci de procéder au paiement dans les "
        "meilleurs délais.\nOur Co",
    ],
    "es": [
        "Estimado cliente:\nLe recordamos que la factura {inv} por importe de {amt}, con vencimiento el {due}, sigue "
        "pendiente de pago. Si ya ha realizado el pago, ignore este mensaje.\nAtentamente,\nDepartamento de Cobros, Our Co",
        "Hola,\nTe escribimos por la factura {inv} ({amt}), vencida el {due}. Si hay algún problema con ella, responde a "
        "este correo.\nUn saludo,\nOur Co Facturación",
        "SEGUNDO AVISO: la factura {inv} de {amt} continúa impagada. Rogamos su abono a la mayor brevedad.\nOur Co",
    ],
    "nl": [
        "Geachte klant,\nVolgens onze administratie staat factuur {inv} van {amt}, vervallen op {due}, nog open. Heeft u "
        "inmiddels betaald, dan kunt u dit bericht als niet verzonden beschouwen.\nMet vriendelijke groet,\nDebiteurenbeheer "
        "Our Co",
        "Hallo,\nEven een herinnering: factuur {inv} ({amt}) had op {due} betaald moeten zijn. Laat het ons weten als er iets "
        "niet klopt.\nGroet,\nOur Co Administratie",
        "TWEEDE HERINNERING: factuur {inv} van {amt} is nog altijd niet voldaan. Wij verzoeken u het bedrag per omgaande over "
        "te maken.\nOur Co",
    ],
}

SUBJECTS = {
    "en": ["Re: Invoice {inv} is overdue", "RE: Payment reminder - {inv}", "Re: Reminder: invoice {inv}",
           "RE: [EXTERNAL] Overdue invoice {inv}", "Re: Your account with Our Co", "RE: Statement of account",
           "Re: {inv}", "RE: FINAL NOTICE {inv}"],
    "de": ["AW: Zahlungserinnerung {inv}", "AW: Rechnung {inv}", "Re: Mahnung {inv}", "AW: [EXTERN] Offene Posten",
           "AW: 2. Mahnung – Rechnung {inv}"],
    "fr": ["RE: Relance facture {inv}", "Re: Facture {inv} impayée", "RE: Rappel de paiement", "RE: [EXT] Facture {inv}"],
    "es": ["RE: Recordatorio factura {inv}", "Re: Factura {inv} vencida", "RE: Aviso de pago", "RV: Factura {inv}"],
    "nl": ["RE: Betalingsherinnering {inv}", "Re: Factuur {inv}", "Antw: Herinnering openstaande factuur",
           "RE: [EXTERN] Factuur {inv}"],
}

FORWARD_SUBJECTS = {
    "en": ["FW: Payment Advice", "Fwd: Remittance advice {inv}", "FW: Payment confirmation", "Fwd: ACH payment notification"],
    "de": ["WG: Zahlungsavis", "WG: Überweisungsbestätigung {inv}", "Fwd: Payment Advice"],
    "fr": ["TR: Avis de paiement", "TR: Confirmation de virement {inv}", "Fwd: Payment advice"],
    "es": ["RV: Aviso de pago", "RV: Justificante de transferencia {inv}", "Fwd: Payment advice"],
    "nl": ["Doorst: Betalingsadvies", "FW: Betaalbevestiging {inv}", "Fwd: Payment advice"],
}

# Debris html2text leaves from Outlook HTML: style residue, image references, rewritten links.
HTML_TOP = [
    "<!-- /* Font Definitions */ @font-face {font-family:\"Cambria Math\"; panose-1:2 4 5 3 5 4 6 3 2 4;} "
    "p.MsoNormal, li.MsoNormal {margin:0cm; font-size:11.0pt; font-family:\"Calibri\",sans-serif;} -->",
    "v\\:* {behavior:url(#default#VML);} o\\:* {behavior:url(#default#VML);} w\\:* {behavior:url(#default#VML);}",
    "style=\"font-family:Aptos,sans-serif;font-size:12pt;color:rgb(0,0,0)\"",
    "div.WordSection1 {page:WordSection1;} span.EmailStyle18 {mso-style-type:personal-reply; color:windowtext;}",
    "<style> .x_MsoNormal { margin: 0; } </style>",
]
HTML_IMAGES = ["[cid:image001.png@01DB3F2A.8C1E4B50]", "[cid:image002.jpg@01DA9E11.44F0C7A0]", "[logo]",
               "![](cid:part1.0Bk2aX.3jd8@example)", "[signature_1432998772]", "[https://cdn.example/sig/banner.png]"]
SAFELINKS = [
    "<https://eur02.safelinks.protection.outlook.com/?url=https%3A%2F%2Fwww.{host}%2F&data=05%7C02%7Car%40ourco.example"
    "%7C3c1f0b2e9a%7C0%7C0%7C638712&sdata=Qm1xT2s%3D&reserved=0>",
    "<https://nam12.safelinks.protection.outlook.com/?url=http%3A%2F%2F{host}%2Fportal&data=05%7C01%7C%7Cd81f%7C1"
    "&sdata=aZ9%2Bk%3D&reserved=0>",
    "<https://urldefense.com/v3/__https://{host}/invoices__;!!Q3rT!x8F2k1Lm$>",
    "<https://protect-eu.mimecast.com/s/Ab3dC4eFgHiJkLm?domain={host}>",
]
