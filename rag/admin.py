from django.contrib import admin

from rag.models import FaqEntry


@admin.register(FaqEntry)
class FaqEntryAdmin(admin.ModelAdmin):
    list_display = ("question", "locale", "tenant", "updated_at")
    list_filter = ("locale",)
    search_fields = ("question", "answer")
