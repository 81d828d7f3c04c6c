from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from evals.models import EvalRun, EvalSuite


@admin.register(EvalSuite)
class EvalSuiteAdmin(SimpleHistoryAdmin):
    list_display = ("key", "capability_id")
    search_fields = ("key", "capability_id")


@admin.register(EvalRun)
class EvalRunAdmin(admin.ModelAdmin):
    list_display = ("suite", "prompt_version", "model_name", "status", "verdict", "created_at", "finished_at")
    list_filter = ("status", "verdict", "suite")
    search_fields = ("suite__key", "prompt_version__prompt__key")
