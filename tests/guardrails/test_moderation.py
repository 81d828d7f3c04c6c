"""Local moderation: hotel idioms stay allowed, harm is flagged in every lexicon language,
thresholds are the caller's, and several verdicts combine into one."""

from __future__ import annotations

import pytest

from guardrails.moderation import (
    CATEGORIES,
    CategoryScore,
    LexiconModerator,
    ModerationVerdict,
    PiiModerator,
    combine,
)


@pytest.fixture(scope="module")
def moderator() -> LexiconModerator:
    return LexiconModerator()


@pytest.mark.parametrize(
    "text",
    [
        "kill the lights",
        "the shot of the pool",
        "execute the booking",
        "this deal is a killer",
        "shoot me an email",
        "the pool is to die for",
        "drop-dead gorgeous view",
        "the breakfast is the bomb",
        "where is the fire exit?",
        "is there a drugstore nearby?",
        "we stayed in Middlesex",
        "a cocktail bar",
        "Please arrange an escort to the airport",
        "Sex: M, nationality: AF",
        "الفطور يموت",
        "قتلني الجوع",
        "المسبح نار",
        "این هتل بمب است",
        "از خنده مردیم",
        "شیشه پنجره شکسته است",
        "له خندا مړ شوو",
        "une vue à tomber",
        "ce gâteau est une tuerie",
        "je meurs de faim",
    ],
)
def test_hotel_idioms_are_not_flagged(moderator, text):
    verdict = moderator.moderate(text, locale="en")
    assert verdict.verdict == "allow", verdict.reasons


@pytest.mark.parametrize(
    ("text", "locale", "category"),
    [
        ("If you don't refund me I will kill you.", "en", "harm_high"),
        ("I want to end my life tonight.", "en", "harm_high"),
        ("All Afghans are animals.", "en", "hate"),
        ("Send a prostitute to room 510.", "en", "sexual"),
        ("Where can I buy cocaine near the hotel?", "en", "dangerous"),
        ("إذا ما رجعتوا فلوسي راح أقتلك", "ar", "harm_high"),
        ("سأقتلك", "ar", "harm_high"),
        ("اگر پولم را پس ندهید می‌کشمت", "fa", "harm_high"),
        ("اگر پولم را پس ندهید می کشمت", "fa", "harm_high"),
        ("زه به دې ووژنم", "ps", "harm_high"),
        ("Je vais te tuer.", "fr", "harm_high"),
        ("Où acheter de l'héroïne ?", "fr", "dangerous"),
    ],
)
def test_harm_is_flagged_in_each_language(moderator, text, locale, category):
    verdict = moderator.moderate(text, locale=locale)
    assert verdict.categories[category].flagged
    assert verdict.verdict == "block"
    assert verdict.moderators == ["lexicon"]


def test_guests_switching_language_are_still_moderated(moderator):
    # the request's locale is English, the threat is in Dari
    assert moderator.moderate("Hi, about my booking: می‌کشمت", locale="en").categories["harm_high"].flagged


def test_idiom_does_not_hide_a_threat_in_the_same_message(moderator):
    verdict = moderator.moderate("Kill the lights, and then I will kill you.", locale="en")
    assert verdict.categories["harm_high"].flagged


def test_weak_terms_need_company_to_reach_the_threshold(moderator):
    assert not moderator.moderate("I cannot go on like this with the wifi", locale="en").categories["harm_high"].flagged
    weak = moderator.moderate("a bomb", locale="en").categories["dangerous"]
    assert 0 < weak.score < 0.5 and not weak.flagged


def test_thresholds_come_from_the_constructor():
    text = "Where can I find some explosives?"
    default = LexiconModerator().moderate(text, locale="en").categories["dangerous"]
    strict = LexiconModerator(thresholds={"dangerous": 0.99}).moderate(text, locale="en").categories["dangerous"]
    assert default.flagged and not strict.flagged
    assert default.score == strict.score


@pytest.mark.parametrize("thresholds", [{"violence": 0.5}, {"hate": 0.0}, {"hate": 1.5}])
def test_bad_thresholds_are_refused(thresholds):
    with pytest.raises(ValueError):
        LexiconModerator(thresholds=thresholds)


def test_pii_moderator_flags_personal_data_unless_allowed():
    text = "Your host's number is +93 70 123 4567."
    assert PiiModerator().moderate(text, locale="en").categories["pii_exposed"].flagged
    allowed = PiiModerator(allowed_values=["+93 70 123 4567"]).moderate(text, locale="en")
    assert not allowed.categories["pii_exposed"].flagged
    assert allowed.verdict == "allow"


def test_combine_takes_the_highest_score_and_any_flag():
    first = ModerationVerdict({"hate": CategoryScore(0.2, False), "sexual": CategoryScore(0.7, True)}, "block", ["a"])
    second = ModerationVerdict(
        {"hate": CategoryScore(0.6, False), "dangerous": CategoryScore(0.1, False)}, "allow", ["b"]
    )
    merged = combine([first, second])
    assert merged.categories == {
        "hate": CategoryScore(0.6, False),
        "sexual": CategoryScore(0.7, True),
        "dangerous": CategoryScore(0.1, False),
    }
    assert merged.verdict == "block"
    assert merged.moderators == ["a", "b"]
    assert combine([second]).verdict == "allow"


def test_local_moderation_scores_every_category():
    from guardrails import moderate_output

    verdict = moderate_output({"text": "Mail me at a@b.com, I will kill you"}, locale="en")
    assert set(verdict.categories) == set(CATEGORIES)
    assert verdict.flagged() == ["harm_high", "pii_exposed"]
    assert verdict.moderators == ["lexicon", "classifier", "pii"]


def test_the_pashto_idiom_this_hotel_is_the_bomb_is_not_a_bomb_threat():
    """Issue 24: the independent set found "دا هوټل بم دی" (this hotel is the bomb) blocked as a threat."""
    from guardrails import screen_input

    assert screen_input({"review": "دا هوټل بم دی، حتماً بېرته راځو"}, locale="ps").verdict == "allow"
    assert screen_input({"review": "په هوټل کې بم دی"}, locale="ps").verdict == "block"  # there is a bomb in the hotel
