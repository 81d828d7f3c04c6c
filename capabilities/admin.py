import json

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from capabilities.models import Capability
from capabilities.reporting import admin as reporting_admin  # noqa: F401  (the inference browser, the dashboard)
from capabilities.services import SCHEMA_FIELDS, check_capability_definition
from melmastoon_ai.errors import ApplicationError
from prompts.models import SEMVER


class CapabilityForm(forms.ModelForm):
    class Meta:
        model = Capability
        fields = [
            "id",
            "version",
            "description",
            "prompt",
            "default_model",
            "offline_model",
            "auxiliary_models",
            "fallback_chain",
            "explanation_chain",
            "hitl_rule",
            "latency_target_ms",
            "cost_class",
            "cache_ttl_seconds",
            "allowed_providers",
            "input_schema",
            "output_schema",
            "examples",
            "output_type",
            "eval_suite_key",
            "max_output_tokens",
            "uses_rag",
            "phase",
            "enabled",
        ]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            check_capability_definition(
                default_model=data["default_model"].name,
                fallback_chain=list(data.get("fallback_chain") or []),
                hitl_rule=data.get("hitl_rule", ""),
                input_schema=data.get("input_schema") or {},
                output_schema=data.get("output_schema") or {},
                examples=data.get("examples") or [],
                allowed_providers=list(data.get("allowed_providers") or []),
                explanation_chain=list(data.get("explanation_chain") or []),
            )
        except ApplicationError as exc:
            raise forms.ValidationError(exc.details.get("problems") or exc.message) from exc
        if (
            self.instance.pk
            and any(data.get(field) != getattr(self.instance, field) for field in SCHEMA_FIELDS)
            and not _is_higher(data.get("version", ""), self.instance.version)
        ):
            raise forms.ValidationError("Changing a schema needs a higher capability version.")
        return data


def _is_higher(version: str, current: str) -> bool:
    """As `capability_update` decides; a malformed version is the version field's own error."""
    if not SEMVER.regex.fullmatch(version or ""):
        return True
    return _semver(version) > _semver(current)


def _semver(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


@admin.register(Capability)
class CapabilityAdmin(SimpleHistoryAdmin):
    class Media:
        css = {"all": ["melmastoon/admin.css"]}  # classes instead of style attributes (CSP)

    form = CapabilityForm
    list_display = (
        "id",
        "version",
        "phase",
        "default_model",
        "chain_display",
        "hitl_rule",
        "latency_target_ms",
        "cost_class",
        "cache_ttl_seconds",
        "enabled",
    )
    list_filter = ("phase", "cost_class", "enabled", "hitl_rule")
    search_fields = ("id", "description", "output_type")
    readonly_fields = ("schema_preview",)

    def get_readonly_fields(self, request, obj=None):
        # The id is the primary key: editing it would save a copy under the new id.
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "id") if obj is not None else fields

    @admin.display(description="fallback chain")
    def chain_display(self, obj):
        second = f" | explained by {' > '.join(obj.explanation_chain)}" if obj.explanation_chain else ""
        return " > ".join(obj.chain) + second

    @admin.display(description="schemas")
    def schema_preview(self, obj):
        return format_html(
            "<pre class='scroll'>{}</pre>",
            json.dumps({"input": obj.input_schema, "output": obj.output_schema}, indent=2),
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        messages.info(request, f"{obj.id} saved at version {obj.version}; caches refresh immediately.")
