"""The review band: a score under a category's flagging threshold and at or over its review one
puts the category in review (not flagged); training chooses where the classifier's band starts; an
input whose harm_high is in review is allowed, its answer held for a human."""

from __future__ import annotations

import pytest

from guardrails import screen_input
from guardrails.classifier import ClassifierModerator, shipped_model
from guardrails.moderation import CategoryScore, ModerationVerdict, combine, verdict_from_scores
from guardrails.moderation_corpus import LABELS

THREAT = "I will burn this hotel down tonight"  # harm_high about 0.96 on the shipped model


def test_training_put_every_categorys_band_under_its_flagging_point():
    points = shipped_model().metadata["operating_points"]
    review = shipped_model().review_scores()
    assert set(review) == set(LABELS)
    for label in LABELS:
        assert 0.0 < review[label] < 0.5
        # the band reaches further than the flagging point, out of fold, at a larger benign share
        assert points[label]["cv_recall_with_review"] > points[label]["cv_recall"]
        assert points[label]["cv_benign_flagged"] < points[label]["cv_benign_reviewed"] <= 0.03


@pytest.mark.parametrize(
    ("score", "flagged", "review"),
    [(0.1, False, False), (0.2, False, True), (0.49, False, True), (0.5, True, False), (0.9, True, False)],
)
def test_a_score_is_flagged_in_review_or_neither(score, flagged, review):
    verdict = verdict_from_scores(
        {"harm_high": score}, thresholds={"harm_high": 0.5}, moderator="m", review_thresholds={"harm_high": 0.2}
    )
    assert verdict.categories["harm_high"] == CategoryScore(score, flagged, review)
    assert verdict.verdict == ("block" if flagged else "allow")
    assert verdict.in_review() == (["harm_high"] if review else [])


def test_a_category_without_a_review_threshold_has_no_band():
    verdict = verdict_from_scores({"hate": 0.4}, thresholds={"hate": 0.5}, moderator="lexicon")
    assert verdict.categories["hate"] == CategoryScore(0.4, False, False)


def test_combining_keeps_a_flag_over_a_review_and_a_review_over_silence():
    def one(score: CategoryScore) -> ModerationVerdict:
        return ModerationVerdict(categories={"hate": score}, verdict="allow", moderators=["m"])

    in_review, flagged, silent = CategoryScore(0.3, False, True), CategoryScore(0.8, True), CategoryScore(0.0, False)
    assert combine([one(in_review), one(flagged)]).categories["hate"] == CategoryScore(0.8, True, False)
    assert combine([one(flagged), one(in_review)]).categories["hate"] == CategoryScore(0.8, True, False)
    assert combine([one(silent), one(in_review)]).categories["hate"] == CategoryScore(0.3, False, True)
    assert combine([one(in_review), one(silent)]).in_review() == ["hate"]


def test_the_classifier_puts_a_score_under_a_tenants_raised_threshold_in_review():
    plain = ClassifierModerator().moderate(THREAT, locale="en")
    assert plain.flagged() == ["harm_high"] and plain.in_review() == []
    lenient = ClassifierModerator(thresholds={"harm_high": 0.99}).moderate(THREAT, locale="en")
    assert lenient.flagged() == [] and lenient.in_review() == ["harm_high"]
    assert "harm_high:classifier:review" in lenient.reasons
    assert (
        ClassifierModerator(thresholds={"harm_high": 0.99}, review=False).moderate(THREAT, locale="en").in_review()
        == []
    )


def test_calm_text_is_in_no_band():
    verdict = ClassifierModerator().moderate("Could we have two extra towels in room 12, please?", locale="en")
    assert verdict.flagged() == [] and verdict.in_review() == []


def test_an_input_in_the_harm_high_band_is_allowed_and_held_for_review():
    held = screen_input({"question": THREAT}, locale="en", thresholds={"harm_high": 0.99})
    assert held.verdict == "allow"
    assert held.in_review == ["harm_high"] and held.held_for_review == ["harm_high"]
    blocked = screen_input({"question": THREAT}, locale="en")
    assert blocked.verdict == "block" and blocked.held_for_review == []
    calm = screen_input({"question": "What time is breakfast?"}, locale="en")
    assert calm.verdict == "allow" and calm.held_for_review == []


def test_training_takes_the_stricter_point_for_the_categories_that_block_an_input():
    from guardrails import INPUT_BLOCKING_CATEGORIES
    from guardrails.classifier_training import BLOCKING_LABELS, MAX_BENIGN_BLOCKED, MAX_BENIGN_FLAGGED

    assert set(BLOCKING_LABELS) == INPUT_BLOCKING_CATEGORIES and MAX_BENIGN_BLOCKED < MAX_BENIGN_FLAGGED
    points = shipped_model().metadata["operating_points"]
    assert points["harm_high"]["cv_benign_flagged"] <= MAX_BENIGN_BLOCKED
    assert all(points[label]["cv_benign_flagged"] <= MAX_BENIGN_FLAGGED for label in LABELS)
