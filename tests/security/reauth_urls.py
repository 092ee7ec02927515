"""The project's URLs plus two stand-in dangerous views, for testing catcpanel/reauth.py alone."""

from django.http import HttpResponse
from django.urls import path

from catcpanel.reauth import reauthentication_required
from catcpanel.urls import urlpatterns as project_urlpatterns
from servers.htmx import signin_required


def dangerous(request):
    return HttpResponse(f"done by {request.method}")


urlpatterns = [
    path("test/dangerous/", signin_required(reauthentication_required(dangerous))),
    path(
        "test/dangerous-post/",
        signin_required(reauthentication_required(dangerous, on_get=False)),
    ),
    *project_urlpatterns,
]
