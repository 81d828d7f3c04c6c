from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from routing.models import Model, ModelDeployment, Provider


@admin.register(Provider)
class ProviderAdmin(SimpleHistoryAdmin):
    list_display = ("kind", "display_name", "enabled", "data_regions")
    list_filter = ("enabled",)


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
