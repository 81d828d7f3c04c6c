"""Second PII holdout (issue 24): written after the issue-24 detectors, by the same engineer who wrote
them, and scored once, blind, before any change was made for it (docs/benchmarks.md has that
score); its records carry `"split": "holdout2"`.

It covers every language we serve and every country table, in phrasings and formats the dev
templates do not use: other separators and groupings, other spelt-out email forms, values at the
start or end of a line, several values of a kind in one note, and numbers that must stay (IMEIs,
flight and seat numbers, order numbers with a room word nearby, prices, Persian and Gregorian dates).
"""

TEMPLATES = [
    # --- English ----------------------------------------------------------------------------------------
    ("en", "GB", "{PHONE:GB:intl} is my mobile, landline below"),
    ("en", "AE", "pls whatsapp me: {PHONE:AE:local_dash}"),
    ("en", None, "Reach me at {EMAILWH:braces} or {EMAILWH:angle}"),
    ("en", "GB", "my mail: {EMAILWH:co_uk}"),
    ("en", "GB", "NI {GOV:nino} / NHS {GOV:nhs}"),
    ("en", "GB", "Refund: {IBAN:GB:compact}; sort code is in there"),
    ("en", "AE", "Emirates ID: {GOV:emirates_compact}; phone {PHONE:AE:intl:nbsp}"),
    ("en", "SA", "Iqama {GOV:saudi}, mobile {PHONE:SA:local_dash}"),
    ("en", "AF", "Guest 1: {PHONE:AF:intl}\nGuest 2: {PHONE:AF:local_compact}"),
    ("en", "AE", "Paid with {CARD:amex:spaced:thin}, receipt no. 448812"),
    ("en", "AE", "Seat 23A on flight EK 2204, IMEI of the lost tablet {IMEI}, room 1801"),
    ("en", "GB", "Room 214: order 07700 900123 from the minibar supplier, deliver before 10:00"),
    ("en", "AE", "We will be 4 adults, arriving 2025-12-31 at 23:15, total AED 12,450.50"),
    # --- French -----------------------------------------------------------------------------------------
    ("fr", "FR", "Vous pouvez me joindre au {PHONE:FR:local_dots} ou par mail : {EMAILIDNH}"),
    ("fr", "FR", "Mon mail : {EMAILWH:at_upper_dot}"),
    ("fr", "FR", "Pièce d'identité : passeport {PASS:fr}, valable jusqu'en 2030"),
    ("fr", "FR", "Numéro de sécurité sociale : {GOV:nir} (pour l'assurance)"),
    ("fr", "FR", "Facture n° 2025-0871 du 03/11/2025, 2 nuits à 145,00 €, chambre 12"),
    # --- German -----------------------------------------------------------------------------------------
    ("de", "DE", "Tel. {PHONE:DE:local_slash}, mobil {PHONE:DE:intl}"),
    ("de", "DE", "E-Mail: {EMAILIDNH}"),
    ("de", "DE", "Personalausweis-Nr. {GOV:ausweis_alpha} und Reisepass-Nr. {PASS:de_alpha}"),
    ("de", "DE", "Kaution bitte zurück an {IBAN:DE:compact}"),
    ("de", "DE", "Zimmer 204 und 205, Anreise 24.12.2025, Preis 1.180,00 EUR, Bestellnummer 49 1234 5678"),
    # --- Turkish ----------------------------------------------------------------------------------------
    ("tr", "TR", "TC: {GOV:tckn}, GSM: {PHONE:TR:intl}"),
    ("tr", "TR", "Mail adresim {EMAILIDNH}"),
    ("tr", "TR", "İade için hesap: {IBAN:TR:compact}"),
    ("tr", "AE", "Otel Dubai'de ama benim numaram {PHONE:TR:local_compact}"),
    ("tr", "TR", "Oda 1203, 3 gece, toplam 12.750 TL, rezervasyon kodu TRK-8812"),
    # --- Arabic -----------------------------------------------------------------------------------------
    ("ar", "SA", "للتواصل: {PHONE:SA:intl:ar}"),
    ("ar", "AE", "الهوية: {GOV:emirates:ar}، الجنسية: مصري"),
    ("ar", "SA", "رقم الهوية الوطنية {GOV:saudi:ar} والايبان {IBAN:SA:compact}"),
    ("ar", "AE", "بطاقتي {CARD:mc:spaced:ar:zw} انرفضت"),
    ("ar", "SA", "الغرفة ٤٠٢، الوصول ١٤٤٧/٠٦/٠١ هـ، المبلغ ١٬٢٠٠ ريال، رقم الطلب ٧٧٨٨٢١"),
    # --- Dari / Persian ---------------------------------------------------------------------------------
    ("fa", "IR", "شماره همراهم {PHONE:IR:local:fa} است، شبا {IBAN:IR:fa}"),
    ("fa", "IR", "کارت بانکی: {CARD:shetab:compact:fa}"),
    ("fa", "IR", "کدملی {GOV:iran:fa}"),
    ("fa", "AF", "تذکره: {GOV:tazkira}، شماره تماس {PHONE:AF:intl:fa}"),
    ("fa", "AF", "آدرس ایمیل: {EMAILWH:dot_brackets}"),
    ("fa", "IR", "رزرو از ۱۴۰۴/۰۱/۲۰ تا ۱۴۰۴/۰۱/۲۳، اتاق ۳۱۲، مبلغ ۴٬۵۰۰٬۰۰۰ تومان"),
    # --- Pashto -----------------------------------------------------------------------------------------
    ("ps", "AF", "زما ګرځنده: {PHONE:AF:local_dash:fa}"),
    ("ps", "AF", "د پاسپورټ نمبر: {PASS:letter8}"),
    ("ps", "AF", "زما برېښنالیک {EMAILIDNH} دی"),
    ("ps", "AF", "د کوټې شمېره ۲۱۴ ده، بیه ۴۵۰۰ افغانۍ، د بکنګ شمېره ۵۵۲۱۸۹"),
    # --- Urdu -------------------------------------------------------------------------------------------
    ("ur", "PK", "موبائل نمبر: {PHONE:PK:local_compact:fa}"),
    ("ur", "PK", "شناختی کارڈ: {GOV:cnic:fa}"),
    ("ur", "PK", "پاسپورٹ نمبر {PASS:two_letters} اور ای میل {EMAIL}"),
    ("ur", "AE", "دبئی میں ہوں، واٹس ایپ {PHONE:PK:intl}"),
    ("ur", "PK", "کمرہ ۳۱۲، دو راتیں، کل ۲۴٬۰۰۰ روپے، آرڈر ۸۸۱۲۳۴"),
]
