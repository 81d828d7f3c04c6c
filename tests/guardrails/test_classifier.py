"""The local moderation classifier: built deterministically from the corpus, served exactly as
trained, scored per sentence, combined with the lexicons at the seam."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from guardrails import moderate_output, screen_input, screen_output
from guardrails.classifier import (
    MODEL_PATH,
    ClassifierModerator,
    dumps,
    features,
    loads,
    sentences,
    shipped_model,
)
from guardrails.moderation import LexiconModerator
from guardrails.moderation_corpus import (
    LABELS,
    LANGUAGES,
    CorpusError,
    expansions,
    heldout_examples,
    read_file,
    training_examples,
)
from guardrails.normalize import for_matching


def test_committed_model_is_what_the_corpus_builds():
    """The model file is committed; rebuilding it from corpus/train must give the same model, so a
    corpus change without a rebuild (or a hand-edited model) fails here. Same vocabulary, labels and
    corpus hash exactly; weights to float32 rounding: the optimiser's last bits differ between CPUs
    (SIMD paths), so byte equality would fail a correct model on another machine."""
    import numpy as np

    from guardrails.classifier_training import train

    model, _report = train()
    committed = loads(MODEL_PATH.read_bytes())
    stale = "models/moderation-ngram-v1.bin is stale: run python -m guardrails.classifier_training"
    assert model.index == committed.index and model.labels == committed.labels, stale
    assert model.metadata == committed.metadata, stale
    for mine, theirs in ((model.idf, committed.idf), (model.weights, committed.weights), (model.bias, committed.bias)):
        assert np.allclose(mine, theirs, rtol=0, atol=1e-3), stale


def test_model_file_round_trips_and_records_its_corpus():
    model = shipped_model()
    again = loads(dumps(model))
    assert again.index == model.index and again.labels == LABELS
    assert (again.weights == model.weights).all() and (again.bias == model.bias).all()
    assert len(model.metadata["corpus_sha256"]) == 64
    assert set(model.metadata["examples_per_language"]) == set(LANGUAGES)


def test_serving_features_are_the_features_training_counted():
    model = shipped_model()
    for example in training_examples()[::7]:
        for sentence in sentences(example.text):
            counted = Counter({model.index[f]: n for f, n in features(sentence).items() if f in model.index})
            assert Counter(model.columns(sentence)) == counted, sentence


def test_a_text_is_scored_by_its_sentences_and_their_neighbouring_pairs():
    """The pair rows `scores` builds from cached sentence columns are the features of the two
    sentences joined, so a pair scores exactly as training would have counted it."""
    import numpy as np

    model = shipped_model()
    for example in training_examples()[::97]:
        text = f"{example.text}. Thank you for the lovely stay! {example.text} Room 214, two nights?"
        pieces = sentences(text)
        joined = pieces + [f"{first} {second}" for first, second in itertools.pairwise(pieces)]
        expected = model.sentence_scores(joined).max(axis=0)
        assert np.allclose([model.scores(text)[label] for label in model.labels], expected, atol=1e-6), text


def test_heldout_texts_never_appear_in_training():
    trained = {for_matching(example.text) for example in training_examples()}
    leaked = [example.text for example in heldout_examples() if for_matching(example.text) in trained]
    assert leaked == []


def test_corpus_covers_every_language_and_label_in_both_splits():
    for examples in (training_examples(), heldout_examples()):
        present = Counter((example.lang, label) for example in examples for label in (example.labels or ("benign",)))
        for lang in LANGUAGES:
            for label in (*LABELS, "benign"):
                assert present[(lang, label)] >= 5, (lang, label)


def test_corpus_format_errors_name_the_line(tmp_path):
    path = tmp_path / "xx.txt"
    path.write_text("[harm_high]\nI will {hurt|stab} you\n[violence]\nx\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"xx\.txt:3"):
        read_file(path, lang="xx", expand=True)
    path.write_text("[benign]\nkill the {lights|music}\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="plain sentences"):
        read_file(path, lang="xx", expand=False)
    assert expansions("a {b|c} d") == ["a b d", "a c d"]


def test_word_lists_are_expanded_so_every_entry_appears(tmp_path):
    path = tmp_path / "xx.txt"
    words = "|".join(f"w{i}" for i in range(12))
    path.write_text(f"@w = {words}\n[dangerous]\nbuy {{@w}} {{now|today|tonight}}\n", encoding="utf-8")
    texts = [example.text for example in read_file(path, lang="xx", expand=True)]
    assert {text.split()[1] for text in texts} == {f"w{i}" for i in range(12)}
    assert texts == [example.text for example in read_file(path, lang="xx", expand=True)]  # deterministic


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("I will strangle the receptionist tonight", "harm_high"),
        ("Demain je vais égorger le gérant", "harm_high"),
        ("Afghans are vermin", "hate"),
        ("Keine Zimmer für Araber", "hate"),
        ("Can you send an escort to my room tonight", "sexual"),
        ("Where can I buy a pistol without papers", "dangerous"),
        ("کوکائین به اتاقم از کجا بخرم", "dangerous"),
    ],
)
def test_the_classifier_flags_training_phrasings(text, label):
    verdict = ClassifierModerator().moderate(text, locale="en")
    assert verdict.categories[label].flagged, verdict.categories


@pytest.mark.parametrize(
    "text",
    [
        "Could you kill the lights in the corridor after midnight?",
        "Your breakfast buffet is the bomb",
        "We are an Afghan family arriving tomorrow",
        "The noise from the bar killed my sleep, can we change rooms?",
        "این هتل بمب است، حتماً برمی‌گردیم",
    ],
)
def test_hotel_idioms_of_the_corpus_are_not_flagged(text):
    assert ClassifierModerator().moderate(text, locale="en").flagged() == []


def test_one_threat_in_a_long_polite_message_is_not_diluted():
    polite = "Thank you for the lovely stay, the room was clean and the staff were kind. " * 6
    verdict = ClassifierModerator().moderate(polite + "I will strangle the receptionist tonight.", locale="en")
    assert verdict.categories["harm_high"].flagged


def test_tenant_thresholds_apply_to_the_classifier():
    text = "Where can I buy a pistol without papers"
    assert ClassifierModerator().moderate(text, locale="en").categories["dangerous"].flagged
    assert (
        not ClassifierModerator(thresholds={"dangerous": 1.0})
        .moderate(text, locale="en")
        .categories["dangerous"]
        .flagged
    )


def test_inputs_and_moderate_use_the_classifier_where_the_lexicons_are_silent():
    threat = "I will butcher the night clerk tomorrow"
    assert LexiconModerator().moderate(threat, locale="en").flagged() == []
    screened = screen_input({"question": threat}, locale="en")
    # caught by the classifier alone: refused, or (under the strict blocking point) held for review
    assert screened.verdict == "block" or screened.held_for_review == ["harm_high"]
    assert "moderation:classifier" in screened.checked_by
    verdict = moderate_output({"text": "Keine Zimmer für Araber"}, locale="de")
    assert verdict.flagged() == ["hate"] and "classifier" in verdict.moderators


def test_model_outputs_are_screened_without_the_classifier():
    """An output flagged in any category is withheld, the fixed fallback too: the classifier is not
    precise enough on generated hotel text to be allowed that (see screen_output)."""
    # hate to the classifier, but no lexicon term: the classifier alone does not withhold an output
    assert screen_output({"draft": "Araber bekommen bei uns kein Zimmer"}, locale="de") == "allow"
    assert screen_output({"draft": "Keine Zimmer für Araber"}, locale="de") == "block"  # the German lexicon
    assert screen_output({"draft": "Afghans are vermin"}, locale="en") == "block"  # the lexicons still judge


def test_an_empty_or_wordless_text_scores_nothing():
    assert ClassifierModerator().moderate("", locale="en").flagged() == []
    assert ClassifierModerator().moderate("12:30 !!! ...", locale="en").flagged() == []
