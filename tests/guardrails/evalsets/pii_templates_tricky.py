"""PII evaluation templates that stress formatting and boundaries: values glued to words or
punctuation, unusual groupings, several values in one multi-line note, and numbers that look like
PII but are booking references, dates, coordinates, amounts or versions."""

TEMPLATES = [
    ("en", "AE", "Tel:{PHONE:AE:e164} / Email:{EMAIL}"),
    ("en", "AF", "Contact (WhatsApp): {PHONE:AF:idd}; alt. contact: {PHONE:AE:intl}"),
    ("en", None, "Send it to <{EMAIL}> please, or mailto:{EMAIL}"),
    (
        "en",
        "GB",
        "Booking notes:\n- guest: Ms. Noor\n- phone: {PHONE:GB:local}\n- card: {CARD:jcb:spaced}\n"
        "- arrival 2025-12-24 23:40\n- rate GBP 189.00/night",
    ),
    ("en", "AE", "Card ({CARD:unionpay:compact}) charged AED 2,100; refund ref RF-20251103-7781."),
    ("en", "AE", "emirates id no. {GOV:emirates_compact}, nationality IN, visa on arrival"),
    ("en", None, "iban: {IBAN:CH:lower}; swift: UBSWCHZH80A"),
    (
        "en",
        "AF",
        "Coordinates of the guesthouse: 34.5553, 69.2075. Generator runs 18:00-23:00. Fee AFN 12,500,000 "
        "for the season.",
    ),
    ("en", "AF", "Booking 0701 334 221 is confirmed for room 0701; firmware v2.3.4.5 installed on the lock."),
    ("en", None, "Numbers for the kids' game: 1 2 3 4 5 6 7 8 9 10, then dinner at 19:30."),
    ("en", "DE", "Guest's passport: {PASS:digits9} (UK), expires 2031-04-30; second guest ID card {GOV:idnr}."),
    ("en", "AE", "The guest wrote her number as {PHONE:AE:local_dash} and her husband's as {PHONE:SA:intl}."),
    ("en", "QA", "Call me on whatsapp {PHONE:QA:bare}, I am in the lobby"),
    ("en", "AE", "Payment link sent. Amount 1,234,567.89 AED? No: 1,234.56 AED. Ticket #4111111111111111x."),
    ("en", "AE", "Luhn check failed for {LUHNFAIL} and for {LUHNFAIL}; the guest will bring cash."),
    ("fr", "FR", "Tél. {PHONE:FR:intl} – e-mail : {EMAIL} – passeport n°{PASS:fr}"),
    ("fr", "FR", "Virement reçu de {IBAN:FR:compact} (RIB joint), réf. VIR-2025-118."),
    ("de", "DE", "Rückrufnummer {PHONE:DE:local_compact}, Personalausweis {GOV:ausweis}."),
    ("tr", "TR", "Misafir: Elif Demir, cep: {PHONE:TR:local_compact}, kimlik {GOV:tckn}, kart {CARD:visa:dashed}"),
    ("ar", "AE", "رقمي:{PHONE:AE:intl:ar}، وإيميلي {EMAIL}."),
    ("ar", "SA", "هويتي رقم {GOV:saudi} وجوازي {PASS:letter7}، الحجز رقم ٨٨٢٣١٧"),
    ("ar", "AE", "رقم البطاقة الائتمانية {CARD:visa:spaced:ar} والتاريخ ٠٨/٢٧"),
    ("ar", "AE", "الآيبان الخاص بي {IBAN:AE:ar}"),
    ("fa", "AF", "شماره‌ام {PHONE:AF:local_compact:fa} است. ایمیل: {EMAIL}"),
    ("fa", "AF", "پاسپورتم {PASS:letter8} است و تذکره‌ام {GOV:tazkira:fa}"),
    ("ps", "AF", "زما شمېره {PHONE:AF:intl:fa} ده او برېښنالیک مې {EMAIL} دی"),
]
