"""Mounted at /sandbox/ only when settings.CATCPANEL_SANDBOX (see catcpanel/urls.py).

The API paths are the provider's own, `.php` and all, so that any client only needs a base URL.
"""

from django.urls import path

from sandbox import views

app_name = "sandbox"

urlpatterns = [
    path("api/v1/listservers.php", views.listservers, name="listservers"),
    path("api/v1/listtemplates.php", views.listtemplates, name="listtemplates"),
    path("api/v1/listtasks.php", views.listtasks, name="listtasks"),
    path("api/v1/powerop.php", views.powerop, name="powerop"),
    path("api/v1/renameserver.php", views.renameserver, name="renameserver"),
    path("api/v1/rdns.php", views.rdns, name="rdns"),
    path("api/v1/console.php", views.console, name="console"),
    path("api/v1/runmode.php", views.runmode, name="runmode"),
    path("api/v1/cloudpro/build.php", views.build, name="build"),
    path("api/v1/cloudpro/delete.php", views.delete, name="delete"),
    path("api/v1/cloudpro/resources.php", views.resources, name="resources"),
    path("console/<str:sid>/console.html", views.console_page, name="console-page"),
]
