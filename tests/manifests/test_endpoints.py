"""Desktop sync and manifest admin endpoints: contract, scopes, signed downloads, tenant isolation."""

from __future__ import annotations

import hashlib
import json
import time

import pytest
from django.core import signing

from manifests.models import EdgeModelManifest, SigningKeyVersion
from manifests.services import signing_key_version_revoke
from manifests.signing.verify import signature_valid
from tests.factories import ApiKeyFactory, faq_ingested
from tests.manifests.conftest import flip_a_byte

ANOMALY_FILE = "melmastoon-edge-anomaly-v3/3.0.0/model.onnx"

# tenant_a is the operator: its ai:admin key administers platform-wide resources (tenant_b is a hotel)
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("operator_a")]
LATEST = "/api/v1/ai/manifests/latest"
SNAPSHOT = "/api/v1/ai/registry/snapshot"
PUBLISH = "/api/v1/admin/manifests"


def latest(client) -> dict:
    response = client.get(LATEST)
    assert response.status_code == 200, response.json()
    return response.json()


def download(client, url: str):
    return client.get(url.removeprefix("http://testserver"))


def test_latest_manifest_carries_the_signed_body_and_the_key_to_verify_it(client_a, edge):
    body = latest(client_a)
    assert (body["version"], body["key_version"], body["algorithm"]) == ("1.0.0", "local:1", "RSA_SIGN_PSS_2048_SHA256")
    assert signature_valid(
        body=body["manifest"].encode(), signature_b64=body["signature"], public_key_pem=body["public_key_pem"]
    )
    document = json.loads(body["manifest"])
    assert sorted(model["name"] for model in document["models"]) == [
        "all-minilm-l6-v2",
        "melmastoon-edge-anomaly-v3",
        "melmastoon-edge-photo-quality-v1",
    ]
    files = {link["file"] for link in body["files"]}
    assert files >= {"all-minilm-l6-v2/1.0.0/model.onnx", "all-minilm-l6-v2/1.0.0/tokenizer.json"}


def test_a_signed_download_link_serves_the_file_the_manifest_describes(client_a, anon_client, edge):
    link = next(link for link in latest(client_a)["files"] if link["file"] == ANOMALY_FILE)
    response = download(anon_client, link["url"])  # the link is the credential
    assert response.status_code == 200 and response["X-Content-SHA256"] == link["sha256"]
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == link["sha256"]


def test_an_expired_download_link_is_refused(client_a, anon_client, edge, monkeypatch):
    link = latest(client_a)["files"][0]
    issued = time.time()
    monkeypatch.setattr(signing.time, "time", lambda: issued + 3601)  # one hour and a second later
    response = download(anon_client, link["url"])
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert response.json()["error"]["details"] == {"reason": "expired"}


def test_a_tampered_download_link_is_refused(client_a, anon_client, edge):
    url = latest(client_a)["files"][0]["url"]
    head, _, token = url.rpartition("/")
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    response = download(anon_client, f"{head}/{forged}")
    assert response.status_code == 401 and response.json()["error"]["details"] == {"reason": "invalid"}


def test_a_file_changed_on_disk_is_not_served_under_the_manifest_name(client_a, anon_client, edge):
    link = next(link for link in latest(client_a)["files"] if link["file"] == ANOMALY_FILE)
    flip_a_byte(edge.path("melmastoon-edge-anomaly-v3"))
    response = download(anon_client, link["url"])
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_latest_is_404_without_a_verifiable_manifest(client_a, catalog, edge_dirs):
    response = client_a.get(LATEST)
    assert response.status_code == 404 and response.json()["error"]["details"] == {"reason": "no_manifest"}


def test_latest_refuses_a_manifest_whose_key_version_is_revoked(client_a, edge):
    signing_key_version_revoke(name="local:1", reason="test", actor="test")
    response = client_a.get(LATEST)
    assert response.status_code == 404 and response.json()["error"]["details"] == {"reason": "key_revoked"}


def test_sync_endpoints_need_a_credential_and_the_invoke_scope(anon_client, client_for, tenant_a, edge):
    reviewer = client_for(ApiKeyFactory(tenant=tenant_a, scopes=["ai:review"]).raw)
    for path in (LATEST, SNAPSHOT):
        assert anon_client.get(path).status_code == 401
        response = reviewer.get(path)
        assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


def test_publishing_needs_the_admin_scope(client_for, tenant_a, edge):
    invoker = client_for(ApiKeyFactory(tenant=tenant_a, scopes=["ai:invoke"]).raw)
    response = invoker.post(PUBLISH, {}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    assert EdgeModelManifest.objects.count() == 1


def test_publishing_signs_a_new_manifest_and_supersedes_the_old_one(client_a, edge):
    response = client_a.post(PUBLISH, {"version": "2.0.0"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["version"] == "2.0.0" and response.json()["key_version"] == "local:1"
    statuses = dict(EdgeModelManifest.objects.values_list("version", "status"))
    assert statuses == {"1.0.0": "superseded", "2.0.0": "published"}
    assert latest(client_a)["version"] == "2.0.0"
    stale = client_a.post(PUBLISH, {"version": "1.5.0"}, format="json")
    assert stale.status_code == 409 and stale.json()["error"]["details"]["latest"] == "2.0.0"
    malformed = client_a.post(PUBLISH, {"version": "two"}, format="json")
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "invalid_request"


def test_publishing_with_no_registered_models_is_a_clear_400(client_a, catalog, edge_dirs):
    response = client_a.post(PUBLISH, {}, format="json")
    assert response.status_code == 400 and "edge_models_build" in response.json()["error"]["message"]


def test_key_rotation_publishes_a_manifest_signed_by_the_new_key_version(client_a, edge):
    response = client_a.post(f"{PUBLISH}/rotate-key", {"revoke_previous": True, "reason": "drill"}, format="json")
    assert response.status_code == 201 and response.json()["key_version"] == "local:2"
    assert dict(SigningKeyVersion.objects.values_list("name", "status")) == {"local:1": "revoked", "local:2": "active"}
    assert latest(client_a)["key_version"] == "local:2"


def test_the_snapshot_carries_catalog_prompts_and_only_the_callers_faq(client_a, client_b, tenant_a, tenant_b, edge):
    faq_ingested(tenant_a, [{"question": "Wi-Fi password?", "answer": "alborz-guest"}])
    faq_ingested(tenant_b, [{"question": "Parking?", "answer": "Behind the hotel."}])
    mine = client_a.get(SNAPSHOT).json()
    theirs = client_b.get(SNAPSHOT).json()
    assert len(mine["capabilities"]) == 15 and mine["manifest"] == {"version": "1.0.0", "key_version": "local:1"}
    assert {prompt["prompt"] for prompt in mine["prompts"]} >= {"PRMP_PRICING_001", "PRMP_TUTOR_001"}
    assert [entry["answer"] for entry in mine["faq"]] == ["alborz-guest"]
    assert [entry["answer"] for entry in theirs["faq"]] == ["Behind the hotel."]
    assert mine["tenant_id"] == str(tenant_a.id) and theirs["tenant_id"] == str(tenant_b.id)


def test_the_snapshot_carries_the_callers_minilm_index_and_nothing_of_another_tenant(
    client_a, client_b, tenant_a, tenant_b, edge
):
    import hashlib
    import json

    faq_ingested(tenant_a, [{"question": "Wi-Fi password?", "answer": "alborz-guest"}])
    mine = client_a.get(SNAPSHOT).json()["rag"]
    theirs = client_b.get(SNAPSHOT).json()["rag"]
    assert [corpus["embedding_model"].split("@")[0] for corpus in mine["corpora"]] == ["all-minilm-l6-v2"]
    assert [chunk["text"] for chunk in mine["chunks"]] == ["alborz-guest"]
    assert len(mine["chunks"][0]["embedding"]) == 384 and mine["corpora"][0]["dim"] == 384
    body = {"corpora": mine["corpora"], "chunks": mine["chunks"]}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert mine["sha256"] == hashlib.sha256(canonical.encode()).hexdigest()
    assert theirs["corpora"] == [] and theirs["chunks"] == []
    assert "alborz-guest" not in json.dumps(theirs)
