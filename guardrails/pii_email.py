"""Email addresses: ASCII, internationalised (a local part or domain in any script, RFC 6531 and
IDNA, `müller.anna@exämple.de`, `xn--` labels), and spelt out so that a filter misses them
(`name at gmail dot com`, `name[at]gmail.com`, `name (at) gmx punkt de`, `name arobase orange
point fr`). Reads text normalised by `normalize.for_detection` (a full-width `＠` is `@` there).

The key of an address is its canonical form (`local@domain`, lower case), so an address written
once plainly and once spelt out gets one placeholder.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from guardrails.normalize import is_arabic_script
from guardrails.pii_detect import Span

EMAIL_PRIORITY = 0
_LABEL = r"[^\W_](?:[\w\-]{0,61}[^\W_])?"
# A Latin top-level domain ends at anything that is not a Latin letter (an Arabic word may be glued
# to it: "gmail.comاست"); an internationalised one at anything that is not a word character.
_TLD = r"(?:[A-Za-z]{2,24}(?![A-Za-z0-9\-])|xn--[a-z0-9\-]{2,59}(?![\w\-])|[^\W\d_A-Za-z]{2,24}(?![\w\-]))"
_PLAIN = re.compile(
    rf"(?<![\w.%+\-'])(?P<local>[\w%+\-'](?:[\w.%+\-']{{0,63}}[\w%+\-])?)\s?@\s?(?P<domain>(?:{_LABEL}\.)+{_TLD})"
)

# Spelt-out forms. A bracketed "at" ([at], (at), {at}, <at>) or "arobase" says "this is an address"
# by itself; a bare " at " only with a spelt-out dot ("gmail dot com") or a webmail domain.
_OPEN, _CLOSE = r"[\[\(\{<]", r"[\]\)\}>]"
_AT_WORDS = r"(?:at|@|arobase|ät|et)"
_DOT_WORDS = r"(?:dot|punkt|point|nokta|nokta\.|\.)"
_BRACKETED_AT = rf"\s*{_OPEN}\s*{_AT_WORDS}\s*{_CLOSE}\s*|\s+arobase\s+"
_BARE_AT = r"\s+(?:at|AT|At)\s+"
_SPELT_DOT = rf"\s*{_OPEN}\s*{_DOT_WORDS}\s*{_CLOSE}\s*|\s+(?:dot|DOT|Dot|punkt|Punkt|point|nokta)\s+"
_ANY_DOT = rf"(?:{_SPELT_DOT}|\.)"
_WORD = r"[^\W_][\w%+\-']*"
_KNOWN_TLDS = (
    "com|net|org|info|biz|edu|gov|io|me|co|de|fr|uk|co\\.uk|tr|com\\.tr|ae|sa|com\\.sa|af|com\\.af|ir|pk|com\\.pk|"
    "ch|at|be|nl|es|it|eu|ru|in|us|ca|qa|kw|bh|om|eg|jo|iq"
)
_SPELT = re.compile(
    rf"(?<![\w.%+\-])(?P<local>{_WORD}(?:{_ANY_DOT}{_WORD}){{0,3}})"
    rf"(?P<at>{_BRACKETED_AT}|{_BARE_AT})"
    rf"(?P<domain>{_WORD}(?:{_ANY_DOT}{_WORD}){{0,3}}?{_ANY_DOT}(?P<tld>(?:{_KNOWN_TLDS})(?:{_ANY_DOT}[a-z]{{2}})?))"
    r"(?![\w\-])",
    re.IGNORECASE,
)
_WEBMAIL = frozenset(
    (
        "gmail",
        "googlemail",
        "yahoo",
        "hotmail",
        "outlook",
        "live",
        "msn",
        "icloud",
        "me",
        "aol",
        "gmx",
        "web",
        "mail",
        "yandex",
        "proton",
        "protonmail",
        "zoho",
        "orange",
        "free",
        "laposte",
        "t-online",
        "ymail",
    )
)
_SPELT_DOT_RE = re.compile(_SPELT_DOT, re.IGNORECASE)


def _one_script(local: str) -> int:
    """Where the part of `local` in the script of its last letter starts: a word in Arabic script glued
    in front of a Latin address ("ایمیلمahmad@...") is not part of it."""
    arabic_at_end = is_arabic_script(local[-1:]) if local else False
    for index in range(len(local) - 1, -1, -1):
        char = local[index]
        if char.isalpha() and is_arabic_script(char) != arabic_at_end:
            return index + 1
    return 0


def _canonical(local: str, domain: str) -> str:
    def squeeze(part: str) -> str:
        return re.sub(r"\s+", "", _SPELT_DOT_RE.sub(".", part))

    return f"{squeeze(local)}@{squeeze(domain)}".lower()


# Every plain address has an at sign within this many characters of its start (a local part of at
# most 65 characters and a space): matches are looked for only from there.
_LOCAL_REACH = 67


def _plain(text: str) -> Iterator[Span]:
    """`_PLAIN` matches, as `finditer` finds them, but looked for only from shortly before each at
    sign: no match can start further from one."""
    end, at = 0, text.find("@")
    while at != -1:
        match = _PLAIN.search(text, max(end, at - _LOCAL_REACH))
        if match is None:
            return
        end = match.end()
        at = text.find("@", end)
        local = match.group("local")
        cut = _one_script(local)
        start = match.start("local") + cut
        if start >= match.start("local") + len(local):
            continue
        yield Span(start, match.end(), "EMAIL", _canonical(local[cut:], match.group("domain")), priority=EMAIL_PRIORITY)


_SPELT_REACH = 120  # a spelt address around its "at": up to four words and dots on each side


def _spelt_candidates(text: str) -> Iterator[re.Match[str]]:
    """`_SPELT` matches, looked for only around the places `_SPELT_HINT` points at (it is costly to
    try at every word of a long text)."""
    seen = -1
    for hint in _SPELT_HINT.finditer(text):
        start, end = max(0, hint.start() - _SPELT_REACH), min(len(text), hint.end() + _SPELT_REACH)
        for match in _SPELT.finditer(text, max(start, seen), end):
            if match.start() <= hint.start() < match.end():
                seen = match.end()
                yield match


def _spelt(text: str) -> Iterator[Span]:
    for match in _spelt_candidates(text):
        local, domain = match.group("local"), match.group("domain")
        bare_at = not re.search(r"[\[\(\{<]|arobase", match.group("at"), re.IGNORECASE)
        if bare_at:
            spelt_dot = bool(_SPELT_DOT_RE.search(domain))
            webmail = domain.split(".")[0].lower() in _WEBMAIL
            if not (spelt_dot or webmail) or len(local) < 2:
                continue
        yield Span(match.start(), match.end(), "EMAIL", _canonical(local, domain), priority=EMAIL_PRIORITY)


_SPELT_HINT = re.compile(
    rf"{_OPEN}\s*{_AT_WORDS}\s*{_CLOSE}|\b(?:at|arobase)\s+[^\W_][\w\-]*(?:\.|{_SPELT_DOT})", re.IGNORECASE
)


def may_be_spelt(text: str) -> bool:
    """Whether `text` may hold a spelt-out address: a bracketed "at", or "at" before a domain-like word."""
    return _SPELT_HINT.search(text) is not None


def emails(text: str) -> Iterator[Span]:
    """Plain addresses wherever there is an at sign; spelt-out ones wherever one may be spelt."""
    if "@" in text:
        yield from _plain(text)
    if may_be_spelt(text):
        yield from _spelt(text)
