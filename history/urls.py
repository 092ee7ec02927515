from django.urls import path

from history import views

urlpatterns = [
    path(
        "accounts/<uuid:account_id>/notifications/",
        views.notification_settings,
        name="notification_settings",
    ),
]
