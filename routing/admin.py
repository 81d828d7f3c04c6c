from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from melmastoon_ai.admin_site import AppendOnlyAdmin
from routing.breakers import CircuitBreakers
from routing.models import Model, ModelDeployment, Provider, RoutingDecision


@admin.register(Provider)
class ProviderAdmin(SimpleHistoryAdmin):
    list_display = ("kind", "display_name", "enabled", "data_regions", "circuit")
    list_filter = ("enabled",)

    @admin.display(description="circuit breaker")
    def circuit(self, obj):
        return "-" if obj.kind == "deterministic" else CircuitBreakers().state(obj.kind)


@admin.register(Model)
class ModelAdmin(SimpleHistoryAdmin):
    list_display = ("name", "provider", "modality", "cost_class", "latency_class", "input_price_per_million",
                    "output_price_per_million", "price_unit", "price_as_of", "enabled")
    list_filter = ("provider", "modality", "cost_class", "latency_class", "enabled")
    search_fields = ("name",)


@admin.register(ModelDeployment)
class ModelDeploymentAdmin(SimpleHistoryAdmin):
    list_display = ("model", "environment", "status", "endpoint_url", "last_health_status", "last_health_check_at")
    list_filter = ("environment", "status")
    search_fields = ("model__name", "endpoint_url")


@admin.register(RoutingDecision)
class RoutingDecisionAdmin(AppendOnlyAdmin):
    """Read-only: the log is append-only in the database too."""

    list_display = ("created_at", "capability", "provider", "model", "decision_ms", "tenant")
    list_filter = ("provider", "capability")
    search_fields = ("capability", "inference_id")
