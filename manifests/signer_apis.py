"""The manifest signer service's one endpoint (SERVICE_ROLE=signer, manifests/signer_urls.py).

It is reached only from inside the platform: Cloud Run ingress `internal`, IAM `run.invoker` for the
API's service account alone, and in here the shared SIGNER_TOKEN, compared in constant time. Without
a SIGNER_TOKEN the signer refuses every request rather than sign for anyone.
"""

from __future__ import annotations

import hmac

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from manifests import services
from manifests.apis import SEMVER
from manifests.publishing import SIGNER_TOKEN_HEADER
from melmastoon_ai.errors import ApplicationError
from melmastoon_ai.fields import StrictCharField


class SignerRefused(ApplicationError):
    status = 401
    code = "unauthenticated"


def check_signer_token(presented: str | None, expected: str | None) -> None:
    if not expected:
        raise ApplicationError(
            "The signer has no SIGNER_TOKEN configured and signs nothing.", code="forbidden", status=403
        )
    if not presented or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise SignerRefused(f"The signer needs the shared token in {SIGNER_TOKEN_HEADER}.")


class SignerPublishApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        actor = StrictCharField(max_length=200)
        version = serializers.RegexField(SEMVER, required=False, max_length=32)

    @extend_schema(exclude=True)
    def post(self, request):
        from django.conf import settings

        check_signer_token(request.headers.get(SIGNER_TOKEN_HEADER), settings.SIGNER_TOKEN)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        manifest = services.manifest_publish(
            actor=f"signer for {data.validated_data['actor']}"[:200], version=data.validated_data.get("version")
        )
        return Response(
            {
                "version": manifest.version,
                "key_version": manifest.key_version.name,
                "body_sha256": manifest.body_sha256,
            },
            status=status.HTTP_201_CREATED,
        )
