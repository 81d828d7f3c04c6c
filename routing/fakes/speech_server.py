"""A fake Speech-to-Text (REST v1): `speech:recognize` for short commands.

The fake recognises no speech: audio whose bytes match the declared encoding is heard as a canned
command in the requested language (the first phrase hint, when the request gives any: what a
recogniser biased by it would most likely return), confidence 0.92. `degraded` answers a low-
confidence hypothesis, `schema_invalid` silence (no result), `output` that response as is.
"""

from __future__ import annotations

from typing import ClassVar

from routing.fakes.google_media import decoded, enum_name, sniff
from routing.fakes.server import Call, FakeProviderServer, Reply
from routing.fakes.vertex_server import google_error

ENCODINGS = (
    "ENCODING_UNSPECIFIED",
    "LINEAR16",
    "FLAC",
    "MULAW",
    "AMR",
    "AMR_WB",
    "OGG_OPUS",
    "SPEEX_WITH_HEADER_BYTE",
    "MP3",
    "WEBM_OPUS",
)
SIGNATURES = {
    "LINEAR16": "audio/wav",
    "FLAC": "audio/flac",
    "OGG_OPUS": "audio/ogg",
    "WEBM_OPUS": "audio/webm",
    "MP3": "audio/mpeg",
    "AMR": "audio/amr",
}
CANNED = {
    "en": "room 204 is clean",
    "fr": "la chambre 204 est propre",
    "de": "Zimmer 204 ist sauber",
    "fa": "اتاق ۲۰۴ تمیز است",
    "ps": "کوټه ۲۰۴ پاکه ده",
    "ar": "الغرفة ٢٠٤ نظيفة",
    "tr": "204 numaralı oda temiz",
    "ur": "کمرہ ۲۰۴ صاف ہے",
}


class FakeSpeechServer(FakeProviderServer):
    provider = "speech"
    routes: ClassVar = (("POST", r"/v1/speech:recognize", "recognize"),)

    def error_payload(self, status: int) -> dict:
        return google_error(status)

    def recognize(self, call: Call) -> Reply:
        config, audio = call.body.get("config") or {}, call.body.get("audio") or {}
        content = decoded(audio.get("content"))
        encoding = enum_name(config.get("encoding"), ENCODINGS)
        language = str(config.get("languageCode") or config.get("language_code") or "")
        expected = SIGNATURES.get(encoding)
        if not content or not language or (expected and sniff(content) != expected):
            return Reply(google_error(400), 400)
        if call.behaviour.output is not None:
            return Reply(call.behaviour.output)
        if call.behaviour.schema_invalid:
            return Reply({"totalBilledTime": "1s", "requestId": str(len(self.received))})
        hints = [phrase for context in config.get("speechContexts") or [] for phrase in context.get("phrases") or []]
        transcript = hints[0] if hints else CANNED.get(language.split("-")[0], CANNED["en"])
        confidence = 0.18 if call.behaviour.degraded else 0.92
        return Reply(
            {
                "results": [
                    {
                        "alternatives": [{"transcript": transcript, "confidence": confidence}],
                        "resultEndTime": "1.800s",
                        "languageCode": language.lower(),
                    }
                ],
                "totalBilledTime": "2s",
                "requestId": str(len(self.received)),
            }
        )
