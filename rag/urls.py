from django.urls import path

from rag import apis

urlpatterns = [
    path("corpora", apis.CorpusListApi.as_view(), name="rag-corpora"),
    path("corpora/<uuid:corpus_id>/documents", apis.DocumentUploadApi.as_view(), name="rag-documents"),
    path("documents/<uuid:document_id>", apis.DocumentDetailApi.as_view(), name="rag-document"),
    path("search", apis.SearchApi.as_view(), name="rag-search"),
]
