"""Desktop sync (manifest, signed model downloads) and the manifest admin API. The registry snapshot,
which gathers the catalog, prompts and FAQ, is the capabilities app's (capabilities/snapshot.py)."""

from __future__ import annotations

import re

from django.db import transaction
from django.http import FileResponse
from django.utils.decorators import method_decorator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from manifests import downloads, files, services
from manifests.models import EdgeModelManifest
from manifests.publishing import manifest_publish_request
from manifests.selectors import manifest_published
from manifests.verification import ManifestRefused, verified_published_manifest
from melmastoon_ai.api import PlatformAdminAPIView, TenantAPIView
from melmastoon_ai.errors import ApplicationError, NotFound
from melmastoon_ai.fields import StrictBooleanField, StrictCharField

SEMVER = r"^\d+\.\d+\.\d+$"


class ManifestSummarySerializer(serializers.Serializer):
    version = serializers.CharField()
    key_version = serializers.CharField(source="key_version.name")
    body_sha256 = serializers.CharField()
    status = serializers.CharField()
    published_at = serializers.DateTimeField()
    models = serializers.SerializerMethodField()

    def get_models(self, manifest: EdgeModelManifest) -> list[str]:
        return sorted(manifest.edge_models.values_list("name", flat=True))


class LatestManifestApi(TenantAPIView):
    """The published manifest exactly as signed, with what a client needs to verify it and fetch files."""

    required_scope = "ai:invoke"

    class OutputSerializer(serializers.Serializer):
        version = serializers.CharField()
        manifest = serializers.CharField(help_text="the canonical JSON body, byte for byte as signed (UTF-8)")
        signature = serializers.CharField(help_text="base64 RSA-PSS-SHA256 (MGF1-SHA256, salt 32) over sha256(body)")
        key_version = serializers.CharField()
        algorithm = serializers.CharField()
        public_key_pem = serializers.CharField()
        published_at = serializers.DateTimeField()
        files = serializers.ListField(child=serializers.DictField())

    @extend_schema(responses=OutputSerializer, operation_id="manifest_latest")
    def get(self, request):
        try:
            verified = verified_published_manifest()
        except ManifestRefused as refused:
            raise NotFound(
                f"no verifiable manifest is published ({refused.reason})", details={"reason": refused.reason}
            ) from refused
        manifest = manifest_published()
        tenant_id = str(self.principal.tenant_id)
        links = []
        for entry in verified.models.values():
            for described in (entry, *entry.get("assets", [])):
                url, expires_at = downloads.download_url(
                    file=described["file"], sha256=described["sha256"], tenant_id=tenant_id
                )
                links.append(
                    {
                        "model": entry["name"],
                        "file": described["file"],
                        "sha256": described["sha256"],
                        "size": described["size"],
                        "url": request.build_absolute_uri(url),
                        "expires_at": expires_at.isoformat(),
                    }
                )
        return Response(
            {
                "version": manifest.version,
                "manifest": manifest.body,
                "signature": manifest.signature,
                "key_version": manifest.key_version.name,
                "algorithm": manifest.key_version.algorithm,
                "public_key_pem": manifest.key_version.public_key_pem,
                "published_at": manifest.published_at,
                "files": links,
            }
        )


class ModelFileDownloadApi(APIView):
    """A model file behind a signed, time-limited link: the link is the credential."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY}, operation_id="edge_model_file")
    def get(self, request, token: str):
        try:
            grant = downloads.check_download_token(token)
        except downloads.DownloadRefused as refused:
            message = f"The download link is {'expired' if refused.reason == 'expired' else 'invalid'}."
            raise ApplicationError(
                message, code="unauthenticated", status=401, details={"reason": refused.reason}
            ) from refused
        try:
            path = files.resolve(grant.file)
            intact = files.file_sha256(path) == grant.sha256
        except (files.UnsafePath, OSError):
            intact = False
        if not intact:
            raise NotFound("The file is not available as the manifest describes it.")
        response = FileResponse(
            open(path, "rb"), as_attachment=True, filename=path.name, content_type="application/octet-stream"
        )
        response["X-Content-SHA256"] = grant.sha256
        return response


@method_decorator(transaction.non_atomic_requests, name="dispatch")
class ManifestPublishApi(PlatformAdminAPIView):
    """Sign the registered edge models into a new manifest and publish it (seed 001: admin API), here
    or on the signer service (manifests/publishing.py); no transaction is held while the signer works."""

    atomic_request = False  # the error handler must not roll back a transaction this view does not own

    class PublishInputSerializer(serializers.Serializer):
        version = StrictCharField(required=False, max_length=32)

        def validate_version(self, value: str) -> str:
            if not re.match(SEMVER, value):
                raise serializers.ValidationError("must be a semantic version MAJOR.MINOR.PATCH")
            return value

    @extend_schema(
        request=PublishInputSerializer, responses={201: ManifestSummarySerializer}, operation_id="manifest_publish"
    )
    def post(self, request):
        data = self.PublishInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        manifest = manifest_publish_request(actor=_actor(self), version=data.validated_data.get("version"))
        return Response(ManifestSummarySerializer(manifest).data, status=status.HTTP_201_CREATED)


class SigningKeyRotateApi(PlatformAdminAPIView):
    """Seed 000's key-compromise runbook: a new key version and a manifest signed by it."""

    class RotateInputSerializer(serializers.Serializer):
        revoke_previous = StrictBooleanField(required=False, default=False)
        reason = StrictCharField(required=False, max_length=200, default="key rotation")

    @extend_schema(
        request=RotateInputSerializer,
        responses={201: ManifestSummarySerializer},
        operation_id="manifest_signing_key_rotate",
    )
    def post(self, request):
        data = self.RotateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        manifest = services.signing_key_rotate(actor=_actor(self), **data.validated_data)
        return Response(ManifestSummarySerializer(manifest).data, status=status.HTTP_201_CREATED)


def _actor(view: TenantAPIView) -> str:
    principal = view.principal
    return f"{principal.kind}:{principal.credential_id} tenant:{principal.tenant_id}"
