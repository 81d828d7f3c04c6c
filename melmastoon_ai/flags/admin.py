"""The flags admin page: one row per (flag, tenant or global), saved through the service so that
every process sees the change at once (the cache's generation is bumped) and it is audited."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from melmastoon_ai.flags.models import FeatureFlag
from melmastoon_ai.flags.registry import registered_flags
from melmastoon_ai.flags.services import feature_flag_clear, feature_flag_set


class FeatureFlagForm(forms.ModelForm):
    key = forms.ChoiceField(choices=())

    class Meta:
        model = FeatureFlag
        fields = ("key", "tenant", "enabled", "note")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key"].choices = [
            (flag.key, f"{flag.key}: {flag.description} (default {'on' if flag.default else 'off'})")
            for flag in registered_flags()
        ]


@admin.register(FeatureFlag)
class FeatureFlagAdmin(admin.ModelAdmin):
    form = FeatureFlagForm
    list_display = ("key", "scope", "enabled", "note", "updated_at", "updated_by")
    list_filter = ("key", "enabled", ("tenant", admin.EmptyFieldListFilter))
    search_fields = ("key", "note", "tenant__name")
    readonly_fields = ("updated_at", "updated_by")

    @admin.display(description="applies to")
    def scope(self, flag: FeatureFlag) -> str:
        return flag.tenant.name if flag.tenant_id else "every tenant (global)"

    def save_model(self, request, obj, form, change):
        if change and {"key", "tenant"} & set(form.changed_data):
            feature_flag_clear(key=form.initial["key"], tenant_id=form.initial.get("tenant"), actor=_actor(request))
        saved = feature_flag_set(
            key=obj.key, tenant_id=obj.tenant_id, enabled=obj.enabled, note=obj.note, actor=_actor(request)
        )
        obj.pk, obj.updated_at, obj.updated_by = saved.pk, saved.updated_at, saved.updated_by

    def delete_model(self, request, obj):
        feature_flag_clear(key=obj.key, tenant_id=obj.tenant_id, actor=_actor(request))

    def delete_queryset(self, request, queryset):
        for flag in queryset:
            self.delete_model(request, flag)


def _actor(request) -> str:
    return f"admin:{request.user.get_username()}"
