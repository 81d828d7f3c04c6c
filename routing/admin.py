from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from melmastoon_ai.admin_site import AppendOnlyAdmin
from melmastoon_ai.errors import ApplicationError
from routing.breakers import CircuitBreakers
from routing.models import EmbeddingChain, Model, ModelDeployment, Provider, RoutingDecision
from routing.services import check_endpoint_url


@admin.register(Provider)
class ProviderAdmin(SimpleHistoryAdmin):
    list_display = ("kind", "display_name", "enabled", "data_regions", "circuit")
    list_filter = ("enabled",)

    @admin.display(description="circuit breaker")
    def circuit(self, obj):
        return "-" if obj.kind == "deterministic" else CircuitBreakers().state(obj.kind)


@admin.register(Model)
class ModelAdmin(SimpleHistoryAdmin):
    list_display = (
        "name",
        "provider",
        "modality",
        "cost_class",
        "latency_class",
        "input_price_per_million",
        "output_price_per_million",
        "price_unit",
        "price_as_of",
        "enabled",
    )
    list_filter = ("provider", "modality", "cost_class", "latency_class", "enabled")
    search_fields = ("name",)


@admin.register(EmbeddingChain)
class EmbeddingChainAdmin(SimpleHistoryAdmin):
    """The embedding chain, as a capability's fallback chain is edited: names of the registry's
    embedding models, ending with the in-process embedder (EmbeddingChain.clean)."""

    list_display = ("use", "chain", "updated_at")
    readonly_fields = ("updated_at",)


class ModelDeploymentForm(forms.ModelForm):
    """The same endpoint check as `manage.py registry register`: no loopback, private or metadata
    address unless MODEL_ENDPOINT_ALLOWED_HOSTS lists it."""

    endpoint_url = forms.URLField(max_length=500, assume_scheme="https")

    class Meta:
        model = ModelDeployment
        fields = ["model", "endpoint_url", "environment", "status", "last_health_check_at", "last_health_status"]

    def clean_endpoint_url(self):
        url = self.cleaned_data["endpoint_url"]
        try:
            check_endpoint_url(url)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message, code="unsafe_endpoint") from exc
        return url


@admin.register(ModelDeployment)
class ModelDeploymentAdmin(SimpleHistoryAdmin):
    form = ModelDeploymentForm
    list_display = ("model", "environment", "status", "endpoint_url", "last_health_status", "last_health_check_at")
    list_filter = ("environment", "status")
    search_fields = ("model__name", "endpoint_url")


@admin.register(RoutingDecision)
class RoutingDecisionAdmin(AppendOnlyAdmin):
    """Read-only: the log is append-only in the database too."""

    list_display = ("created_at", "capability", "provider", "model", "decision_ms", "tenant")
    list_filter = ("provider", "capability")
    search_fields = ("capability", "inference_id")
