"""stt.transcribe fallback: no transcript; the device shows quick-tap buttons instead.

The voice notes are short status reports (a room is clean, there is no hot water), so a few
taps for the context cover most of them, plus the caller's own expected phrases. Nothing is
transcribed by guesswork: the transcript stays empty and confidence is zero.
"""

from __future__ import annotations

from capabilities.fallbacks import FallbackContext
from capabilities.fallbacks.common import (
    Localized,
    localized,
    media_reference,
    resolve_locale,
    truncate,
)

CONTEXT_TAPS: dict[str, dict[str, Localized]] = {
    "housekeeping_status": {
        "room_clean": ("Room clean", "الغرفة نظيفة", "اتاق تمیز است", "خونه پاکه ده", "Chambre propre"),
        "room_dirty": (
            "Room needs cleaning",
            "الغرفة تحتاج إلى تنظيف",
            "اتاق نیاز به نظافت دارد",
            "خونه پاکولو ته اړتیا لري",
            "Chambre à nettoyer",
        ),
        "do_not_disturb": ("Do not disturb", "عدم الإزعاج", "مزاحم نشوید", "مه ځوروئ", "Ne pas déranger"),
        "needs_maintenance": (
            "Needs maintenance",
            "تحتاج إلى صيانة",
            "نیاز به تعمیر",
            "ترمیم ته اړتیا لري",
            "Maintenance nécessaire",
        ),
    },
    "maintenance_request": {
        "no_hot_water": ("No hot water", "لا يوجد ماء ساخن", "آب گرم نیست", "ګرمې اوبه نشته", "Pas d'eau chaude"),
        "no_power": ("No electricity", "لا توجد كهرباء", "برق نیست", "برېښنا نشته", "Pas d'électricité"),
        "water_leak": ("Water leak", "تسرب مياه", "نشت آب", "د اوبو څڅېدل", "Fuite d'eau"),
        "heating_cooling_fault": (
            "Heating or air conditioning fault",
            "عطل في التدفئة أو التكييف",
            "خرابی بخاری یا کولر",
            "د هیټر یا ایرکنډیشنر خرابي",
            "Panne de chauffage ou de climatisation",
        ),
    },
    "guest_request": {
        "extra_towels": ("Extra towels", "مناشف إضافية", "حوله اضافه", "اضافي تولیې", "Serviettes supplémentaires"),
        "extra_bed": ("Extra bed", "سرير إضافي", "تخت اضافه", "اضافي کټ", "Lit d'appoint"),
        "drinking_water": ("Drinking water", "مياه للشرب", "آب آشامیدنی", "د څښاک اوبه", "Eau potable"),
        "call_taxi": ("Call a taxi", "طلب سيارة أجرة", "درخواست تاکسی", "ټکسي راوغواړئ", "Appeler un taxi"),
    },
    "front_desk_note": {
        "guest_arrived": ("Guest arrived", "وصل الضيف", "مهمان رسید", "مېلمه راورسېد", "Client arrivé"),
        "guest_departed": ("Guest checked out", "غادر الضيف", "مهمان اتاق را تخلیه کرد", "مېلمه ووت", "Client parti"),
        "payment_received": (
            "Payment received",
            "تم استلام الدفعة",
            "پرداخت دریافت شد",
            "تادیه ترلاسه شوه",
            "Paiement reçu",
        ),
        "call_guest_back": (
            "Call the guest back",
            "معاودة الاتصال بالضيف",
            "با مهمان تماس گرفته شود",
            "مېلمه ته بېرته زنګ ووهئ",
            "Rappeler le client",
        ),
    },
}
# Always offered last: the person can try again or type.
RECOVERY_TAPS: dict[str, Localized] = {
    "record_again": ("Record again", "إعادة التسجيل", "ضبط دوباره", "بیا ثبت کړئ", "Réenregistrer"),
    "type_instead": (
        "Type instead",
        "الكتابة بدلاً من ذلك",
        "به‌جای آن تایپ کنید",
        "پر ځای یې ولیکئ",
        "Saisir au clavier",
    ),
}


def run(payload: dict, ctx: FallbackContext) -> dict:
    locale, family = resolve_locale(payload.get("locale"), ctx.locale)
    context_taps = CONTEXT_TAPS.get(payload.get("context", ""), {})
    taps = [{"code": code, "label": localized(label, family)} for code, label in context_taps.items()]
    taps += [
        {"code": f"phrase_{number}", "label": truncate(phrase, 60)}
        for number, phrase in enumerate(payload.get("expected_phrases", ()), start=1)
    ]
    taps += [{"code": code, "label": localized(label, family)} for code, label in RECOVERY_TAPS.items()]
    return {
        "transcript": "",
        "locale": locale,
        "confidence": 0.0,
        "manual_input_required": True,
        "quick_taps": taps,
        "audio_ref": media_reference(payload, "audio_base64", "audio_ref"),
    }
