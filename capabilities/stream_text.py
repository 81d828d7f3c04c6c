"""What of a streamed answer may be shown, and when. Pure.

A model streams the JSON text of its whole output; the caller is shown one text field of it
(the catalog row's `stream_field`: a draft's `body`, an answer's `answer`).

- `FieldText` reads the JSON text as it arrives and gives the characters of that field's string
  value as they complete (escapes decoded, a split `\\u` escape held until whole);
- `SentenceGate` holds that text back until a sentence ends, puts the caller's own values back
  in place of the placeholders the model saw (PII restoration) and has each sentence judged by
  output moderation before it is let through. The tail of an unfinished sentence is held, so a
  sentence is shown whole or not at all; a very long run without a sentence end is let through
  at a word boundary once it passes `max_held` characters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
# a sentence ends at . ! ? (and the Arabic-script ؟ and ۔) or a line break, followed by space
_SENTENCE_END = re.compile(r"(?:[.!?؟۔。…]+[\"'”’)\]]*\s+|\n+)")
MAX_HELD = 400


class FieldText:
    """The string value of one top-level field of a JSON object, read as the text arrives."""

    def __init__(self, field: str):
        self.field = field
        self.depth = 0
        self.in_string = False
        self.escape = ""
        self.after_colon = False
        self.is_key = False
        self.capturing = False
        self.done = False
        self.key_chars: list[str] = []
        self.last_key: str | None = None

    def feed(self, text: str) -> str:
        out: list[str] = []
        for char in text:
            if self.in_string:
                self._string_char(char, out)
            elif char == '"':
                self._open_string()
            elif char in "{[":
                self.depth += 1
            elif char in "}]":
                self.depth -= 1
            elif char == ":" and self.depth == 1:
                self.after_colon = True
            elif char == "," and self.depth == 1:
                self.after_colon = False
        return "".join(out)

    def _open_string(self) -> None:
        self.in_string = True
        self.is_key = self.depth == 1 and not self.after_colon
        self.capturing = self.depth == 1 and self.after_colon and self.last_key == self.field and not self.done
        self.key_chars = []

    def _string_char(self, char: str, out: list[str]) -> None:
        if self.escape:
            self.escape += char
            decoded = _decoded_escape(self.escape)
            if decoded is None:
                return
            self.escape = ""
            self._append(decoded, out)
        elif char == "\\":
            self.escape = char
        elif char == '"':
            self.in_string = False
            if self.is_key:
                self.last_key = "".join(self.key_chars)
            if self.capturing:
                self.capturing, self.done = False, True
        else:
            self._append(char, out)

    def _append(self, text: str, out: list[str]) -> None:
        if self.is_key:
            self.key_chars.append(text)
        elif self.capturing:
            out.append(text)


def _decoded_escape(sequence: str) -> str | None:
    """The text of a JSON escape, or None while it is incomplete (a surrogate pair is 12 characters)."""
    if sequence[1] != "u":
        return _ESCAPES.get(sequence[1], sequence[1])
    if len(sequence) < 6:
        return None
    try:
        code = int(sequence[2:6], 16)
    except ValueError:
        return ""  # not JSON: the whole answer fails its schema check at the end
    if 0xD800 <= code < 0xDC00:
        if len(sequence) < 12:
            return None
        try:
            return json.loads(f'"{sequence}"')
        except json.JSONDecodeError:
            return ""
    return chr(code)


class SentenceBlocked(Exception):
    """Output moderation refused a sentence of a streamed answer."""


class SentenceGate:
    """`restore`: placeholders to the caller's values; `screen`: "allow" or "block" for a text."""

    def __init__(self, *, restore: Callable[[str], str], screen: Callable[[str], str], max_held: int = MAX_HELD):
        self.restore, self.screen, self.max_held = restore, screen, max_held
        self.held = ""

    def feed(self, text: str) -> str:
        """What may be shown now ("" while a sentence is still open)."""
        self.held += text
        end = 0
        for match in _SENTENCE_END.finditer(self.held):
            end = match.end()
        if not end and len(self.held) > self.max_held:
            end = self.held.rfind(" ") + 1 or len(self.held)
        if not end:
            return ""
        ready, self.held = self.held[:end], self.held[end:]
        return self._let_through(ready)

    def flush(self) -> str:
        """The held tail, once the field's text is complete."""
        ready, self.held = self.held, ""
        return self._let_through(ready) if ready else ""

    def _let_through(self, text: str) -> str:
        restored = self.restore(text)
        if self.screen(restored) == "block":
            raise SentenceBlocked
        return restored
