"""Guest names out of stored and logged inputs: `guest_name` is stored and sent as `<NAME_n>`, the
response puts the name back, the reviewer page shows it while the gate is open (and says so), the
console and the admin show the placeholder (and say so)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from capabilities.models import InferenceRecord
from guardrails import screen_input
from hitl.models import HitlGate
from hitl.services import hitl_gate_decide, reviewer_account_create
from melmastoon_ai.outbox.models import OutboxEvent
from melmastoon_ai.tenancy.context import tenant_context

pytestmark = pytest.mark.django_db
NAME = "Layla Haddad"


def test_the_guest_name_is_a_placeholder_for_the_model_and_the_stored_input():
    screened = screen_input(
        {"guest_name": NAME, "stay": {"guest_name": " layla  HADDAD"}, "note": NAME}, locale="en", country="AF"
    )
    # the name the caller gave is pseudonymised wherever the free text repeats it too
    assert screened.payload == {"guest_name": "<NAME_1>", "stay": {"guest_name": "<NAME_1>"}, "note": "<NAME_1>"}
    assert screened.mapping == {"<NAME_1>": NAME}  # one name, one placeholder, however it is written


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Please greet Mrs. Sofia Rossi at the door", "Sofia Rossi"),
        ("My name is Carlos Pérez and I need a taxi", "Carlos Pérez"),
        ("Je m'appelle Élodie Martin, chambre 12", "Élodie Martin"),
        ("Frau Dr. Weber ruft morgen an", "Weber"),
        ("Ayşe Hanım geç kalacak", "Ayşe"),
        ("آقای احمد رضایی فردا می‌آید", "احمد رضایی"),
        ("السيد محمد العلي وصل", "محمد العلي"),
        ("میرا نام علی خان ہے", "علی خان"),
    ],
)
def test_names_in_free_text_are_pseudonymised_by_their_title_or_introduction(text, found):
    screened = screen_input({"message": text}, locale="en", country="DE")
    assert found not in screened.payload["message"]
    assert "<NAME_1>" in screened.payload["message"]
    assert screened.mapping["<NAME_1>"] == found


@pytest.mark.parametrize(
    "text",
    [
        "Mr. The room is cold",  # a title, then no name
        "Could room 12 have late check-out?",
        "Anna called about parking",  # a bare first name with no cue and no guest_name: not found
        "The Bey family suite",  # a word before a title that is not a name ("The")
    ],
)
def test_text_without_a_cued_name_is_left_as_it_is(text):
    screened = screen_input({"message": text}, locale="en", country="DE")
    assert screened.payload["message"] == text and not screened.mapping


def test_a_part_of_the_guests_name_in_free_text_gets_its_own_placeholder():
    screened = screen_input({"guest_name": "Anna Müller", "message": "Ms. Müller asked; Anna Müller paid"}, locale="en")
    assert screened.payload["message"] == "Ms. <NAME_2> asked; <NAME_1> paid"
    assert screened.mapping == {"<NAME_1>": "Anna Müller", "<NAME_2>": "Müller"}


def draft(client, caplog) -> dict:
    response = client.post(
        "/api/v1/ai/complete",
        {
            "capability": "message.draft",
            "context": {"feature": "messaging", "locale": "en"},
            "input": {
                "intent": "booking_confirmation",
                "locale": "en",
                "guest_name": NAME,
                "hotel_name": "Hotel Alborz",
            },
        },
        format="json",
    )
    assert response.status_code == 200
    return response.json()


def test_the_name_is_stored_nowhere_but_the_open_gate_and_comes_back_in_the_response(
    client_a, tenant_a, catalog, caplog
):
    body = draft(client_a, caplog)
    assert NAME in json.dumps(body["output"], ensure_ascii=False)  # the caller's own value, restored
    assert NAME not in caplog.text
    with tenant_context(tenant_a.id):
        record = InferenceRecord.objects.get(tenant_id=tenant_a.id, pk=body["id"])
        gate = HitlGate.objects.get(tenant_id=tenant_a.id, inference=record)
        events = list(OutboxEvent.objects.filter(tenant_id=tenant_a.id).values_list("payload", flat=True))
    assert record.input_redacted["guest_name"] == "<NAME_1>"
    assert NAME not in json.dumps(
        [record.input_redacted, record.output, record.provenance, record.trail, events], ensure_ascii=False
    )
    assert gate.guest_names == {"<NAME_1>": NAME}


def test_the_reviewer_page_shows_the_name_while_open_and_its_label_says_so(
    client_a, tenant_a, catalog, caplog, admin_client
):
    body = draft(client_a, caplog)
    user = reviewer_account_create(
        tenant_id=tenant_a.id, username="noor", password="correct-horse-battery-7", groups=["reviewers"]
    )
    browser = Client()
    browser.force_login(user)
    page = browser.get(f"/hitl/gates/{body['hitl']['gate_id']}/").content.decode()
    assert "Input (contact details and IDs redacted; guest names shown while the gate is open)" in page
    assert NAME in page and "personal data redacted" not in page

    with tenant_context(tenant_a.id):
        hitl_gate_decide(tenant_id=tenant_a.id, gate_id=body["hitl"]["gate_id"], decision="approve", reviewer="noor")
        assert HitlGate.objects.get(tenant_id=tenant_a.id, pk=body["hitl"]["gate_id"]).guest_names == {}
    decided = browser.get(f"/hitl/gates/{body['hitl']['gate_id']}/").content.decode()
    assert NAME not in decided and "&lt;NAME_1&gt;" in decided

    admin_page = admin_client.get(f"/admin/capabilities/inferencerecord/{body['id']}/change/").content.decode()
    assert "Input (contact details, IDs and guest names replaced by placeholders) and output" in admin_page
    assert NAME not in admin_page
