"""A fake Cloud Translation (REST v3): `translateText`.

The fake translates nothing: each text comes back as `[<target>] <text>`, which keeps every
number and name, as a faithful translation would. It checks what the service checks: a target
language it knows, at most 30,000 code points in one request.
"""

from __future__ import annotations

from typing import ClassVar

from routing.fakes.server import Call, FakeProviderServer, Reply
from routing.fakes.vertex_server import google_error

LANGUAGES = frozenset({"en", "ar", "fa", "fa-AF", "ps", "fr", "de", "tr", "ur"})
MAX_CODEPOINTS = 30_000


class FakeTranslationServer(FakeProviderServer):
    provider = "translation"
    routes: ClassVar = (
        ("POST", r"/v3/projects/(?P<project>[^/]+)/locations/(?P<location>[^/:]+):translateText", "translate_text"),
    )

    def error_payload(self, status: int) -> dict:
        return google_error(status)

    def translate_text(self, call: Call) -> Reply:
        contents = call.body.get("contents") or []
        target = call.body.get("targetLanguageCode") or call.body.get("target_language_code")
        source = call.body.get("sourceLanguageCode") or call.body.get("source_language_code")
        if (
            not contents
            or target not in LANGUAGES
            or (source and source not in LANGUAGES)
            or sum(len(text) for text in contents) > MAX_CODEPOINTS
        ):
            return Reply(google_error(400), 400)
        if call.behaviour.output is not None:
            return Reply(call.behaviour.output)
        if call.behaviour.schema_invalid:
            return Reply({"translations": []})
        return Reply({"translations": [{"translatedText": f"[{target}] {text}"} for text in contents]})
