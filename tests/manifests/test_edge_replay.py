"""Replays of the edge models' answers are bit-identical (seed 002): the same signed model file
(its version and hash are the trail's model version), the same features, the same bytes out."""

from __future__ import annotations

import pytest

from tests.factories import faq_ingested
from tests.manifests.test_edge_provider import NIGHT_VOIDS, ORDINARY_DAY, complete, room_photo

pytestmark = pytest.mark.django_db


def replayed(client, body) -> dict:
    response = client.post(f"/api/v1/ai/inferences/{body['id']}/replay", format="json")
    assert response.status_code == 200, response.json()
    return response.json()


@pytest.mark.parametrize(
    ("capability", "payload"),
    [
        ("anomaly.detect", NIGHT_VOIDS),
        ("anomaly.detect", ORDINARY_DAY),
        ("vision.photo_quality", {"image_base64": room_photo(), "purpose": "housekeeping_proof"}),
        ("vision.photo_quality", {"image_base64": room_photo(blur=6, gain=0.4), "purpose": "room_listing"}),
    ],
)
def test_edge_model_answers_replay_bit_identical(client_a, edge, capability, payload):
    body = complete(client_a, capability, payload)
    assert body["provenance"]["provider"] == "edge"
    report = replayed(client_a, body)
    assert report["provider"] == "edge" and report["model"] == body["provenance"]["model"]
    assert report["model_version"] == body["provenance"]["model_version"] != ""
    assert report["output_hash_equal"] is True, report["diff"]
    assert report["replay_output_hash"] == body["provenance"]["output_hash"]
    assert report["diff"] == [] and report["trail_diff"] == []


def test_the_edge_tutor_replays_bit_identical_on_the_same_passages(client_a, tenant_a, edge):
    faq_ingested(
        tenant_a,
        [
            {"question": "What time is check-out?", "answer": "Check-out is at 11:00; late check-out costs extra."},
            {"question": "Where is the swimming pool?", "answer": "On the roof, open 7:00 to 21:00."},
        ],
    )
    body = complete(client_a, "tutor.answer", {"question": "Can guests swim?", "locale": "en"})
    assert body["provenance"]["provider"] == "edge"
    report = replayed(client_a, body)
    assert report["output_hash_equal"] is True and report["output"] == body["output"]
    assert report["trail_diff"] == []
