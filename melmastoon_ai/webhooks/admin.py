from django import forms
from django.contrib import admin

from melmastoon_ai.errors import ApplicationError
from melmastoon_ai.outbound import UnsafeDestination
from melmastoon_ai.webhooks.models import WebhookDelivery, WebhookEndpoint
from melmastoon_ai.webhooks.services import check_event_types
from melmastoon_ai.webhooks.transport import destination_check


class WebhookEndpointForm(forms.ModelForm):
    """The admin API's checks: a URL retargeted here is refused where the API would refuse it."""

    class Meta:
        model = WebhookEndpoint
        fields = ("url", "event_types", "description", "active")

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            destination_check(url)
        except UnsafeDestination as exc:
            raise forms.ValidationError(exc.message) from exc
        return url

    def clean_event_types(self):
        try:
            return check_event_types(self.cleaned_data["event_types"])
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from exc


class DeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    fields = ("event_type", "event_id", "status", "attempts", "last_status_code", "last_error", "next_attempt_at")
    readonly_fields = fields
    ordering = ("-created_at",)
    extra = 0
    max_num = 0
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Endpoints are registered through the admin API, which shows the secret once; here they can
    be switched off or retargeted, and their latest deliveries seen."""

    form = WebhookEndpointForm

    list_display = ("url", "tenant", "active", "secret_hint", "created_at", "updated_at")
    list_filter = ("active",)
    search_fields = ("url", "tenant__name")
    readonly_fields = ("tenant", "secret_hint", "previous_secret_expires_at", "created_at", "updated_at")
    fields = (
        "tenant",
        "url",
        "event_types",
        "description",
        "active",
        "secret_hint",
        "previous_secret_expires_at",
        "created_at",
        "updated_at",
    )
    inlines = [DeliveryInline]

    def has_add_permission(self, request):
        return False

    def get_inline_instances(self, request, obj=None):
        return super().get_inline_instances(request, obj) if obj else []


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("event_type", "endpoint", "tenant", "status", "attempts", "last_status_code", "next_attempt_at")
    list_filter = ("status", "event_type")
    search_fields = ("event_id", "endpoint__url")
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]

    def has_add_permission(self, request):
        return False
