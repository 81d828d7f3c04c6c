from django.urls import path

from capabilities.reporting import views

app_name = "console"

urlpatterns = [
    path("", views.usage, name="usage"),
    path("inferences/", views.inferences, name="inferences"),
    path("inferences/<uuid:inference_id>/", views.inference, name="inference"),
]
