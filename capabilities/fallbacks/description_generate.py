"""description.generate fallback: a listing description filled from the room or hotel facts.

Only facts in the input are stated: no adjectives about views or service the hotel did not
give us. Sentences are dropped from the end when the text exceeds `max_length`, so the result
always fits the listing field. The tenant accepts every description before it is published.
"""

from __future__ import annotations

from capabilities.fallbacks import FallbackContext
from capabilities.fallbacks.common import (
    Localized,
    join_list,
    localized,
    resolve_locale,
    text_direction,
    truncate,
)

DEFAULT_MAX_LENGTH = 1000
TITLE_SEPARATOR = " \u2013 "  # en dash

ROOM_AMENITIES: dict[str, Localized] = {
    "wifi": ("Wi-Fi", "واي فاي", "وای‌فای", "وای فای", "Wi-Fi"),
    "air_conditioning": ("air conditioning", "تكييف هواء", "تهویه مطبوع", "ایرکنډیشنر", "climatisation"),
    "heating": ("heating", "تدفئة", "سیستم گرمایش", "هیټر", "chauffage"),
    "private_bathroom": ("private bathroom", "حمّام خاص", "حمام اختصاصی", "شخصي تشناب", "salle de bain privative"),
    "balcony": ("balcony", "شرفة", "بالکن", "بالکوني", "balcon"),
    "minibar": ("minibar", "ميني بار", "مینی‌بار", "مینی بار", "minibar"),
    "tv": ("TV", "تلفاز", "تلویزیون", "تلویزیون", "télévision"),
    "kettle": ("kettle", "غلاية كهربائية", "کتری برقی", "برقي چاینکه", "bouilloire"),
    "safe": ("in-room safe", "خزنة", "گاوصندوق", "خوندي صندوق", "coffre-fort"),
    "workspace": ("work desk", "مكتب للعمل", "میز کار", "د کار مېز", "bureau"),
    "prayer_mat": (
        "prayer mat and qibla direction",
        "سجادة صلاة واتجاه القبلة",
        "جانماز و نشان قبله",
        "جاینماز او د قبلې لوري نښه",
        "tapis de prière et indication de la qibla",
    ),
}
HOTEL_AMENITIES: dict[str, Localized] = {
    "restaurant": ("restaurant", "مطعم", "رستوران", "رستورانت", "restaurant"),
    "parking": ("parking", "موقف سيارات", "پارکینگ", "پارکینګ", "parking"),
    "airport_shuttle": (
        "airport shuttle",
        "خدمة نقل من المطار وإليه",
        "سرویس رفت‌وآمد فرودگاه",
        "د هوايي ډګر ترانسپورټ",
        "navette aéroport",
    ),
    "backup_power": (
        "backup power generator",
        "مولد كهرباء احتياطي",
        "ژنراتور برق اضطراری",
        "د برېښنا احتیاطي جنراتور",
        "groupe électrogène de secours",
    ),
    "reception_24h": (
        "24-hour reception",
        "استقبال على مدار الساعة",
        "پذیرش شبانه‌روزی",
        "شپه او ورځ ریسپشن",
        "réception 24 h/24",
    ),
    "garden": ("garden", "حديقة", "باغ", "باغ", "jardin"),
    "gym": ("fitness room", "صالة رياضية", "باشگاه ورزشی", "د ورزش خونه", "salle de sport"),
    "pool": ("swimming pool", "مسبح", "استخر", "لامبو ځای", "piscine"),
    "prayer_room": ("prayer room", "مصلى", "نمازخانه", "د لمانځه ځای", "salle de prière"),
    "laundry": ("laundry service", "خدمة غسيل الملابس", "خدمات لباسشویی", "د جامو مینځلو خدمت", "blanchisserie"),
    "family_rooms": ("family rooms", "غرف عائلية", "اتاق‌های خانوادگی", "د کورنۍ خونې", "chambres familiales"),
}
BEDS: dict[str, Localized] = {
    "single": ("single bed", "سرير مفرد", "تخت یک‌نفره", "یو کسیز کټ", "lit simple"),
    "double": ("double bed", "سرير مزدوج", "تخت دونفره", "دوه کسیز کټ", "lit double"),
    "twin": ("two single beds", "سريران منفصلان", "دو تخت یک‌نفره", "دوه یو کسیز کټونه", "deux lits simples"),
    "queen": ("queen-size bed", "سرير كوين", "تخت کوئین", "لوی دوه کسیز کټ", "lit queen-size"),
    "king": ("king-size bed", "سرير كينغ", "تخت کینگ", "ډېر لوی دوه کسیز کټ", "lit king-size"),
    "sofa_bed": ("sofa bed", "أريكة تتحول إلى سرير", "مبل تخت‌خواب‌شو", "کوچ چې په کټ بدلېږي", "canapé-lit"),
}
VIEWS: dict[str, Localized] = {
    "city": ("the city", "المدينة", "شهر", "ښار", "la ville"),
    "garden": ("the garden", "الحديقة", "باغ", "باغ", "le jardin"),
    "mountain": ("the mountains", "الجبال", "کوهستان", "غرونو", "les montagnes"),
    "sea": ("the sea", "البحر", "دریا", "سمندر", "la mer"),
    "courtyard": ("the courtyard", "الفناء", "حیاط", "انګړ", "la cour"),
    "river": ("the river", "النهر", "رودخانه", "سیند", "la rivière"),
}
SENTENCES: dict[str, Localized] = {
    "room_intro": (
        "Enjoy a comfortable stay in the {room} at {hotel}.",
        "استمتعوا بإقامة مريحة في {room} لدى {hotel}.",
        "از اقامتی راحت در {room} در {hotel} لذت ببرید.",
        "په {hotel} کې په {room} کې د آرامې اوسېدنې خوند واخلئ.",
        "{room}, {hotel} : un séjour confortable vous attend.",
    ),
    "hotel_intro": (
        "Welcome to {hotel}.",
        "مرحباً بكم في {hotel}.",
        "به {hotel} خوش آمدید.",
        "{hotel} ته ښه راغلاست.",
        "Bienvenue à {hotel}.",
    ),
    "city": ("Located in {city}.", "يقع في {city}.", "واقع در {city}.", "په {city} کې موقعیت لري.", "Situé à {city}."),
    "occupancy": (
        "Maximum occupancy: {n}.",
        "الحد الأقصى لعدد الضيوف: {n}.",
        "حداکثر ظرفیت: {n} نفر.",
        "د مېلمنو اعظمي شمېر: {n}.",
        "Capacité maximale : {n}.",
    ),
    "size": (
        "Room size: {size} m².",
        "المساحة: {size} م².",
        "متراژ: {size} متر مربع.",
        "مساحت: {size} مربع متره.",
        "Superficie : {size} m².",
    ),
    "bed": ("Bed: {bed}.", "السرير: {bed}.", "تخت: {bed}.", "کټ: {bed}.", "Literie : {bed}."),
    "view": ("Overlooking {view}.", "تطل على {view}.", "رو به {view}.", "د {view} منظره.", "Vue sur {view}."),
    "room_amenities": (
        "In the room: {items}.",
        "في الغرفة: {items}.",
        "امکانات اتاق: {items}.",
        "د خونې اسانتیاوې: {items}.",
        "Dans la chambre : {items}.",
    ),
    "stars": ("Rating: {stars}.", "التصنيف: {stars}.", "درجه: {stars}.", "درجه: {stars}.", "Classement : {stars}."),
    "distance": (
        "{km} km from the city centre.",
        "على بعد {km} كم من وسط المدينة.",
        "{km} کیلومتر تا مرکز شهر.",
        "د ښار له مرکز څخه {km} کیلومتره لرې.",
        "À {km} km du centre-ville.",
    ),
    "hotel_amenities": (
        "Facilities: {items}.",
        "المرافق: {items}.",
        "امکانات: {items}.",
        "اسانتیاوې: {items}.",
        "Équipements : {items}.",
    ),
    "closing": (
        "We look forward to welcoming you.",
        "نتطلع إلى استقبالكم.",
        "مشتاق دیدار شما هستیم.",
        "ستاسو د هرکلي په تمه یو.",
        "Au plaisir de vous accueillir.",
    ),
}
GENERIC_ROOM_NAME: Localized = ("room", "الغرفة", "اتاق", "خونه", "Chambre")


def _number(value: float) -> str:
    return f"{round(value, 1):g}"


def _room_facts(room: dict, family: str) -> tuple[list[tuple[str, dict]], list[str]]:
    """(sentence key, values) pairs and short highlights for a room."""
    facts, highlights = [], []
    if "max_occupancy" in room:
        facts.append(("occupancy", {"n": room["max_occupancy"]}))
    if "size_sqm" in room:
        facts.append(("size", {"size": _number(room["size_sqm"])}))
        highlights.append(f"{_number(room['size_sqm'])} m²")
    if "bed_type" in room:
        bed = localized(BEDS[room["bed_type"]], family)
        facts.append(("bed", {"bed": bed}))
        highlights.append(bed)
    if room.get("view", "none") != "none":
        facts.append(("view", {"view": localized(VIEWS[room["view"]], family)}))
    amenities = [localized(ROOM_AMENITIES[code], family) for code in room.get("amenities", ())]
    if amenities:
        facts.append(("room_amenities", {"items": join_list(amenities, family)}))
        highlights.extend(amenities)
    return facts, highlights


def _hotel_facts(hotel: dict, family: str) -> tuple[list[tuple[str, dict]], list[str]]:
    facts, highlights = [], []
    if "star_rating" in hotel:
        facts.append(("stars", {"stars": "★" * hotel["star_rating"]}))
        highlights.append("★" * hotel["star_rating"])
    if "distance_to_center_km" in hotel:
        facts.append(("distance", {"km": _number(hotel["distance_to_center_km"])}))
    amenities = [localized(HOTEL_AMENITIES[code], family) for code in hotel.get("amenities", ())]
    if amenities:
        facts.append(("hotel_amenities", {"items": join_list(amenities, family)}))
        highlights.extend(amenities)
    return facts, highlights


def _fit(sentences: list[str], max_length: int) -> str:
    """The sentences joined, dropping from the end (the closing last) until they fit."""
    while len(sentences) > 1 and len(" ".join(sentences)) > max_length:
        sentences = sentences[:-2] + sentences[-1:] if len(sentences) > 2 else sentences[:1]
    return truncate(" ".join(sentences), max_length)


def run(payload: dict, ctx: FallbackContext) -> dict:
    locale, family = resolve_locale(payload["locale"])
    hotel_name = payload["hotel_name"].strip() or payload["hotel_name"]
    city = payload.get("city", "").strip()
    if payload["subject"] == "room":
        room = payload.get("room", {})
        room_name = room.get("name", "").strip() or localized(GENERIC_ROOM_NAME, family)
        title = f"{room_name}{TITLE_SEPARATOR}{hotel_name}"
        intro = localized(SENTENCES["room_intro"], family).format(room=room_name, hotel=hotel_name)
        facts, highlights = _room_facts(room, family)
    else:
        title = f"{hotel_name}{TITLE_SEPARATOR}{city}" if city else hotel_name
        intro = localized(SENTENCES["hotel_intro"], family).format(hotel=hotel_name)
        facts, highlights = _hotel_facts(payload.get("hotel", {}), family)
    if city:
        facts.insert(0, ("city", {"city": city}))

    sentences = [intro] + [localized(SENTENCES[key], family).format(**values) for key, values in facts]
    sentences.append(localized(SENTENCES["closing"], family))
    body = _fit(sentences, payload.get("max_length", DEFAULT_MAX_LENGTH))
    notes = (
        []
        if locale == payload["locale"]
        else [f"No template for locale '{payload['locale']}': written in English, translate before publishing."]
    )
    return {
        "title": truncate(title, 200),
        "body": body,
        "locale": locale,
        "direction": text_direction(locale),
        "highlights": [truncate(item, 80) for item in highlights[:8]],
        "word_count": len(body.split()),
        "notes": notes,
    }
