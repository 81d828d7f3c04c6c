from django.contrib import admin

from melmastoon_ai.outbox.models import OutboxEvent


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ("topic", "key", "tenant", "state", "attempts", "created_at", "published_at")
    list_filter = ("topic", ("published_at", admin.EmptyFieldListFilter), ("parked_at", admin.EmptyFieldListFilter))
    search_fields = ("topic", "key")
    readonly_fields = [field.name for field in OutboxEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
