from django.urls import path

from melmastoon_ai.webhooks import apis

urlpatterns = [
    path("webhooks", apis.WebhookListApi.as_view(), name="webhooks"),
    path("webhooks/<uuid:endpoint_id>", apis.WebhookDetailApi.as_view(), name="webhook"),
    path("webhooks/<uuid:endpoint_id>/rotate-secret", apis.WebhookRotateSecretApi.as_view(), name="webhook-rotate"),
    path("webhooks/<uuid:endpoint_id>/deliveries", apis.WebhookDeliveryListApi.as_view(), name="webhook-deliveries"),
    path(
        "webhooks/<uuid:endpoint_id>/deliveries/<uuid:delivery_id>/redeliver",
        apis.WebhookRedeliverApi.as_view(),
        name="webhook-redeliver",
    ),
]
