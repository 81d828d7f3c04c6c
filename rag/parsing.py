"""Bytes of an uploaded document into text and its sections (headings), by media type.

Libraries (well kept, pure Python wheels): pypdf for PDF (text extraction per page, no native
dependency), Beautiful Soup with the standard library's HTML parser (tolerant of real-world
markup, no lxml to build), markdown-it-py (CommonMark) for Markdown's block structure. Plain
text is split into paragraphs only.

`Parsed.text` is what chunk offsets point into: the source itself for Markdown and plain text,
the extracted text for HTML and PDF (kept on the document, so a citation can be shown).
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from dataclasses import dataclass

SUPPORTED_MEDIA_TYPES = {
    "text/plain": "text",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/pdf": "pdf",
    "application/vnd.melmastoon.faq+json": "faq",  # one FAQ entry {question, answer} (the FAQ corpus kind)
}
EXTENSIONS = {
    ".txt": "text/plain",
    ".text": "text/plain",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".html": "text/html",
    ".htm": "text/html",
    ".pdf": "application/pdf",
}
FAQ_MEDIA_TYPE = "application/vnd.melmastoon.faq+json"


class UnsupportedMediaType(Exception):
    pass


class DocumentUnreadable(Exception):
    """The bytes are not a readable document of their media type (a corrupt PDF, bad encoding)."""


@dataclass(frozen=True)
class Section:
    heading: str
    start: int
    end: int


@dataclass(frozen=True)
class Parsed:
    text: str
    sections: tuple[Section, ...]
    title: str = ""


def media_type_of(declared: str, filename: str = "") -> str:
    """The media type to parse with: the declared one without parameters, or the file name's
    extension when the client sent none (or application/octet-stream)."""
    media_type = (declared or "").split(";", 1)[0].strip().lower()
    if media_type in ("", "application/octet-stream"):
        for extension, guessed in EXTENSIONS.items():
            if filename.lower().endswith(extension):
                return guessed
    return media_type


def check_media_type(media_type: str) -> None:
    if media_type not in SUPPORTED_MEDIA_TYPES:
        raise UnsupportedMediaType(
            f"{media_type or 'no media type'} is not supported; send one of "
            f"{', '.join(sorted(set(SUPPORTED_MEDIA_TYPES) - {FAQ_MEDIA_TYPE}))}"
        )


def parse(data: bytes, media_type: str) -> Parsed:
    check_media_type(media_type)
    kind = SUPPORTED_MEDIA_TYPES[media_type]
    if kind == "pdf":
        return _pdf(data)
    text = _decode(data)
    return {"text": _plain, "markdown": _markdown, "html": _html, "faq": _faq}[kind](text)


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentUnreadable(f"the text is not UTF-8 (byte {exc.start})") from exc
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def _whole(text: str, heading: str = "") -> tuple[Section, ...]:
    return (Section(heading, 0, len(text)),) if text.strip() else ()


def _plain(text: str) -> Parsed:
    return Parsed(text=text, sections=_whole(text))


def _faq(text: str) -> Parsed:
    try:
        entry = json.loads(text)
        question, answer = str(entry["question"]), str(entry["answer"])
    except (ValueError, KeyError, TypeError) as exc:
        raise DocumentUnreadable("an FAQ entry is a JSON object with a question and an answer") from exc
    return Parsed(text=answer, sections=_whole(answer, question.strip()[:500]), title=question.strip())


_ATX = re.compile(r"^#{1,6}\s+")


def _markdown(text: str) -> Parsed:
    """Sections start at each heading (markdown-it's block map gives the heading's lines)."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(text)
    line_starts = [0] + [match.end() for match in re.finditer("\n", text)]
    headings: list[tuple[int, int, str]] = []  # (level, char offset, heading text)
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.map:
            inline = tokens[index + 1].content.strip() if index + 1 < len(tokens) else ""
            headings.append((int(token.tag[1]), line_starts[token.map[0]], inline))
    if not headings:
        return Parsed(text=text, sections=_whole(text))
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []  # the headings above this one, outermost first
    if text[: headings[0][1]].strip():
        sections.append(Section("", 0, headings[0][1]))
    for position, (level, start, title) in enumerate(headings):
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))
        end = headings[position + 1][1] if position + 1 < len(headings) else len(text)
        sections.append(Section(" > ".join(part for _level, part in stack if part)[:500], start, end))
    title = next((title for level, _start, title in headings if level == 1), headings[0][2])
    return Parsed(text=text, sections=tuple(sections), title=title)


_BLOCKS = ("p", "li", "td", "th", "pre", "blockquote", "dd", "dt", "figcaption", "caption")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def _html(markup: str) -> Parsed:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    for element in soup(["script", "style", "noscript", "template", "nav", "footer", "head"]):
        element.decompose()
    title_tag = BeautifulSoup(markup, "html.parser").title
    parts: list[str] = []
    sections: list[Section] = []
    heading, section_start, offset = "", 0, 0
    body = soup.body or soup
    for element in body.find_all([*_HEADINGS, *_BLOCKS]):
        if element.find_parent(_BLOCKS) is not None:
            continue  # a block inside a block (a <p> in an <li>) is read with its parent
        content = " ".join(element.get_text(" ", strip=True).split())
        if not content:
            continue
        if element.name in _HEADINGS:
            if offset > section_start:
                sections.append(Section(heading, section_start, offset))
            heading, section_start = content[:500], offset
        parts.append(content)
        offset += len(content) + 2
    text = "\n\n".join(parts)
    if len(text) > section_start:
        sections.append(Section(heading, section_start, len(text)))
    title = title_tag.get_text(strip=True) if title_tag else next((s.heading for s in sections if s.heading), "")
    return Parsed(
        text=text,
        sections=tuple(section for section in sections if text[section.start : section.end].strip()),
        title=title[:500],
    )


def _pdf(data: bytes) -> Parsed:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise DocumentUnreadable("the PDF is encrypted")
        pages = [" ".join((page.extract_text() or "").split(" ")) for page in reader.pages]
        title = str((reader.metadata or {}).get("/Title") or "")
    except DocumentUnreadable:
        raise
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise DocumentUnreadable(f"the PDF cannot be read: {type(exc).__name__}: {str(exc)[:200]}") from exc
    parts, sections, offset = [], [], 0
    for number, page in enumerate(pages, start=1):
        page = unicodedata.normalize("NFC", page).strip()
        if not page:
            continue
        sections.append(Section(f"page {number}", offset, offset + len(page)))
        parts.append(page)
        offset += len(page) + 2
    if not parts:
        raise DocumentUnreadable("the PDF has no extractable text (a scan needs OCR first)")
    return Parsed(text="\n\n".join(parts), sections=tuple(sections), title=title[:500])
