"""Admin API for prompts and their lifecycle (scope ai:admin)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from melmastoon_ai.api import PlatformAdminAPIView
from melmastoon_ai.errors import NotFound
from melmastoon_ai.fields import StrictCharField, StrictIntegerField
from prompts import services
from prompts.models import Prompt, PromptVersion


class PromptVersionSerializer(serializers.ModelSerializer):
    prompt = serializers.CharField(source="prompt.key", read_only=True)

    class Meta:
        model = PromptVersion
        fields = [
            "id",
            "prompt",
            "version",
            "status",
            "system_template",
            "user_template",
            "variables",
            "model_parameters",
            "canary_percent",
            "canary_started_at",
            "created_at",
            "activated_at",
            "deprecated_at",
            "retired_at",
        ]


class PromptSerializer(serializers.ModelSerializer):
    versions = PromptVersionSerializer(many=True, read_only=True)

    class Meta:
        model = Prompt
        fields = ["key", "domain", "description", "created_at", "versions"]


def version_by_label(key: str, version: str) -> PromptVersion:
    found = PromptVersion.objects.select_related("prompt").filter(prompt__key=key, version=version).first()
    if found is None:
        raise NotFound(f"no version {version} of {key}")
    return found


class PromptListApi(PlatformAdminAPIView):
    class PromptCreateInputSerializer(serializers.Serializer):
        key = StrictCharField(max_length=64)
        domain = StrictCharField(max_length=32)
        description = StrictCharField(required=False, allow_blank=True, default="")

    @extend_schema(responses=PromptSerializer(many=True), operation_id="prompts_list")
    def get(self, request):
        return Response(PromptSerializer(Prompt.objects.prefetch_related("versions"), many=True).data)

    @extend_schema(
        request=PromptCreateInputSerializer, responses={201: PromptSerializer}, operation_id="prompts_create"
    )
    def post(self, request):
        data = self.PromptCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        prompt = services.prompt_create(**data.validated_data)
        return Response(PromptSerializer(prompt).data, status=status.HTTP_201_CREATED)


class PromptDetailApi(PlatformAdminAPIView):
    @extend_schema(responses=PromptSerializer, operation_id="prompts_retrieve")
    def get(self, request, key: str):
        prompt = Prompt.objects.prefetch_related("versions").filter(key=key).first()
        if prompt is None:
            raise NotFound(f"no prompt {key}")
        return Response(PromptSerializer(prompt).data)


class PromptVersionCreateApi(PlatformAdminAPIView):
    class PromptVersionCreateInputSerializer(serializers.Serializer):
        version = StrictCharField(max_length=32)
        system_template = StrictCharField()
        user_template = StrictCharField()
        variables = serializers.ListField(child=StrictCharField(max_length=64), max_length=50)
        model_parameters = serializers.DictField(required=False, default=dict)

    @extend_schema(
        request=PromptVersionCreateInputSerializer,
        responses={201: PromptVersionSerializer},
        operation_id="prompt_versions_create",
    )
    def post(self, request, key: str):
        data = self.PromptVersionCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = services.prompt_version_create_draft(prompt_key=key, **data.validated_data)
        return Response(PromptVersionSerializer(version).data, status=status.HTTP_201_CREATED)


class PromptVersionCanaryApi(PlatformAdminAPIView):
    class CanaryStartInputSerializer(serializers.Serializer):
        percent = StrictIntegerField(min_value=1, max_value=50, default=5)

    @extend_schema(
        request=CanaryStartInputSerializer, responses=PromptVersionSerializer, operation_id="prompt_canary_start"
    )
    def post(self, request, key: str, version: str):
        data = self.CanaryStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated = services.prompt_version_start_canary(
            version_id=version_by_label(key, version).id, **data.validated_data
        )
        return Response(PromptVersionSerializer(updated).data)

    @extend_schema(request=None, responses=PromptVersionSerializer, operation_id="prompt_canary_stop")
    def delete(self, request, key: str, version: str):
        updated = services.prompt_version_stop_canary(version_id=version_by_label(key, version).id)
        return Response(PromptVersionSerializer(updated).data)


def transition_api(service, operation_id: str):
    """A POST that runs one lifecycle service on the version named in the URL."""

    class TransitionApi(PlatformAdminAPIView):
        @extend_schema(request=None, responses=PromptVersionSerializer, operation_id=operation_id)
        def post(self, request, key: str, version: str):
            updated = service(version_id=version_by_label(key, version).id)
            return Response(PromptVersionSerializer(updated).data)

    TransitionApi.__name__ = f"{operation_id.title().replace('_', '')}Api"
    return TransitionApi


# Promotion (eval-gated) and its check are evals' APIs (evals/apis.py), on the same paths.
PromptVersionDeprecateApi = transition_api(services.prompt_version_deprecate, "prompt_version_deprecate")
PromptVersionRetireApi = transition_api(services.prompt_version_retire, "prompt_version_retire")
