from pathlib import Path

from django.contrib.staticfiles import finders
from django.db import connection
from django.http import FileResponse, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from servers import crypto


@require_safe
@never_cache
def healthz(request):
    """Liveness for load balancers and Docker: database round trips, no provider call.

    Accounts whose credentials cannot be decrypted (a wrong or lost key) do not make the panel
    unhealthy, since it serves everything else; the answer's detail names them.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    lines = ["ok"]
    if unreadable := crypto.unreadable_accounts():
        # Names, not ids: /healthz answers anyone, and an account's id is part of its URLs.
        names = ", ".join(account.name for account in unreadable)
        lines.append(f"unreadable credentials: {names}: {crypto.LOST_KEY_HINT}")
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


_FAVICON = Path(__file__).resolve().parent.parent / "static" / "catcpanel" / "favicon.ico"


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: answer it from the static file."""
    path = finders.find("catcpanel/favicon.ico") or _FAVICON
    response = FileResponse(open(path, "rb"), content_type="image/x-icon")  # noqa: SIM115 (FileResponse closes it)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
