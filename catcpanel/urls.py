from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from catcpanel import views

# The admin has no sign-in of its own: it sends people to the panel's, so that sign-in throttling
# and two-factor codes protect it the same way (SECURITY.md).
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    # allauth mounts two-factor setup (auth/2fa/) itself once allauth.mfa is installed.
    path("auth/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("history.urls")),
    path("", include("servers.urls")),
]

if settings.CATCPANEL_SANDBOX:
    urlpatterns.append(path("sandbox/", include("sandbox.urls")))
