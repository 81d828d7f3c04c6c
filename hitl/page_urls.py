from django.contrib.auth import views as auth_views
from django.urls import path

from hitl import views

app_name = "hitl"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("login/", views.ReviewerLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="hitl:login"), name="logout"),
    path("gates/<uuid:gate_id>/", views.gate_page, name="gate"),
]
