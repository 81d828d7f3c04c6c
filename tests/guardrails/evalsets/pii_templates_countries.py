"""PII evaluation templates for issue 24 (dev split: the detectors were built against them).

The classes of miss an independent set found, each written the way our guests write them:
Unicode formatting (full-width digits, invisible characters and unusual spaces between digits,
dots and slashes as separators), internationalised and spelt-out email addresses, Iranian Sheba
numbers and Shetab cards (also in Persian digits), national IDs and passports of every country we
serve (AF, IR, AE, SA, TR, PK, DE, FR, GB) named in every language we serve (en, fr, de, tr, ar,
fa, ps, ur), a guest's local number from another country than the hotel's, and the hard negatives
that must stay untouched (IMEIs, order numbers, dates, prices).

Slot transforms (a trailing argument, see values.TRANSFORMS): `ar`/`fa` digits, `fw` full-width,
`zw` `zwj` `zwnj` `wj` `shy` `lrm` between groups, `nbsp` `thin` `nnbsp` spaces, `dots`.
"""

TEMPLATES = [
    # --- Unicode formatting (issue 15.2) ------------------------------------------------------------
    ("en", "AF", "call me on {PHONE:AF:intl:fw}, I'm in the lobby"),
    ("en", "AE", "my number {PHONE:AE:intl:zw} (WhatsApp too)"),
    ("en", "AE", "Card {CARD:visa:spaced:zwj} was charged twice"),
    ("en", "GB", "card number {CARD:mc:spaced:shy}, expiry 09/28"),
    ("en", "GB", "Refund to {IBAN:GB:nbsp} please"),
    ("en", "DE", "Kreditkarte {CARD:visa:spaced:thin}, Ablauf 04/27"),
    ("fr", "FR", "Portable : {PHONE:FR:local:nnbsp}, merci de rappeler"),
    ("en", "AF", "mobile {PHONE:AF:local:lrm}, room 204"),
    ("ar", "AE", "رقمي {PHONE:AE:intl:ar:lrm} على الواتساب"),
    ("fa", "AF", "شماره کارتم {CARD:visa:spaced:fa:zwnj} است"),
    ("en", "AF", "card {CARD:visa:spaced:dots} declined at the bar"),
    ("en", "AF", "email: {EMAIL:fw}"),
    ("en", None, "contact {EMAIL} or {PHONE:AE:intl:wj}"),
    ("de", "DE", "Erreichbar unter {PHONE:DE:local_slash} (Büro) oder {PHONE:DE:local}"),
    ("de", "DE", "Zimmer 12 reserviert, erreichbar unter {PHONE:DE:local_compact} ab 18 Uhr"),
    # --- emails: internationalised domains and spelt-out addresses ------------------------------------
    ("de", "DE", "Bitte die Rechnung an {EMAILIDN} schicken, danke!"),
    ("fr", "FR", "Mon adresse : {EMAILIDN}."),
    ("tr", "TR", "E-posta adresim {EMAILIDN}, teşekkürler"),
    ("en", None, "write to {EMAILW:words} please"),
    ("en", None, "My email is {EMAILW:upper}"),
    ("en", None, "contact: {EMAILW:brackets}"),
    ("en", None, "send the invoice to {EMAILW:parens}"),
    ("en", None, "reach me at {EMAILW:square_words} anytime"),
    ("en", None, "my address is {EMAILW:webmail}, thanks"),
    ("en", None, "Email {EMAILW:spaced_at} for the receipt"),
    ("fr", "FR", "Écrivez-moi : {EMAILW:arobase}"),
    ("de", "DE", "Meine Adresse: {EMAILW:punkt}"),
    ("fa", "AF", "ایمیلم {EMAILW:words} است"),
    # --- Iran: Sheba numbers, Shetab cards, national code, passport -------------------------------
    ("fa", "IR", "شماره شبا {IBAN:IR} برای بازگشت پول"),
    ("fa", "IR", "لطفاً به شبای {IBAN:IR:fa} واریز کنید"),
    ("fa", "IR", "شماره شبا: {IBAN:IR:compact}"),
    ("en", "AE", "Iranian guest, refund to Sheba {IBAN:IR}"),
    ("fa", "IR", "شماره کارت {CARD:shetab:spaced:fa} به نام رضا"),
    ("fa", "IR", "کارت {CARD:shetab:dashed} بانک ملت"),
    ("en", "AE", "he paid with an Iranian card {CARD:shetab:compact}"),
    ("fa", "IR", "کد ملی {GOV:iran_dashed:fa} و گذرنامه {PASS:ir}"),
    ("fa", "AE", "کد ملی من {GOV:iran} است"),
    # --- Afghanistan ----------------------------------------------------------------------------------
    ("ps", "AF", "زما د تذکرې شمېره {GOV:tazkira:fa} ده او ګرځنده {PHONE:AF:local:fa}"),
    ("ps", "AF", "د اړیکې شمېره: {PHONE:AF:local_compact}"),
    ("fa", "AF", "نمبر پاسپورت {PASS:letter8} و شماره تذکره {GOV:tazkira}"),
    # --- UAE and Saudi Arabia ------------------------------------------------------------------------
    ("ar", "AE", "رقم الهوية {GOV:emirates:ar} ورقم الجواز {PASS:two_letters}"),
    ("ar", "SA", "رقم الإقامة {GOV:saudi:ar} والجوال {PHONE:SA:local:ar}"),
    ("en", "AE", "Saudi visitor, national ID {GOV:saudi}, passport {PASS:letter8}"),
    # --- Turkey --------------------------------------------------------------------------------------
    ("tr", "TR", "Kimlik numaram {GOV:tckn}, pasaport no {PASS:tr}"),
    ("tr", "AE", "Dubai'deyim ama cep numaram {PHONE:TR:local}, arayın lütfen"),
    ("en", "AE", "Turkish guest, contact {PHONE:TR:local} for the transfer"),
    ("tr", "TR", "Kart numarası {CARD:troy:spaced} ile ödeme yapıldı, sipariş no 7789123"),
    # --- Pakistan, in Urdu and English -----------------------------------------------------------------
    ("ur", "PK", "میرا شناختی کارڈ نمبر {GOV:cnic} ہے"),
    ("ur", "PK", "شناختی کارڈ {GOV:cnic_compact:fa} اور فون نمبر {PHONE:PK:local:fa}"),
    ("ur", "AE", "میرا پاسپورٹ نمبر {PASS:two_letters} ہے اور موبائل {PHONE:PK:intl}"),
    ("ur", "PK", "براہ کرم مجھے {PHONE:PK:local} پر کال کریں یا {EMAIL} پر ای میل کریں"),
    ("ur", "PK", "میرا ای میل {EMAIL} ہے، کمرہ نمبر ۲۰۴ میں ہوں"),
    ("ur", "PK", "رقم اس آئی بین پر واپس کریں: {IBAN:PK}"),
    ("ur", "PK", "میرے کارڈ {CARD:visa:spaced} سے دو بار پیسے کٹ گئے"),
    ("en", "AE", "Pakistani guest: CNIC {GOV:cnic_compact}, passport {PASS:two_letters}"),
    ("ps", "PK", "زما پاسپورټ شمېره {PASS:two_letters} ده"),
    # --- Germany -------------------------------------------------------------------------------------
    ("de", "DE", "Reisepass {PASS:de_alpha}, Personalausweis {GOV:ausweis_alpha}"),
    ("en", "AE", "German guest, passport no. {PASS:de_alpha}"),
    ("de", "DE", "Ausweisnummer: {GOV:ausweis_alpha}, gültig bis 2031"),
    # --- France --------------------------------------------------------------------------------------
    ("fr", "FR", "Carte nationale d'identité n° {GOV:cni_fr}, passeport {PASS:fr}"),
    ("fr", "FR", "N° de sécu : {GOV:nir}"),
    # --- United Kingdom ------------------------------------------------------------------------------
    ("en", "GB", "National Insurance number {GOV:nino}, NHS number {GOV:nhs}"),
    ("en", "GB", "NI no: {GOV:nino}"),
    ("en", "GB", "Guest's NHS no. {GOV:nhs} for the first-aid log"),
    # --- hard negatives: IMEIs, order numbers, dates, prices, failing cards ------------------------------
    ("en", "AE", "Lost phone handed in: IMEI {IMEI}, black case, room 1204"),
    ("en", "GB", "The guest's phone IMEI is {IMEI}; serial number C39XK2LMN0P1"),
    ("de", "DE", "Fundsache: Handy, IMEI {IMEI}, Bestellnummer 0170023456 der Reparatur"),
    ("en", "GB", "Card {LUHNFAIL} was declined twice, guest paid cash"),
    ("en", "GB", "Order 01511283036 shipped on 2025/12/24, invoice no. 0207 946 0958 9"),
    ("fr", "FR", "Commande n° 0612345678 livrée le 24.12.2025, total 1.250,00 €"),
    ("tr", "TR", "Sipariş numarası 05321234567 olan paket 12.11.2025 tarihinde teslim edildi, tutar 1.250,00 TL"),
    ("fa", "IR", "تاریخ ورود ۱۴۰۳/۰۵/۱۲ و خروج ۱۴۰۳/۰۵/۱۵، مبلغ ۱۲٬۵۰۰٬۰۰۰ ریال"),
    ("ar", "SA", "رقم الطلب ٠٥٠١٢٣٤٥٦٧ بتاريخ ٢٠٢٥/١١/٠٢ والسعر ٤٥٠٫٠٠ ريال"),
    ("ur", "PK", "بکنگ نمبر ۰۳۰۰۱۲۳۴۵۶۷ ہے اور کمرہ نمبر ۳۰۵، قیمت ۱۲٬۰۰۰ روپے"),
    ("en", "AE", "Invoice 2025/11/0042, amount 1,234,567.89 AED, order #05012345678"),
]
