from django.urls import path

from privacy import apis

urlpatterns = [
    path("erasures", apis.ErasureListApi.as_view(), name="privacy-erasures"),
    path("erasures/<str:erasure_id>", apis.ErasureDetailApi.as_view(), name="privacy-erasure"),
]
