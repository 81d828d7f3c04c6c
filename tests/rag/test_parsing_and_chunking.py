"""Parsing each format and cutting text into chunks: headings kept, words never cut, overlap."""

from __future__ import annotations

import itertools
import re

import pytest

from rag.chunking import chunk_text, detect_language, estimate_tokens
from rag.parsing import DocumentUnreadable, Section, UnsupportedMediaType, media_type_of, parse
from tests.rag.support import POLICY_HTML, POLICY_MD, make_pdf


def _words(text: str) -> set[str]:
    return set(re.findall(r"\S+", text))


def test_markdown_sections_follow_the_headings_with_their_path():
    parsed = parse(POLICY_MD.encode(), "text/markdown")
    assert parsed.title == "House rules"
    headings = [section.heading for section in parsed.sections]
    assert headings == [
        "House rules",
        "House rules > Check-in and check-out",
        "House rules > Pets",
        "House rules > Swimming pool",
    ]
    pets = parsed.sections[2]
    assert parsed.text[pets.start : pets.end].startswith("## Pets")  # offsets point into the source itself


def test_html_is_read_as_text_without_scripts_styles_or_navigation():
    parsed = parse(POLICY_HTML.encode(), "text/html")
    assert parsed.title == "Breakfast and parking"
    assert "alert" not in parsed.text and "color: red" not in parsed.text and "Home | Rooms" not in parsed.text
    assert [section.heading for section in parsed.sections] == ["Breakfast", "Parking"]
    assert "Vegan and halal dishes are marked." in parsed.text


def test_a_pdf_is_read_page_by_page_and_a_corrupt_one_is_refused_with_a_reason():
    parsed = parse(
        make_pdf(["Towels are changed every second day.", "Smoking costs 150 euros."], title="SOP"), "application/pdf"
    )
    assert [section.heading for section in parsed.sections] == ["page 1", "page 2"]
    assert "Smoking costs 150 euros." in parsed.text and parsed.title == "SOP"
    with pytest.raises(DocumentUnreadable):
        parse(
            b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF",
            "application/pdf",
        )
    with pytest.raises(DocumentUnreadable):
        parse(b"\xff\xfe not utf-8 \xc3\x28", "text/plain")


def test_media_types_come_from_the_declaration_or_the_file_name():
    assert media_type_of("text/markdown; charset=utf-8") == "text/markdown"
    assert media_type_of("application/octet-stream", "rules.PDF") == "application/pdf"
    with pytest.raises(UnsupportedMediaType):
        parse(b"PK\x03\x04", "application/zip")


@pytest.mark.parametrize(
    "language,text",
    [
        ("en", "Check-out is at eleven. Late check-out costs extra! Ask the desk? Towels are in the cupboard."),
        ("fr", "Le petit-déjeuner est servi à sept heures. Les animaux sont acceptés. Le parking est gratuit."),
        ("de", "Das Frühstück gibt es ab sieben Uhr. Haustiere sind erlaubt. Der Parkplatz ist kostenlos."),
        ("tr", "Kahvaltı saat yedide başlar. Evcil hayvanlar kabul edilir. Otopark ücretsizdir."),
        ("ar", "يبدأ الإفطار في الساعة السابعة. هل يسمح بالحيوانات الأليفة؟ موقف السيارات مجاني."),
        ("fa", "صبحانه از ساعت هفت سرو می‌شود. آیا حیوانات خانگی پذیرفته می‌شوند؟ پارکینگ رایگان است."),
        ("ps", "ناری په اوو بجو پیلیږي. ایا څاروي منل کیږي؟ د موټرو ځای وړیا دی."),
        ("ur", "ناشتہ سات بجے شروع ہوتا ہے۔ کیا پالتو جانوروں کی اجازت ہے؟ پارکنگ مفت ہے۔"),
    ],
)
def test_chunks_end_at_sentence_ends_in_every_language_and_never_cut_a_word(language, text):
    text = " ".join([text] * 6)
    chunks = chunk_text(text, [Section("", 0, len(text))], max_tokens=24, overlap_tokens=8)
    assert len(chunks) > 2
    words = _words(text)
    for chunk in chunks:
        assert chunk.text == text[chunk.start : chunk.end]
        assert _words(chunk.text) <= words  # every piece is a whole word of the source
        assert chunk.start == 0 or text[chunk.start - 1].isspace()
        assert chunk.end == len(text) or text[chunk.end].isspace()
        assert chunk.tokens <= 24
        assert chunk.text[-1] in ".!?؟۔"  # whole sentences: these fit in a chunk
    for previous, following in itertools.pairwise(chunks):
        assert following.start < previous.end  # consecutive chunks overlap
    assert detect_language(text) == language


def test_a_sentence_longer_than_a_chunk_is_cut_between_words_and_sections_are_never_crossed():
    long_sentence = " ".join(f"word{n}" for n in range(200))
    text = f"{long_sentence}\n\nSecond section sentence."
    sections = [Section("one", 0, len(long_sentence)), Section("two", len(long_sentence) + 2, len(text))]
    chunks = chunk_text(text, sections, max_tokens=30, overlap_tokens=0)
    assert all(chunk.tokens <= 30 for chunk in chunks)
    assert " ".join(chunk.text for chunk in chunks if chunk.heading == "one") == long_sentence
    assert [chunk.text for chunk in chunks if chunk.heading == "two"] == ["Second section sentence."]
    assert (
        sum(estimate_tokens([chunk.text])[0] for chunk in chunks if chunk.heading == "one")
        == estimate_tokens([long_sentence])[0]
    )
