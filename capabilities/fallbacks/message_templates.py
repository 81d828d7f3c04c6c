"""The guest message templates of the message.draft fallback, per intent and written language.

A line is written only when every field it `needs` is known and none it is `unless`-ed by is,
so a draft never shows an empty placeholder. Dates stay ISO (2025-04-10): unambiguous in every
market we serve. Persian texts also serve Dari (fa-AF, prs) and use words common to both.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    text: str
    needs: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()


@dataclass(frozen=True)
class Template:
    subject: str
    lines: tuple[Line, ...]


def line(text: str, *needs: str, unless: tuple[str, ...] = ()) -> Line:
    return Line(text, needs, unless)


# Used where the hotel's name would stand when the caller did not send it.
HOTEL_FALLBACK_NAME = {"en": "our hotel", "ar": "فندقنا", "fa": "هتل ما", "ps": "هوټل", "fr": "notre hôtel"}
TEAM_SIGNATURE = {
    "en": "The reception team",
    "ar": "فريق الاستقبال",
    "fa": "تیم پذیرش",
    "ps": "د ریسپشن ټیم",
    "fr": "L'équipe de la réception",
}
# Used when the guest name is blank: a greeting must still address someone.
GUEST_FALLBACK_NAME = {"en": "guest", "ar": "ضيفنا", "fa": "مهمان", "ps": "مېلمه", "fr": "chère cliente, cher client"}
GREETINGS = {
    "en": {"formal": "Dear {guest_name},", "warm": "Hello {guest_name},"},
    "ar": {"formal": "حضرة الضيف الكريم {guest_name}،", "warm": "مرحباً {guest_name}،"},
    "fa": {"formal": "{guest_name} گرامی،", "warm": "سلام {guest_name} عزیز،"},
    "ps": {"formal": "محترم {guest_name}،", "warm": "سلام {guest_name}،"},
    "fr": {"formal": "Bonjour {guest_name},", "warm": "Bonjour {guest_name},"},
}
CLOSINGS = {
    "en": {"formal": "Kind regards,", "warm": "Warm wishes,"},
    "ar": {"formal": "مع أطيب التحيات،", "warm": "مع خالص المودة،"},
    "fa": {"formal": "با احترام،", "warm": "با بهترین آرزوها،"},
    "ps": {"formal": "په درناوي،", "warm": "په نېکو هیلو،"},
    "fr": {"formal": "Cordialement,", "warm": "Bien chaleureusement,"},
}

BOOKING_CONFIRMATION = {
    "en": Template(
        "Your booking at {hotel_name} is confirmed",
        (
            line("Thank you for choosing {hotel_name}. We are pleased to confirm your reservation."),
            line("Booking reference: {booking_ref}", "booking_ref"),
            line("Arrival: {check_in}", "check_in"),
            line("Departure: {check_out}", "check_out"),
            line("Room: {room_type}", "room_type"),
            line("Guests: {guests}", "guests"),
            line("If you would like to change your plans or have a special request, simply reply to this message."),
        ),
    ),
    "ar": Template(
        "تأكيد حجزكم في {hotel_name}",
        (
            line("شكراً لاختياركم {hotel_name}. يسعدنا تأكيد حجزكم."),
            line("رقم الحجز: {booking_ref}", "booking_ref"),
            line("تاريخ الوصول: {check_in}", "check_in"),
            line("تاريخ المغادرة: {check_out}", "check_out"),
            line("نوع الغرفة: {room_type}", "room_type"),
            line("عدد الضيوف: {guests}", "guests"),
            line("إذا رغبتم في تعديل خططكم أو كانت لديكم أي طلبات خاصة، يكفي الرد على هذه الرسالة."),
        ),
    ),
    "fa": Template(
        "تأیید رزرو شما در {hotel_name}",
        (
            line("سپاسگزاریم که {hotel_name} را انتخاب کردید. با خوشحالی رزرو شما را تأیید می‌کنیم."),
            line("شماره رزرو: {booking_ref}", "booking_ref"),
            line("تاریخ ورود: {check_in}", "check_in"),
            line("تاریخ خروج: {check_out}", "check_out"),
            line("نوع اتاق: {room_type}", "room_type"),
            line("تعداد مهمانان: {guests}", "guests"),
            line("اگر می‌خواهید برنامه‌تان را تغییر دهید یا درخواست خاصی دارید، کافی است به همین پیام پاسخ دهید."),
        ),
    ),
    "ps": Template(
        "په {hotel_name} کې ستاسو بکینګ تایید شو",
        (
            line("مننه چې {hotel_name} مو غوره کړ. خوښ یو چې ستاسو بکینګ تاییدوو."),
            line("د بکینګ شمېره: {booking_ref}", "booking_ref"),
            line("د رارسېدو نېټه: {check_in}", "check_in"),
            line("د تګ نېټه: {check_out}", "check_out"),
            line("د خونې ډول: {room_type}", "room_type"),
            line("د مېلمنو شمېر: {guests}", "guests"),
            line("که غواړئ خپل پلان بدل کړئ یا کومه ځانګړې غوښتنه لرئ، یوازې دې پیغام ته ځواب ورکړئ."),
        ),
    ),
    "fr": Template(
        "Confirmation de votre réservation à {hotel_name}",
        (
            line("Merci d'avoir choisi {hotel_name}. Nous avons le plaisir de confirmer votre réservation."),
            line("Numéro de réservation : {booking_ref}", "booking_ref"),
            line("Arrivée : {check_in}", "check_in"),
            line("Départ : {check_out}", "check_out"),
            line("Chambre : {room_type}", "room_type"),
            line("Nombre de personnes : {guests}", "guests"),
            line(
                "Si vous souhaitez modifier votre séjour ou avez une demande particulière, il vous suffit de répondre "
                "à ce message."
            ),
        ),
    ),
}

PRE_ARRIVAL = {
    "en": Template(
        "We look forward to welcoming you to {hotel_name}",
        (
            line("Your stay is approaching and our team is getting ready for your arrival."),
            line("We expect you on {check_in}.", "check_in"),
            line("Check-in is from {check_in_time}.", "check_in_time"),
            line(
                "Please let us know your estimated arrival time, and whether you need an airport transfer or have "
                "any special requests."
            ),
        ),
    ),
    "ar": Template(
        "نتطلع إلى استقبالكم في {hotel_name}",
        (
            line("موعد إقامتكم يقترب، وفريقنا يستعد لاستقبالكم."),
            line("نتوقع وصولكم بتاريخ {check_in}.", "check_in"),
            line("يبدأ تسجيل الوصول من الساعة {check_in_time}.", "check_in_time"),
            line(
                "يُرجى إبلاغنا بموعد وصولكم المتوقع، وما إذا كنتم بحاجة إلى خدمة النقل من المطار أو لديكم أي طلبات خاصة."
            ),
        ),
    ),
    "fa": Template(
        "مشتاق دیدار شما در {hotel_name} هستیم",
        (
            line("زمان اقامت شما نزدیک است و تیم ما برای پذیرایی از شما آماده می‌شود."),
            line("منتظر ورود شما در تاریخ {check_in} هستیم.", "check_in"),
            line("پذیرش از ساعت {check_in_time} آغاز می‌شود.", "check_in_time"),
            line(
                "لطفاً زمان تقریبی رسیدن خود را به ما اطلاع دهید و بفرمایید آیا به سرویس رفت‌وآمد از فرودگاه نیاز دارید "
                "یا درخواست خاصی دارید."
            ),
        ),
    ),
    "ps": Template(
        "په {hotel_name} کې ستاسو د هرکلي په تمه یو",
        (
            line("ستاسو د پاتې کېدو وخت نږدې دی او زموږ ټیم ستاسو د هرکلي لپاره چمتو کېږي."),
            line("د {check_in} په نېټه ستاسو د رارسېدو په تمه یو.", "check_in"),
            line("د راتګ ثبت له {check_in_time} بجو پیلېږي.", "check_in_time"),
            line(
                "مهرباني وکړئ د خپل رارسېدو اټکلي وخت راته ووایاست، او دا هم چې د هوايي ډګر ترانسپورټ ته اړتیا لرئ "
                "یا کومه ځانګړې غوښتنه لرئ."
            ),
        ),
    ),
    "fr": Template(
        "Nous avons hâte de vous accueillir à {hotel_name}",
        (
            line("Votre séjour approche et notre équipe se prépare à vous accueillir."),
            line("Nous vous attendons le {check_in}.", "check_in"),
            line("L'enregistrement est possible à partir de {check_in_time}.", "check_in_time"),
            line(
                "Merci de nous indiquer votre heure d'arrivée approximative et de nous préciser si vous souhaitez un "
                "transfert depuis l'aéroport ou avez une demande particulière."
            ),
        ),
    ),
}

CHECK_IN_INSTRUCTIONS = {
    "en": Template(
        "Check-in information for your stay at {hotel_name}",
        (
            line("Here is what you need for a quick and easy check-in."),
            line("Arrival date: {check_in}", "check_in"),
            line("Check-in: from {check_in_time}", "check_in_time"),
            line("Check-out: by {check_out_time}", "check_out_time"),
            line(
                "Please bring a valid passport or national identity card for every adult guest; the law requires it "
                "to complete your registration."
            ),
            line("Your booking reference is {booking_ref}.", "booking_ref"),
            line("If you arrive late at night, please let us know in advance so that reception can wait for you."),
            line("For help on the way, call us on {contact_phone}.", "contact_phone"),
        ),
    ),
    "ar": Template(
        "معلومات تسجيل الوصول لإقامتكم في {hotel_name}",
        (
            line("إليكم ما تحتاجونه لتسجيل وصول سريع وسهل."),
            line("تاريخ الوصول: {check_in}", "check_in"),
            line("تسجيل الوصول: ابتداءً من الساعة {check_in_time}", "check_in_time"),
            line("تسجيل المغادرة: حتى الساعة {check_out_time}", "check_out_time"),
            line("يُرجى إحضار جواز سفر أو بطاقة هوية وطنية سارية لكل ضيف بالغ، إذ تشترطها الأنظمة لإتمام التسجيل."),
            line("رقم حجزكم هو {booking_ref}.", "booking_ref"),
            line("إذا كان وصولكم في وقت متأخر من الليل، يُرجى إعلامنا مسبقاً حتى يكون فريق الاستقبال في انتظاركم."),
            line("للمساعدة أثناء الطريق، اتصلوا بنا على الرقم {contact_phone}.", "contact_phone"),
        ),
    ),
    "fa": Template(
        "اطلاعات پذیرش برای اقامت شما در {hotel_name}",
        (
            line("برای پذیرشی سریع و آسان، این نکات را در نظر داشته باشید."),
            line("تاریخ ورود: {check_in}", "check_in"),
            line("پذیرش: از ساعت {check_in_time}", "check_in_time"),
            line("تخلیه اتاق: تا ساعت {check_out_time}", "check_out_time"),
            line(
                "لطفاً برای هر مهمان بزرگسال یک گذرنامه (پاسپورت) یا کارت شناسایی ملی (تذکره) معتبر همراه داشته باشید؛ "
                "طبق مقررات، ثبت مشخصات بدون آن ممکن نیست."
            ),
            line("شماره رزرو شما {booking_ref} است.", "booking_ref"),
            line("اگر دیروقت شب می‌رسید، لطفاً از قبل به ما خبر دهید تا پذیرش منتظر شما بماند."),
            line("برای راهنمایی در مسیر، با شماره {contact_phone} تماس بگیرید.", "contact_phone"),
        ),
    ),
    "ps": Template(
        "په {hotel_name} کې ستاسو د راتګ د ثبت معلومات",
        (
            line("د چټک او اسانه ثبت لپاره دا معلومات په پام کې ونیسئ."),
            line("د رارسېدو نېټه: {check_in}", "check_in"),
            line("د راتګ ثبت: له {check_in_time} بجو څخه", "check_in_time"),
            line("د خونې پرېښودل: تر {check_out_time} بجو پورې", "check_out_time"),
            line(
                "مهرباني وکړئ د هر بالغ مېلمه لپاره معتبر پاسپورټ یا تذکره له ځانه سره راوړئ؛ د مقرراتو له مخې ثبت "
                "پرته له دې نه بشپړېږي."
            ),
            line("ستاسو د بکینګ شمېره {booking_ref} ده.", "booking_ref"),
            line("که د شپې ناوخته رارسېږئ، مهرباني وکړئ مخکې موږ ته خبر راکړئ چې ریسپشن مو انتظار وباسي."),
            line("په لاره کې د مرستې لپاره، موږ ته په {contact_phone} شمېره زنګ ووهئ.", "contact_phone"),
        ),
    ),
    "fr": Template(
        "Informations d'arrivée pour votre séjour à {hotel_name}",
        (
            line("Voici ce qu'il faut savoir pour un enregistrement simple et rapide."),
            line("Date d'arrivée : {check_in}", "check_in"),
            line("Enregistrement : à partir de {check_in_time}", "check_in_time"),
            line("Départ : au plus tard à {check_out_time}", "check_out_time"),
            line(
                "Merci de vous munir d'un passeport ou d'une carte d'identité en cours de validité "
                "pour chaque adulte ; la réglementation l'exige pour finaliser votre enregistrement."
            ),
            line("Votre numéro de réservation est {booking_ref}.", "booking_ref"),
            line(
                "Si vous arrivez tard dans la nuit, merci de nous prévenir à l'avance afin que la réception puisse "
                "vous attendre."
            ),
            line("Pour toute aide en chemin, appelez-nous au {contact_phone}.", "contact_phone"),
        ),
    ),
}

POST_STAY_THANKS = {
    "en": Template(
        "Thank you for staying at {hotel_name}",
        (
            line("Thank you for choosing {hotel_name}. We hope you enjoyed your stay with us."),
            line(
                "Your feedback helps us improve; we would be grateful if you could share a few words about your "
                "experience."
            ),
            line("We would be delighted to welcome you back."),
        ),
    ),
    "ar": Template(
        "شكراً لإقامتكم في {hotel_name}",
        (
            line("شكراً لاختياركم {hotel_name}. نأمل أن تكونوا قد استمتعتم بإقامتكم معنا."),
            line("تساعدنا ملاحظاتكم على التحسّن، وسنكون ممتنين لو شاركتمونا بضع كلمات عن تجربتكم."),
            line("يسعدنا أن نستقبلكم مجدداً."),
        ),
    ),
    "fa": Template(
        "سپاس از اقامت شما در {hotel_name}",
        (
            line("سپاسگزاریم که {hotel_name} را انتخاب کردید. امیدواریم از اقامت خود لذت برده باشید."),
            line(
                "نظر شما به ما کمک می‌کند خدمات خود را بهتر کنیم؛ سپاسگزار می‌شویم اگر چند کلمه درباره تجربه‌تان بنویسید."
            ),
            line("خوشحال می‌شویم دوباره میزبان شما باشیم."),
        ),
    ),
    "ps": Template(
        "په {hotel_name} کې د پاتې کېدو مننه",
        (
            line("مننه چې {hotel_name} مو غوره کړ. هیله ده چې له موږ سره مو ښه وخت تېر کړی وي."),
            line(
                "ستاسو نظر زموږ د خدماتو په ښه کولو کې مرسته کوي؛ که د خپلې تجربې په اړه څو کلمې راته ولیکئ، ډېر به "
                "خوشحاله شو."
            ),
            line("خوشحاله به شو چې بیا مو هرکلی وکړو."),
        ),
    ),
    "fr": Template(
        "Merci pour votre séjour à {hotel_name}",
        (
            line("Merci d'avoir choisi {hotel_name}. Nous espérons que vous avez apprécié votre séjour parmi nous."),
            line(
                "Votre avis nous aide à progresser : nous vous serions reconnaissants de partager quelques mots sur "
                "votre expérience."
            ),
            line("Nous serions ravis de vous accueillir à nouveau."),
        ),
    ),
}

PAYMENT_REMINDER = {
    "en": Template(
        "Payment reminder for your booking at {hotel_name}",
        (
            line("This is a friendly reminder that a payment is due for your booking."),
            line("Amount due: {amount_due}", "amount_due"),
            line("Please complete the payment by {due_date}.", "due_date"),
            line("Booking reference: {booking_ref}", "booking_ref"),
            line(
                "If you have already paid, please disregard this message. For any question about the payment, "
                "simply reply to this message."
            ),
        ),
    ),
    "ar": Template(
        "تذكير بالدفع لحجزكم في {hotel_name}",
        (
            line("نودّ تذكيركم بوجود دفعة مستحقة على حجزكم."),
            line("المبلغ المستحق: {amount_due}", "amount_due"),
            line("يُرجى إتمام الدفع في موعد أقصاه {due_date}.", "due_date"),
            line("رقم الحجز: {booking_ref}", "booking_ref"),
            line(
                "إذا كنتم قد سددتم المبلغ بالفعل، يُرجى تجاهل هذه الرسالة. ولأي استفسار عن الدفع، يكفي الرد على هذه "
                "الرسالة."
            ),
        ),
    ),
    "fa": Template(
        "یادآوری پرداخت برای رزرو شما در {hotel_name}",
        (
            line("یادآوری می‌کنیم که پرداختی برای رزرو شما باقی مانده است."),
            line("مبلغ قابل پرداخت: {amount_due}", "amount_due"),
            line("لطفاً پرداخت را تا تاریخ {due_date} انجام دهید.", "due_date"),
            line("شماره رزرو: {booking_ref}", "booking_ref"),
            line(
                "اگر پرداخت را انجام داده‌اید، لطفاً این پیام را نادیده بگیرید. برای هر پرسشی درباره پرداخت، کافی است "
                "به همین پیام پاسخ دهید."
            ),
        ),
    ),
    "ps": Template(
        "په {hotel_name} کې ستاسو د بکینګ د تادیې یادونه",
        (
            line("په درناوي یادونه کوو چې ستاسو د بکینګ یوه تادیه لا پاتې ده."),
            line("د تادیې وړ مبلغ: {amount_due}", "amount_due"),
            line("مهرباني وکړئ تادیه تر {due_date} نېټې پورې ترسره کړئ.", "due_date"),
            line("د بکینګ شمېره: {booking_ref}", "booking_ref"),
            line(
                "که مو تادیه کړې وي، دا پیغام له پامه وغورځوئ. د تادیې په اړه د هرې پوښتنې لپاره، یوازې دې پیغام "
                "ته ځواب ورکړئ."
            ),
        ),
    ),
    "fr": Template(
        "Rappel de paiement pour votre réservation à {hotel_name}",
        (
            line("Nous nous permettons de vous rappeler qu'un paiement reste dû pour votre réservation."),
            line("Montant dû : {amount_due}", "amount_due"),
            line("Merci d'effectuer le paiement au plus tard le {due_date}.", "due_date"),
            line("Numéro de réservation : {booking_ref}", "booking_ref"),
            line(
                "Si vous avez déjà réglé ce montant, merci de ne pas tenir compte de ce message. Pour toute question "
                "sur le paiement, il vous suffit de répondre à ce message."
            ),
        ),
    ),
}

APOLOGY = {
    "en": Template(
        "Our sincere apologies",
        (
            line("We sincerely apologise for the inconvenience you have experienced."),
            line("Regarding: {apology_reason}", "apology_reason"),
            line(
                "We have shared your comments with the team concerned and are taking steps to make sure this does "
                "not happen again."
            ),
            line("If there is anything more we can do for you, please call us on {contact_phone}.", "contact_phone"),
            line(
                "If there is anything more we can do for you, simply reply to this message.", unless=("contact_phone",)
            ),
        ),
    ),
    "ar": Template(
        "اعتذار صادق منا",
        (
            line("نعتذر بصدق عن الإزعاج الذي واجهتموه."),
            line("بخصوص: {apology_reason}", "apology_reason"),
            line("لقد أطلعنا الفريق المعني على ملاحظاتكم، ونتخذ الإجراءات اللازمة لضمان عدم تكرار ذلك."),
            line(
                "إذا كان بإمكاننا تقديم أي مساعدة إضافية، يُرجى الاتصال بنا على الرقم {contact_phone}.", "contact_phone"
            ),
            line("إذا كان بإمكاننا تقديم أي مساعدة إضافية، يكفي الرد على هذه الرسالة.", unless=("contact_phone",)),
        ),
    ),
    "fa": Template(
        "پوزش صمیمانه ما",
        (
            line("بابت ناراحتی‌ای که برایتان پیش آمد صمیمانه پوزش می‌خواهیم."),
            line("موضوع: {apology_reason}", "apology_reason"),
            line("نظر شما را با تیم مربوط در میان گذاشته‌ایم و اقدامات لازم را انجام می‌دهیم تا این مشکل تکرار نشود."),
            line("اگر کار دیگری از دست ما برمی‌آید، لطفاً با شماره {contact_phone} با ما تماس بگیرید.", "contact_phone"),
            line("اگر کار دیگری از دست ما برمی‌آید، کافی است به همین پیام پاسخ دهید.", unless=("contact_phone",)),
        ),
    ),
    "ps": Template(
        "له تاسو څخه بښنه غواړو",
        (
            line("د هغې ستونزې له امله چې ورسره مخ شوئ، له زړه بښنه غواړو."),
            line("موضوع: {apology_reason}", "apology_reason"),
            line("ستاسو نظر مو له اړوند ټیم سره شریک کړی او اړین ګامونه پورته کوو چې دا ستونزه بیا پېښه نه شي."),
            line(
                "که بله کومه مرسته درسره کولی شو، مهرباني وکړئ په {contact_phone} شمېره موږ ته زنګ ووهئ.",
                "contact_phone",
            ),
            line("که بله کومه مرسته درسره کولی شو، یوازې دې پیغام ته ځواب ورکړئ.", unless=("contact_phone",)),
        ),
    ),
    "fr": Template(
        "Toutes nos excuses",
        (
            line("Nous vous présentons nos sincères excuses pour le désagrément que vous avez subi."),
            line("Objet : {apology_reason}", "apology_reason"),
            line(
                "Nous avons transmis vos remarques à l'équipe concernée et prenons les mesures nécessaires pour que "
                "cela ne se reproduise pas."
            ),
            line(
                "Si nous pouvons faire quoi que ce soit d'autre pour vous, appelez-nous au {contact_phone}.",
                "contact_phone",
            ),
            line(
                "Si nous pouvons faire quoi que ce soit d'autre pour vous, il vous suffit de répondre à ce message.",
                unless=("contact_phone",),
            ),
        ),
    ),
}

TEMPLATES: dict[str, dict[str, Template]] = {
    "booking_confirmation": BOOKING_CONFIRMATION,
    "pre_arrival": PRE_ARRIVAL,
    "check_in_instructions": CHECK_IN_INSTRUCTIONS,
    "post_stay_thanks": POST_STAY_THANKS,
    "payment_reminder": PAYMENT_REMINDER,
    "apology": APOLOGY,
}
