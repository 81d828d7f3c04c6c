"""PII evaluation templates in Latin script: English, French, German, Turkish.

Each is (lang, tenant country, text). `{KIND:args}` slots are filled by `values.Values` and
labelled; everything else, including the hard negatives written literally (booking numbers,
dates, prices, room numbers, times, short codes), is unlabelled text that must stay untouched.
Unlabelled generated negatives: {LUHNFAIL}, {LUHNNONCARD}, {BADIBAN:CC}.
"""

TEMPLATES = [
    # --- English: guest emails, WhatsApp, booking notes, check-in notes --------------------------
    (
        "en",
        "AE",
        "Hi, this is Omar. Please confirm booking BK-2025-118734 for 3 nights from 12/05/2025. "
        "You can reach me on {PHONE:AE:intl} or {EMAIL}.",
    ),
    ("en", "AE", "Guest called from {PHONE:AE:local} asking for late checkout at 14:30, room 1204."),
    (
        "en",
        "AF",
        "Check-in note: guest passport no. {PASS:letter8}, arriving on flight FG 302 at 09:45. "
        "Mobile {PHONE:AF:local}.",
    ),
    (
        "en",
        "AF",
        "WhatsApp from Mr. Haidari: my number is {PHONE:AF:e164}, please send the invoice INV-2025-00417 to {EMAIL}",
    ),
    ("en", "GB", "Deposit of GBP 250.00 paid by card {CARD:visa:spaced}, exp 08/27. Booking ref 73920184."),
    ("en", "GB", "Please refund to IBAN {IBAN:GB} (account holder: S. Martin). Amount: 1,180.50 GBP."),
    ("en", "AE", "Card on file {CARD:mc:dashed} was declined; guest gave a second card {CARD:amex:spaced}."),
    ("en", "AE", "Emirates ID {GOV:emirates} scanned at reception for room 712, 2 adults 1 child."),
    ("en", "SA", "Saudi guest, national ID {GOV:saudi}, phone {PHONE:SA:intl}, requests airport pickup at 23:10."),
    (
        "en",
        "QA",
        "Corporate booking for Al Thani group, contact {EMAIL}, WhatsApp {PHONE:QA:intl}, invoice to IBAN {IBAN:QA}.",
    ),
    ("en", "AF", "Tazkira number {GOV:tazkira} recorded for guest in room 305; second guest passport {PASS:letter8}."),
    (
        "en",
        None,
        "Hello! I booked through your website (order #58213947) and paid with {CARD:visa:compact}. "
        "The charge shows twice. My email: {EMAIL}",
    ),
    ("en", None, "The card number I typed was {LUHNFAIL}, I think one digit is wrong, can you check booking 4471?"),
    (
        "en",
        None,
        "Our supplier's IBAN {BADIBAN:AE} bounced, finance says the check digits are off. "
        "Please call reception on extension 204.",
    ),
    ("en", "AE", "Dial 999 for emergencies, 112 from mobiles. Wi-Fi code: Guest2025. Breakfast 06:30-10:30."),
    ("en", "AE", "Total AED 3,450.00 for 5 nights (2025-11-02 to 2025-11-07), room 2104, rate code BAR-FLEX."),
    ("en", "GB", "Tracking number 1Z999AA10123456784 for the parcel the guest left in room 18."),
    ("en", None, "Loyalty member 100245873 asked about points for stays 2023-2025, see note from 14.03.2025."),
    ("en", "PK", "Guest CNIC {GOV:cnic}, phone {PHONE:PK:local}; paid PKR 45,000 cash."),
    ("en", "EG", "Egyptian national ID {GOV:egypt} copied for the police register; mobile {PHONE:EG:local}."),
    ("en", "KW", "Civil ID {GOV:civil_kw}, reachable at {PHONE:KW:intl}, prefers a non-smoking room."),
    ("en", None, "Please send the confirmation to {EMAIL} and cc {EMAIL}. My passport number is {PASS:digits9}."),
    ("en", "AF", "Bank transfer from {IBAN:DE} received, 620 EUR, reference HB-77812."),
    ("en", "AF", "Driver's contact: call {PHONE:AF:local_compact} when you land. Pickup fee 1,500 AFN."),
    (
        "en",
        "GB",
        "Reservation 2025-0098123 for Dr. Wolf: card {CARD:discover:spaced}, phone {PHONE:GB:intl}, email {EMAIL}.",
    ),
    ("en", None, "The card {LUHNNONCARD} from the loyalty system is not a payment card; do not charge it."),
    ("en", "AE", "Guest asked for a taxi at 5:45 am to terminal 3, flight EK 640; room 1507."),
    ("en", None, "Invoice 2025/11/0042 total USD 1,299.99 due on 30 Nov 2025, PO number 4500012345."),
    (
        "en",
        "AE",
        "For a faster check-in, please send a copy of your passport; the number on it ({PASS:two_letters}) "
        "must match your booking name.",
    ),
    ("en", "TR", "Turkish guest ID (TC Kimlik) {GOV:tckn}, phone {PHONE:TR:intl}, breakfast included."),
    ("en", "DE", "Booking.com reservation 4829301756, guest email {EMAIL}, arriving 18:00."),
    ("en", "GB", "Please dial 0800 for the front desk or 9 for an outside line. Spa opens at 10:00."),
    # --- French -------------------------------------------------------------------------------------
    (
        "fr",
        "FR",
        "Bonjour, je confirme la réservation n° 558214 pour le 14/07/2025. Mon portable : "
        "{PHONE:FR:local}, mon e-mail : {EMAIL}.",
    ),
    ("fr", "FR", "Numéro de passeport {PASS:fr}, nationalité française, chambre 23, arrivée vers 21h30."),
    ("fr", "FR", "Merci de rembourser l'acompte de 150,00 € sur mon IBAN {IBAN:FR}."),
    ("fr", "FR", "Numéro de sécurité sociale {GOV:nir} demandé pour la prise en charge ; tél. {PHONE:FR:intl}."),
    ("fr", "MA", "Client marocain, CIN {GOV:cin_ma}, passeport {PASS:two_letters}, joignable au {PHONE:MA:intl}."),
    ("fr", "FR", "Paiement par carte {CARD:mc2:spaced} refusé, le client paiera en espèces 420 € à l'arrivée."),
    ("fr", None, "La facture FAC-2025-0312 de 1 280,00 € est à régler avant le 15.12.2025, code promo ETE25."),
    ("fr", "FR", "Appelez-moi au {PHONE:FR:local_dash} ou écrivez à {EMAIL}, je serai là vers 19 h."),
    ("fr", "FR", "Chambre 104, 2 adultes, petit-déjeuner 7h-10h, code porte 4821#, parking niveau -2."),
    ("fr", "FR", "Carte d'identité {GOV:dni} (cliente espagnole) et numéro de téléphone {PHONE:FR:idd}."),
    # --- German -------------------------------------------------------------------------------------
    (
        "de",
        "DE",
        "Guten Tag, bitte buchen Sie das Zimmer für den 03.10.2025. Meine Handynummer: "
        "{PHONE:DE:local}, E-Mail {EMAIL}.",
    ),
    ("de", "DE", "Reisepassnummer {PASS:de}, Ankunft gegen 22 Uhr, Buchungsnummer 7712093."),
    ("de", "DE", "Bitte überweisen Sie die Kaution zurück auf IBAN {IBAN:DE}. Betrag: 200,00 EUR."),
    ("de", "DE", "Steuer-ID {GOV:idnr} für die Firmenrechnung, Rechnungsnummer RE-2025-5531."),
    ("de", "DE", "Zimmer 311, Frühstück 6:30 bis 10:00 Uhr, Preis 129,00 EUR pro Nacht, PLZ 10115 Berlin."),
    ("de", "DE", "Kreditkarte {CARD:visa:dashed}, gültig bis 11/26; Rückruf unter {PHONE:DE:intl}."),
    ("de", "NL", "Niederländischer Gast, BSN {GOV:bsn}, Telefon {PHONE:NL:intl}."),
    # --- Turkish ------------------------------------------------------------------------------------
    (
        "tr",
        "TR",
        "Merhaba, 15.08.2025 tarihli rezervasyonum için arıyorum. Cep numaram {PHONE:TR:local}, e-posta {EMAIL}.",
    ),
    ("tr", "TR", "TC kimlik no {GOV:tckn}, oda 402, giriş saati 14:00."),
    ("tr", "TR", "Ödeme kartı {CARD:troy:spaced} ile yapıldı, tutar 4.250,00 TL."),
    ("tr", "TR", "İade için IBAN: {IBAN:TR}. Rezervasyon no 99817263."),
    ("tr", "TR", "Pasaport numarası {PASS:letter8}, uçuş TK 1873, saat 03:20 varış."),
    ("tr", "TR", "Resepsiyon dahili 0, oda servisi 5, fiyat 3.200 TL, indirim kodu YAZ2025."),
]
