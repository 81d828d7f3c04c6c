from django.urls import path

from melmastoon_ai.tenancy import apis

urlpatterns = [
    path("api-keys", apis.ApiKeyListApi.as_view(), name="api-keys"),
    path("api-keys/<uuid:key_id>/revoke", apis.ApiKeyRevokeApi.as_view(), name="api-key-revoke"),
]
