"""Evals in the platform admin: suites with JSONL import/export, golden cases, runs (started
here, progress, report page, resume), drift alerts (acknowledge); and, on the prompt registry's
version page, eval-gated promotion and the gate panel (PromptVersion re-registered)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from evals.models import DriftAlert, EvalRun, EvalSuite, GoldenCase
from evals.report import case_rows, comparison_run, metric_rows
from evals.services.drift import drift_acknowledge
from evals.services.golden import golden_export_lines, golden_import
from evals.services.promotion import check_promotion, prompt_version_promote
from evals.services.runs import eval_run_create, eval_run_enqueue
from melmastoon_ai.admin_site import AppendOnlyAdmin
from melmastoon_ai.errors import ApplicationError
from prompts.admin import PromptVersionAdmin, lifecycle_action
from prompts.models import PromptVersion


class GoldenImportForm(forms.Form):
    file = forms.FileField(help_text="a .jsonl file, UTF-8")
    replace = forms.BooleanField(required=False, help_text="disable this suite's cases missing from the file")


@admin.register(EvalSuite)
class EvalSuiteAdmin(SimpleHistoryAdmin):
    list_display = ("key", "capability_id", "case_count", "latest_run")
    search_fields = ("key", "capability_id")
    actions = ["export_jsonl", "start_runs"]
    readonly_fields = ("import_link",)

    @admin.display(description="golden cases")
    def import_link(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        return format_html(
            "<a href='{}'>import JSONL</a> ({} enabled cases; export: the list's action)",
            reverse("admin:evals_evalsuite_import", args=[obj.pk]),
            self.case_count(obj),
        )

    @admin.display(description="cases")
    def case_count(self, obj):
        return obj.cases.filter(enabled=True).count()

    @admin.display(description="latest run")
    def latest_run(self, obj):
        run = obj.runs.order_by("-created_at").first()
        if run is None:
            return "-"
        return format_html(
            "<a href='{}'>{} {}</a>", reverse("admin:evals_evalrun_report", args=[run.pk]), run.status, run.verdict
        )

    def get_urls(self):
        return [
            path("<int:suite_id>/import/", self.admin_site.admin_view(self.import_view), name="evals_evalsuite_import"),
            *super().get_urls(),
        ]

    def import_view(self, request, suite_id: int):
        suite = get_object_or_404(EvalSuite, pk=suite_id)
        if not self.has_change_permission(request, suite):
            return HttpResponseRedirect(reverse("admin:index"))
        form = GoldenImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            text = form.cleaned_data["file"].read().decode("utf-8", errors="replace")
            try:
                result = golden_import(suite=suite, lines=text.splitlines(), replace=form.cleaned_data["replace"])
            except ApplicationError as exc:
                problems = "; ".join(exc.details.get("problems", [])[:5])
                self.message_user(request, f"{exc.message}: {problems}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"{suite.key}: {result.created} created, {result.updated} updated, "
                    f"{result.unchanged} unchanged, {result.disabled} disabled",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:evals_evalsuite_change", args=[suite.pk]))
        context = {
            **self.admin_site.each_context(request),
            "suite": suite,
            "form": form,
            "title": f"Import golden cases into {suite.key}",
        }
        return TemplateResponse(request, "admin/evals/evalsuite/import.html", context)

    @admin.action(description="Export golden cases as JSONL")
    def export_jsonl(self, request, queryset):
        lines = [line for suite in queryset for line in golden_export_lines(suite=suite)]
        name = queryset.first().key if queryset.count() == 1 else "golden"
        response = HttpResponse("".join(f"{line}\n" for line in lines), content_type="application/jsonl")
        response["Content-Disposition"] = f'attachment; filename="{name}.jsonl"'
        return response

    @admin.action(description="Start an eval run of the active version")
    def start_runs(self, request, queryset):
        for suite in queryset:
            try:
                run = eval_run_create(suite_key=suite.key, started_by=f"admin:{request.user.get_username()}")
            except ApplicationError as exc:
                self.message_user(request, f"{suite.key}: {exc.message}", messages.ERROR)
            else:
                self.message_user(
                    request, f"{suite.key}: run {run.id} queued ({run.cases_total} cases).", messages.SUCCESS
                )


@admin.register(GoldenCase)
class GoldenCaseAdmin(SimpleHistoryAdmin):
    list_display = ("key", "suite", "locale", "tags", "weight", "enabled", "updated_at")
    list_filter = ("suite", "enabled", "locale")
    search_fields = ("key", "suite__key")


class EvalRunStartForm(forms.ModelForm):
    """Starting a run from admin: the suite, a version of its capability's prompt, a model."""

    class Meta:
        model = EvalRun
        fields = ["suite", "prompt_version", "model_name"]
        help_texts = {"prompt_version": "empty: the active version", "model_name": "empty: the capability's chain"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["prompt_version"].queryset = PromptVersion.objects.exclude(
            status=PromptVersion.Status.RETIRED
        ).select_related("prompt")
        self.fields["prompt_version"].required = False

    def clean(self):
        data = super().clean()
        suite, version = data.get("suite"), data.get("prompt_version")
        if suite is None:
            return data
        try:
            self.created = eval_run_create(
                suite_key=suite.key,
                prompt_version=version.version if version else None,
                model_name=data.get("model_name") or "",
                started_by=getattr(self, "actor", "admin"),
            )
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from exc
        return data


@admin.register(EvalRun)
class EvalRunAdmin(admin.ModelAdmin):
    list_display = (
        "suite",
        "prompt_version",
        "model_name",
        "purpose",
        "status",
        "progress",
        "verdict",
        "created_at",
        "report_link",
    )
    list_filter = ("status", "verdict", "purpose", "suite")
    search_fields = ("suite__key", "prompt_version__prompt__key")
    actions = ["resume_runs"]

    def get_urls(self):
        return [
            path("<uuid:run_id>/report/", self.admin_site.admin_view(self.report_view), name="evals_evalrun_report"),
            *super().get_urls(),
        ]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs.update(form=EvalRunStartForm, fields=EvalRunStartForm.Meta.fields)
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            form.actor = f"admin:{request.user.get_username()}"
        return form

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return [field.name for field in self.model._meta.fields] + ["progress", "report_link"]

    def save_model(self, request, obj, form, change):
        if not change:  # the form's clean() created (and queued) the run through the service
            obj.pk = form.created.pk
            return
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        return HttpResponseRedirect(reverse("admin:evals_evalrun_report", args=[obj.pk]))

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # runs are the record promotions were decided on

    @admin.display(description="progress")
    def progress(self, obj):
        return f"{obj.results.count()}/{obj.cases_total}"

    @admin.display(description="report")
    def report_link(self, obj):
        return format_html("<a href='{}'>report</a>", reverse("admin:evals_evalrun_report", args=[obj.pk]))

    @admin.action(description="Resume selected unfinished runs")
    def resume_runs(self, request, queryset):
        unfinished = queryset.filter(status__in=[EvalRun.Status.QUEUED, EvalRun.Status.RUNNING])
        for run in unfinished:
            eval_run_enqueue(run_id=str(run.id))
        self.message_user(request, f"{unfinished.count()} run(s) queued again; done cases are skipped.")

    def report_view(self, request, run_id):
        run = get_object_or_404(
            EvalRun.objects.select_related("suite", "prompt_version__prompt", "baseline"), pk=run_id
        )
        context = {
            **self.admin_site.each_context(request),
            "run": run,
            "metrics": metric_rows(run),
            "cases": case_rows(run),
            "done": run.results.count(),
            "other": comparison_run(run),
            "title": f"Eval report: {run.suite.key}, "
            f"{run.prompt_version.label if run.prompt_version else '(no prompt)'}"
            f"{' on ' + run.model_name if run.model_name else ''}",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/evals/evalrun/report.html", context)


@admin.register(DriftAlert)
class DriftAlertAdmin(AppendOnlyAdmin):
    list_display = (
        "detected_at",
        "suite",
        "kind",
        "metric",
        "baseline_value",
        "observed_value",
        "tolerance",
        "prompt_version",
        "acknowledged_at",
    )
    list_filter = ("kind", "suite", ("acknowledged_at", admin.EmptyFieldListFilter))
    actions = ["acknowledge"]

    def has_change_permission(self, request, obj=None):
        return obj is None and request.user.has_perm("evals.change_driftalert")

    @admin.action(description="Acknowledge selected alerts")
    def acknowledge(self, request, queryset):
        count = drift_acknowledge(
            alert_ids=list(queryset.values_list("id", flat=True)), actor=f"admin:{request.user.get_username()}"
        )
        self.message_user(request, f"{count} alert(s) acknowledged at {timezone.now():%Y-%m-%d %H:%M}.")


class GatedPromptVersionAdmin(PromptVersionAdmin):
    """The registry's version admin, with promotion through the eval gate and the gate's panel."""

    readonly_fields = (*PromptVersionAdmin.readonly_fields, "promotion_check")
    actions = [*PromptVersionAdmin.actions, lifecycle_action(prompt_version_promote, "promote")]

    @admin.display(description="promotion gate")
    def promotion_check(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        decision = check_promotion(obj)
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            [
                (row.metric, row.candidate, row.active, "ok" if row.ok else "REFUSED", row.reason)
                for row in decision.comparisons
            ],
        )
        reasons = format_html_join("", "<li>{}</li>", [(reason,) for reason in decision.reasons])
        compared = (("this version's", decision.candidate_run), ("the active version's", decision.active_run))
        runs = format_html_join(
            " ",
            "<a href='{}'>{} run report</a>",
            [
                (reverse("admin:evals_evalrun_report", args=[run.pk]), label)
                for label, run in compared
                if run is not None
            ],
        )
        return format_html(
            "<p><strong>{}</strong></p><ul>{}</ul><table><tr><th>metric</th><th>this version</th>"
            "<th>active</th><th></th><th>why</th></tr>{}</table><p>{}</p>",
            "may be promoted" if decision.allowed else "may not be promoted",
            reasons,
            rows,
            runs,
        )


admin.site.unregister(PromptVersion)
admin.site.register(PromptVersion, GatedPromptVersionAdmin)


def drift_home_panel(request) -> dict:
    """The admin home's drift panel: alerts nobody has acknowledged yet (registered in apps.py)."""
    open_alerts = DriftAlert.objects.filter(acknowledged_at__isnull=True)
    recent = open_alerts.filter(detected_at__gte=timezone.now() - dt.timedelta(days=7)).count()
    link = reverse("admin:evals_driftalert_changelist") + "?acknowledged_at__isempty=1"
    return {
        "title": "Drift alerts",
        "link": link,
        "tiles": [
            {"what": "unacknowledged", "figure": f"{open_alerts.count():,}"},
            {"what": "of them in the last 7 days", "figure": f"{recent:,}"},
        ],
    }
