"""Corpora and documents in the Django admin (the platform's audited cross-tenant path). A
document is added by uploading its file: it goes through the same `document_submit` as the API
(media type, size, idempotency) and is ingested by the Celery task."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages

from melmastoon_ai.errors import ApplicationError
from rag import parsing
from rag.models import Chunk, Corpus, Document
from rag.services import document_submit


@admin.register(Corpus)
class CorpusAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "tenant", "embedding_version", "generation", "status", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("name",)
    readonly_fields = ("embedding_model", "embedding_version", "embedding_dim", "generation")


class DocumentUploadForm(forms.ModelForm):
    file = forms.FileField(help_text="Markdown, HTML, plain text or PDF")
    title = forms.CharField(
        max_length=500,
        required=False,
        help_text="default: the file's name; the same title in the same corpus is a new version of that document",
    )
    source_uri = forms.CharField(max_length=1000, required=False)
    language = forms.CharField(max_length=16, required=False, help_text="default: detected")

    class Meta:
        model = Document
        fields = ["corpus", "title", "source_uri", "language"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        media_type = parsing.media_type_of(upload.content_type or "", upload.name or "")
        if media_type not in parsing.SUPPORTED_MEDIA_TYPES or media_type == parsing.FAQ_MEDIA_TYPE:
            raise forms.ValidationError(f"{media_type or 'no media type'} is not supported")
        if upload.size > settings.RAG_MAX_DOCUMENT_BYTES:
            raise forms.ValidationError(f"the file is over {settings.RAG_MAX_DOCUMENT_BYTES} bytes")
        return upload


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ("title", "corpus", "media_type", "version", "status", "failure_reason", "updated_at")
    list_filter = ("status", "media_type")
    search_fields = ("title", "source_uri")
    readonly_fields = (
        "tenant",
        "corpus",
        "source_key",
        "media_type",
        "sha256",
        "version",
        "ingested_version",
        "status",
        "failure_reason",
        "attempts",
        "created_at",
        "updated_at",
    )
    exclude = ("content", "text")

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = DocumentUploadForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def get_exclude(self, request, obj=None):
        return self.exclude if obj is not None else ()

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["corpus", "file", "title", "source_uri", "language"]
        return super().get_fields(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        upload = form.cleaned_data["file"]
        corpus = form.cleaned_data["corpus"]
        title = form.cleaned_data.get("title") or upload.name
        try:
            submitted = document_submit(
                tenant=corpus.tenant,
                corpus=corpus,
                data=upload.read(),
                media_type=parsing.media_type_of(upload.content_type or "", upload.name or ""),
                title=title,
                source_key=title,
                source_uri=form.cleaned_data.get("source_uri") or "",
                language=form.cleaned_data.get("language") or "",
            )
        except ApplicationError as exc:  # an empty file: nothing was written
            self.message_user(request, str(exc), messages.ERROR)
            return
        obj.pk = submitted.document.pk
        form.instance = submitted.document


@admin.register(Chunk)
class ChunkAdmin(admin.ModelAdmin):
    list_display = ("document", "ordinal", "heading", "token_count", "language")
    search_fields = ("text",)
    exclude = ("embedding", "search_vector")
    readonly_fields = (
        "tenant",
        "corpus",
        "document",
        "generation",
        "ordinal",
        "heading",
        "text",
        "token_count",
        "char_start",
        "char_end",
        "language",
        "embedding_dim",
    )

    def has_add_permission(self, request):
        return False
