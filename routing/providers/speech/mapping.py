"""Our pre-step request to Speech-to-Text v1 `recognize`, and its results back. Pure: the response
is read as `RecognizeResponse.to_dict` dumps it (proto field names)."""

from __future__ import annotations

import math

from routing.providers.base import AuxiliaryRequest, AuxiliaryResult, ProviderError

PROVIDER = "speech"
MAX_PHRASES = 500  # Speech-to-Text v1 takes up to 5,000 phrases per request; a hotel's vocabulary is far fewer
MAX_PHRASE_CHARS = 100
# The input's locale (its BCP 47 subset) as a Speech-to-Text language code. Dari has no model of
# its own: it is recognised as Persian, which shares its script and most of its vocabulary.
LANGUAGE_CODES = {
    "en": "en-US",
    "ar": "ar-SA",
    "fa": "fa-IR",
    "fa-AF": "fa-IR",
    "prs": "fa-IR",
    "ps": "ps-AF",
    "fr": "fr-FR",
    "de": "de-DE",
    "tr": "tr-TR",
    "ur": "ur-PK",
}
# The input's `encoding` as RecognitionConfig.AudioEncoding; WAV and FLAC carry their own header,
# from which the service reads the encoding and the sample rate.
ENCODINGS = {
    "ogg_opus": "OGG_OPUS",
    "webm_opus": "WEBM_OPUS",
    "wav": "LINEAR16",
    "mp3": "MP3",
    "flac": "FLAC",
    "amr": "AMR",
}
HEADER_ENCODINGS = frozenset({"wav", "flac"})
_BY_CONTENT_TYPE = {
    "audio/ogg": "ogg_opus",
    "audio/webm": "webm_opus",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/flac": "flac",
    "audio/x-flac": "flac",
    "audio/amr": "amr",
}


def language_code(locale: str) -> str:
    return LANGUAGE_CODES.get(locale) or LANGUAGE_CODES.get(locale.split("-", 1)[0], "en-US")


def encoding_of(payload: dict, content_type: str) -> str:
    encoding = payload.get("encoding") or _BY_CONTENT_TYPE.get(content_type)
    if encoding not in ENCODINGS:
        raise ProviderError("bad_request", f"{PROVIDER} cannot tell the audio's encoding", retryable=False)
    return encoding


def phrases(hints: tuple[str, ...]) -> list[str]:
    unique = dict.fromkeys(hint.strip()[:MAX_PHRASE_CHARS] for hint in hints if hint.strip())
    return list(unique)[:MAX_PHRASES]


def recognize_request(request: AuxiliaryRequest, locale: str) -> dict:
    """The fields of `RecognizeRequest`: the locale's language, the phrase hints, one alternative."""
    encoding = encoding_of(request.payload, request.media.content_type)
    config: dict = {"encoding": ENCODINGS[encoding], "language_code": language_code(locale), "max_alternatives": 1}
    if encoding not in HEADER_ENCODINGS:
        config["sample_rate_hertz"] = int(request.payload.get("sample_rate_hz") or 16000)
    hints = phrases(request.phrase_hints)
    if hints:
        config["speech_contexts"] = [{"phrases": hints, "boost": 10.0}]
    return {"config": config, "audio": {"content": request.media.data}}


BILLING_INCREMENT_SECONDS = 15  # Speech-to-Text v1 bills each request rounded up to 15 s


def billed_minutes(data: dict, payload: dict) -> float:
    """The minutes Speech-to-Text bills for one recognize: the billed time it reports (else the
    audio's stated duration), rounded up to the next 15 s increment."""
    seconds = _seconds(data.get("total_billed_time"))
    if seconds is None:
        seconds = float(payload.get("duration_ms") or 0) / 1000
    increments = max(1, math.ceil(seconds / BILLING_INCREMENT_SECONDS - 1e-9))
    return increments * BILLING_INCREMENT_SECONDS / 60


def _seconds(value: object) -> float | None:
    """A protobuf Duration as `to_dict` gives it ("2s", "1.500s") or a number of seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and value.endswith("s"):
        try:
            return float(value[:-1])
        except ValueError:
            return None
    return None


def recognize_result(data: dict) -> AuxiliaryResult:
    """The best alternative of each result, joined (a short command is one result); confidence is
    their mean. No result at all is an empty hypothesis (silence), not an error."""
    texts, confidences = [], []
    for result in data.get("results") or []:
        alternatives = result.get("alternatives") or []
        if not alternatives:
            continue
        best = alternatives[0]
        transcript = str(best.get("transcript") or "").strip()
        if transcript:
            texts.append(transcript)
            confidences.append(float(best.get("confidence") or 0.0))
    confidence = round(sum(confidences) / len(confidences), 4) if confidences else 0.0
    return AuxiliaryResult(
        text=" ".join(texts),
        confidence=confidence,
        fields={"language_code": str((data.get("results") or [{}])[0].get("language_code") or "")}
        if data.get("results")
        else {},
    )
