"""The manifest signer service (seed 000): the same image with SERVICE_ROLE=signer serves health and
one internal endpoint, signs only for a caller presenting SIGNER_TOKEN, and is where the API's publish
endpoint has manifests signed when MANIFEST_PUBLISHER_URL names it."""

from __future__ import annotations

import httpx
import pytest

from manifests import building
from manifests.models import EdgeModelManifest
from manifests.publishing import PUBLISH_PATH, SIGNER_TOKEN_HEADER
from manifests.signer_apis import check_signer_token
from melmastoon_ai.errors import ApplicationError
from tests.e2e.conftest import running_server

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
TOKEN = "signer-token-for-tests-only"


@pytest.fixture
def models_registered(catalog, edge_dirs):
    model_dir, prepared = edge_dirs
    building.register(prepared)
    return model_dir


@pytest.fixture
def signer(settings, models_registered):
    env = {
        "SERVICE_ROLE": "signer",
        "SIGNER_TOKEN": TOKEN,
        "EDGE_MODEL_DIR": str(settings.EDGE_MODEL_DIR),
        "MANIFEST_LOCAL_KEY_DIR": str(settings.MANIFEST_LOCAL_KEY_DIR),
        "MANIFEST_SIGNER": "local",
    }
    with running_server(workers=1, threads=4, **env) as url:
        yield url


def test_the_signer_serves_health_and_its_endpoint_only_and_signs_for_no_one_without_the_token(signer):
    assert httpx.get(f"{signer}/healthz").status_code == 200
    assert httpx.get(f"{signer}/api/v1/ai/capabilities").status_code == 404
    assert httpx.get(f"{signer}/admin/").status_code == 404
    assert httpx.post(f"{signer}/api/v1/admin/manifests", json={}).status_code == 404
    for headers in ({}, {SIGNER_TOKEN_HEADER: "not-the-token"}):
        response = httpx.post(f"{signer}{PUBLISH_PATH}", json={"actor": "intruder"}, headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"
    assert not EdgeModelManifest.objects.exists()


def test_the_api_has_manifests_signed_by_the_signer_service(signer, settings, client_for, operator_a):
    from tests.factories import ApiKeyFactory

    settings.MANIFEST_PUBLISHER_URL, settings.SIGNER_TOKEN = signer, TOKEN
    admin = client_for(ApiKeyFactory(tenant=operator_a, scopes=["ai:admin"]).raw)
    response = admin.post("/api/v1/admin/manifests", {"version": "2.0.0"}, format="json")
    assert response.status_code == 201, response.content[:500]
    assert response.json()["version"] == "2.0.0"
    manifest = EdgeModelManifest.objects.get(version="2.0.0")
    assert manifest.published_by.startswith("signer for ")
    again = admin.post("/api/v1/admin/manifests", {"version": "1.0.0"}, format="json")
    assert again.status_code == 409  # the signer's refusal, passed on in the envelope
    assert again.json()["error"]["code"] == "conflict"


@pytest.mark.parametrize("presented", [None, "", "anything"])
def test_a_signer_without_a_configured_token_signs_for_no_one(presented):
    with pytest.raises(ApplicationError) as refused:
        check_signer_token(presented, None)
    assert (refused.value.status, refused.value.code) == (403, "forbidden")


def test_an_unreachable_signer_is_503_not_a_half_published_manifest(
    settings, models_registered, client_for, operator_a
):
    from tests.factories import ApiKeyFactory
    from tests.manifests.conftest import closed_port

    settings.MANIFEST_PUBLISHER_URL, settings.SIGNER_TOKEN = f"http://127.0.0.1:{closed_port()}", TOKEN
    admin = client_for(ApiKeyFactory(tenant=operator_a, scopes=["ai:admin"]).raw)
    response = admin.post("/api/v1/admin/manifests", {}, format="json")
    assert response.status_code == 503 and response.json()["error"]["code"] == "unavailable"
    assert not EdgeModelManifest.objects.exists()
