"""booking.conversion_hint fallback: static FAQ links per objection, then per booking stage.

The hint texts are the titles of the hotel's help pages, phrased as the guest's own question:
they promise nothing the hotel has not written itself. On slow networks the light booking page
is recommended first, because a page that never loads converts nobody.
"""

from __future__ import annotations

from capabilities.fallbacks import FallbackContext
from capabilities.fallbacks.common import Localized, localized, resolve_locale

DEFAULT_HELP_CENTER = "/help"
MAX_HINTS = 5
_SLOW_NETWORKS = frozenset({"2g", "3g", "offline"})

# objection -> (help page slug, question the page answers)
FAQ_PAGES: dict[str, tuple[str, Localized]] = {
    "price": (
        "price-and-taxes",
        (
            "What does the price include?",
            "ماذا يشمل السعر؟",
            "قیمت شامل چه چیزهایی است؟",
            "بیه په کې څه شامل دي؟",
            "Que comprend le prix ?",
        ),
    ),
    "cancellation_policy": (
        "cancellation-policy",
        (
            "Can I cancel or change my booking?",
            "هل يمكنني إلغاء حجزي أو تعديله؟",
            "آیا می‌توانم رزرو خود را لغو یا تغییر دهم؟",
            "ایا کولی شم خپل بکینګ لغوه یا بدل کړم؟",
            "Puis-je annuler ou modifier ma réservation ?",
        ),
    ),
    "payment_security": (
        "secure-payment",
        (
            "Is my payment secure?",
            "هل الدفع آمن؟",
            "آیا پرداخت من امن است؟",
            "ایا زما تادیه خوندي ده؟",
            "Mon paiement est-il sécurisé ?",
        ),
    ),
    "payment_methods": (
        "payment-methods",
        (
            "Which payment methods can I use?",
            "ما طرق الدفع المتاحة؟",
            "از چه روش‌هایی می‌توانم پرداخت کنم؟",
            "په کومو لارو تادیه کولی شم؟",
            "Quels moyens de paiement puis-je utiliser ?",
        ),
    ),
    "location": (
        "location-and-directions",
        (
            "How do I get to the hotel?",
            "كيف أصل إلى الفندق؟",
            "چگونه به هتل برسم؟",
            "هوټل ته څنګه ورشم؟",
            "Comment venir à l'hôtel ?",
        ),
    ),
    "room_choice": (
        "rooms",
        (
            "Which room is right for me?",
            "ما الغرفة المناسبة لي؟",
            "کدام اتاق برای من مناسب است؟",
            "کومه خونه زما لپاره مناسبه ده؟",
            "Quelle chambre me convient ?",
        ),
    ),
    "amenities": (
        "facilities",
        (
            "Which facilities does the hotel offer?",
            "ما المرافق التي يوفرها الفندق؟",
            "هتل چه امکاناتی دارد؟",
            "هوټل کومې اسانتیاوې لري؟",
            "Quels services l'hôtel propose-t-il ?",
        ),
    ),
    "availability": (
        "availability",
        (
            "What if my dates are not available?",
            "ماذا لو لم تكن تواريخي متاحة؟",
            "اگر تاریخ‌های من خالی نباشد چه کنم؟",
            "که زما نېټې خالي نه وي څه وکړم؟",
            "Et si mes dates ne sont pas disponibles ?",
        ),
    ),
    "trust": (
        "guest-reviews",
        (
            "What do other guests say?",
            "ماذا يقول الضيوف الآخرون؟",
            "مهمانان دیگر چه می‌گویند؟",
            "نور مېلمانه څه وايي؟",
            "Qu'en disent les autres clients ?",
        ),
    ),
    "language": (
        "languages",
        (
            "Which languages does the team speak?",
            "ما اللغات التي يتحدثها الفريق؟",
            "کارکنان به چه زبان‌هایی صحبت می‌کنند؟",
            "کارکوونکي په کومو ژبو خبرې کوي؟",
            "Quelles langues l'équipe parle-t-elle ?",
        ),
    ),
    "visa": (
        "visa-invitation-letter",
        (
            "Can the hotel provide a visa invitation letter?",
            "هل يمكن للفندق تقديم خطاب دعوة للتأشيرة؟",
            "آیا هتل می‌تواند دعوت‌نامه ویزا صادر کند؟",
            "ایا هوټل د ویزې بلنلیک ورکولی شي؟",
            "L'hôtel peut-il fournir une lettre d'invitation pour le visa ?",
        ),
    ),
    "transport": (
        "airport-transfer",
        (
            "Can I book an airport transfer?",
            "هل يمكنني حجز النقل من المطار؟",
            "آیا می‌توانم سرویس فرودگاه رزرو کنم؟",
            "ایا د هوايي ډګر ترانسپورټ بک کولی شم؟",
            "Puis-je réserver un transfert depuis l'aéroport ?",
        ),
    ),
    "children": (
        "children-and-extra-beds",
        (
            "Are children welcome, and are extra beds available?",
            "هل الأطفال مرحب بهم، وهل تتوفر أسرّة إضافية؟",
            "آیا پذیرای کودکان هستید و تخت اضافه دارید؟",
            "ایا ماشومان منل کېږي او اضافي کټ شته؟",
            "Les enfants sont-ils les bienvenus et y a-t-il des lits d'appoint ?",
        ),
    ),
}
# What guests at each stage most often need before they continue, most important first.
STAGE_DEFAULTS = {
    "search": ("availability", "location", "trust"),
    "room_selection": ("room_choice", "amenities", "children"),
    "rate_selection": ("cancellation_policy", "price"),
    "guest_details": ("payment_security", "language"),
    "payment": ("payment_security", "payment_methods", "cancellation_policy"),
    "confirmation": ("transport", "location", "visa"),
}
LITE_PAGE_HINT: Localized = (
    "Slow connection? Use the light version of this page.",
    "اتصال بطيء؟ استخدم النسخة الخفيفة من هذه الصفحة.",
    "اینترنت کند است؟ از نسخه سبک این صفحه استفاده کنید.",
    "انټرنېټ مو ورو دی؟ د دې پاڼې سپک نسخه وکاروئ.",
    "Connexion lente ? Utilisez la version allégée de cette page.",
)


def run(payload: dict, ctx: FallbackContext) -> dict:
    locale, family = resolve_locale(payload.get("locale"), ctx.locale)
    base_url = payload.get("help_center_url", DEFAULT_HELP_CENTER).rstrip("/")
    lite_mode = payload.get("network") in _SLOW_NETWORKS
    hints = []
    if lite_mode:
        hints.append(
            {
                "code": "lite_mode",
                "message": localized(LITE_PAGE_HINT, family),
                "faq_link": f"{base_url}/lite",
                "priority": 1,
            }
        )

    topics = list(payload.get("objections", ()))
    topics += [topic for topic in STAGE_DEFAULTS[payload["stage"]] if topic not in topics]
    for topic in topics[: MAX_HINTS - len(hints)]:
        slug, question = FAQ_PAGES[topic]
        hints.append(
            {
                "code": topic,
                "message": localized(question, family),
                "faq_link": f"{base_url}/{slug}",
                "priority": len(hints) + 1,
            }
        )
    return {"stage": payload["stage"], "hints": hints, "lite_mode_recommended": lite_mode, "locale": locale}
