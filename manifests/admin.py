from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from manifests import services
from manifests.models import EdgeModel, EdgeModelManifest, SigningKeyVersion
from melmastoon_ai.admin_site import AppendOnlyAdmin
from melmastoon_ai.errors import ApplicationError


def _actor(request) -> str:
    return f"admin:{request.user.get_username()}"


@admin.register(EdgeModel)
class EdgeModelAdmin(SimpleHistoryAdmin):
    list_display = ("name", "version", "task", "runtime", "size", "sha256", "licence", "enabled", "created_at")
    list_filter = ("task", "enabled")
    readonly_fields = ("file", "size", "sha256", "assets", "created_at")
    actions = ["publish_manifest"]

    @admin.action(description="Sign and publish a new manifest listing every enabled model")
    def publish_manifest(self, request, queryset):
        try:
            manifest = services.manifest_publish(actor=_actor(request))
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(request, f"Published manifest {manifest.version}, signed by {manifest.key_version.name}.")


@admin.register(EdgeModelManifest)
class EdgeModelManifestAdmin(AppendOnlyAdmin):
    """Signed manifests are never edited: a change is a new manifest."""

    list_display = ("version", "status", "key_version", "published_at", "published_by", "body_sha256")
    list_filter = ("status",)


@admin.register(SigningKeyVersion)
class SigningKeyVersionAdmin(SimpleHistoryAdmin):
    list_display = ("name", "backend", "status", "created_at", "revoked_at", "revoked_reason")
    list_filter = ("backend", "status")
    readonly_fields = (
        "name",
        "backend",
        "algorithm",
        "public_key_pem",
        "status",
        "created_at",
        "revoked_at",
        "revoked_reason",
    )
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke (key compromise): its signatures stop verifying")
    def revoke(self, request, queryset):
        for key in queryset:
            services.signing_key_version_revoke(name=key.name, reason="revoked in admin", actor=_actor(request))
        self.message_user(request, f"Revoked {queryset.count()} key version(s); publish a manifest with a new key.")
