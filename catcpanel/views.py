from pathlib import Path

from django.contrib.staticfiles import finders
from django.db import connection
from django.http import FileResponse, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@require_safe
@never_cache
def healthz(request):
    """Liveness for load balancers and Docker: one database round trip, no provider call."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse("ok", content_type="text/plain")


_FAVICON = Path(__file__).resolve().parent.parent / "static" / "catcpanel" / "favicon.ico"


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: answer it from the static file."""
    path = finders.find("catcpanel/favicon.ico") or _FAVICON
    response = FileResponse(open(path, "rb"), content_type="image/x-icon")  # noqa: SIM115 (FileResponse closes it)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
