"""Django admin: publish a manifest and revoke a key version, through the services."""

from __future__ import annotations

import pytest

from manifests.models import EdgeModel, EdgeModelManifest, SigningKeyVersion
from tests.factories import staff_login

pytestmark = pytest.mark.django_db


def test_the_admin_action_signs_and_publishes_a_new_manifest(client, superuser, edge):
    staff_login(client, superuser)
    ids = list(EdgeModel.objects.values_list("pk", flat=True))
    response = client.post(
        "/admin/manifests/edgemodel/", {"action": "publish_manifest", "_selected_action": ids}, follow=True
    )
    assert response.status_code == 200
    assert "Published manifest 1.1.0, signed by local:1." in response.content.decode()
    assert EdgeModelManifest.objects.get(status="published").version == "1.1.0"


def test_the_admin_action_revokes_a_key_version(client, superuser, edge):
    staff_login(client, superuser)
    key = SigningKeyVersion.objects.get(name="local:1")
    client.post("/admin/manifests/signingkeyversion/", {"action": "revoke", "_selected_action": [key.pk]}, follow=True)
    key.refresh_from_db()
    assert key.status == "revoked" and key.revoked_reason == "revoked in admin"
