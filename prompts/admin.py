"""Prompt registry admin: history, side-by-side comparison with the active version, and lifecycle
actions that call the services (refusals shown as messages). django-guardian decides which
staff may change the lifecycle of which prompts (permission `promote_prompt` on the prompt).
Eval-gated promotion and the gate panel are added by evals/admin.py, which re-registers
PromptVersion with a subclass: the registry itself knows nothing of evaluations."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join
from guardian.admin import GuardedModelAdminMixin
from simple_history.admin import SimpleHistoryAdmin

from melmastoon_ai.errors import ApplicationError
from prompts import services
from prompts.models import Prompt, PromptVersion
from prompts.rendering import PromptRenderError, render


@admin.register(Prompt)
class PromptAdmin(GuardedModelAdminMixin, SimpleHistoryAdmin):
    list_display = ("key", "domain", "active_version", "description")
    search_fields = ("key", "domain", "description")

    @admin.display(description="active")
    def active_version(self, obj):
        active = obj.versions.filter(status=PromptVersion.Status.ACTIVE).first()
        return active.version if active else "-"


def _sample_values(version: PromptVersion) -> dict[str, str]:
    capability = version.prompt.capabilities.first()
    example = capability.examples[0] if capability and capability.examples else {}
    samples = {
        "input_json": json.dumps(example, ensure_ascii=False),
        "locale": "en",
        "context": "(retrieved context)",
        "output_schema_json": json.dumps(capability.output_schema) if capability else "{}",
    }
    return {name: samples.get(name, f"<{name}>") for name in version.variables}


def _rendered(version: PromptVersion | None) -> tuple[str, str]:
    if version is None:
        return "(no active version)", ""
    try:
        rendered = render(
            system_template=version.system_template,
            user_template=version.user_template,
            variables=list(version.variables),
            values=_sample_values(version),
        )
    except PromptRenderError as exc:
        return f"(does not render: {exc})", ""
    return rendered.system, rendered.user


def lifecycle_action(service, verb: str):
    def action(modeladmin, request, queryset):
        for version in queryset.select_related("prompt"):
            if not request.user.has_perm("prompts.promote_prompt", version.prompt):
                modeladmin.message_user(
                    request, f"{version.label}: you may not {verb} versions of {version.prompt.key}.", messages.ERROR
                )
                continue
            try:
                service(version_id=version.id)
            except ApplicationError as exc:
                reasons = "; ".join(exc.details.get("reasons", [])) or exc.message
                modeladmin.message_user(request, f"{version.label}: {verb} refused: {reasons}", messages.ERROR)
            else:
                modeladmin.message_user(request, f"{version.label}: {verb} done.", messages.SUCCESS)

    action.__name__ = f"{verb.replace(' ', '_')}_selected"
    action.short_description = f"{verb.capitalize()} selected versions"
    return action


class PromptVersionForm(forms.ModelForm):
    """Drafts are checked by the same rules as the service before anything is saved."""

    class Meta:
        model = PromptVersion
        fields = ["prompt", "version", "system_template", "user_template", "variables", "model_parameters"]

    def clean(self):
        data = super().clean()
        if self.errors or (self.instance.pk and not services.draft_is_editable(self.instance)):
            return data
        try:
            services.check_new_draft(
                prompt=data["prompt"],
                version=data["version"],
                system_template=data["system_template"],
                user_template=data["user_template"],
                variables=list(data.get("variables") or []),
                replacing=self.instance if self.instance.pk else None,
            )
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from exc
        return data


@admin.register(PromptVersion)
class PromptVersionAdmin(SimpleHistoryAdmin):
    class Media:
        css = {"all": ["melmastoon/admin.css"]}  # classes instead of style attributes (CSP)

    form = PromptVersionForm
    list_display = ("prompt", "version", "status", "canary_percent", "created_at", "activated_at")
    list_filter = ("status", "prompt__domain")
    search_fields = ("prompt__key", "version", "system_template", "user_template")
    readonly_fields = (
        "status",
        "canary_percent",
        "canary_started_at",
        "activated_at",
        "deprecated_at",
        "retired_at",
        "side_by_side",
    )
    actions = [
        lifecycle_action(services.prompt_version_start_canary, "start canary"),
        lifecycle_action(services.prompt_version_stop_canary, "stop canary"),
        lifecycle_action(services.prompt_version_deprecate, "deprecate"),
        lifecycle_action(services.prompt_version_retire, "retire"),
    ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not services.draft_is_editable(obj):
            fields += ["prompt", "version", "system_template", "user_template", "variables", "model_parameters"]
        return fields

    def has_delete_permission(self, request, obj=None):
        # Released versions are the audit trail of what was served; only a draft may go.
        if obj is not None and obj.status != PromptVersion.Status.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # it would delete released versions in bulk
        return actions

    @admin.display(description="rendered, side by side with the active version")
    def side_by_side(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        active = obj.prompt.versions.filter(status=PromptVersion.Status.ACTIVE).exclude(pk=obj.pk).first()
        mine, theirs = _rendered(obj), _rendered(active)
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td><pre class='wrap'>{}</pre></td><td><pre class='wrap'>{}</pre></td></tr>",
            [("system", mine[0], theirs[0]), ("user", mine[1], theirs[1])],
        )
        header = f"active {active.version}" if active else "no other active version"
        return format_html(
            "<table><tr><th></th><th>this version ({})</th><th>{}</th></tr>{}</table>", obj.version, header, rows
        )

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = services.prompt_version_create_draft(
            prompt_key=obj.prompt.key,
            version=obj.version,
            system_template=obj.system_template,
            user_template=obj.user_template,
            variables=list(obj.variables),
            model_parameters=obj.model_parameters,
        )
        obj.pk = created.pk
