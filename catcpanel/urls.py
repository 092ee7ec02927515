from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from catcpanel import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("auth/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("servers.urls")),
]

if settings.CATCPANEL_SANDBOX:
    urlpatterns.append(path("sandbox/", include("sandbox.urls")))
