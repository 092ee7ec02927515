"""The sandbox's endpoints: admit the call, run the rule, render it in the customer's shape.

Every view is csrf_exempt: the API is called by programs with a key, never by a signed-in browser.
"""

from functools import wraps
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from sandbox import services, shapes
from sandbox.gate import Admitted, admit, answer_after_latency


def endpoint(method: str):
    """Wrap a handler `(request, customer, params) -> dict` with the gate and error rendering."""

    def decorate(handler):
        @csrf_exempt
        @never_cache
        @answer_after_latency
        @wraps(handler)
        def view(request):
            admitted = admit(request, method)
            if not isinstance(admitted, Admitted):
                return admitted
            customer = admitted.customer
            try:
                result = handler(request, customer, admitted.params)
            except services.SandboxError as exc:
                return shapes.json_response(shapes.error(exc.code, exc.description), customer)
            if isinstance(result, HttpResponse):
                return result
            return shapes.json_response(result, customer)

        return view

    return decorate


@endpoint("GET")
def listservers(request, customer, params):
    now = timezone.now()
    rows = [(srv, services.usage(srv, now)) for srv in services.list_servers(customer)]
    return shapes.servers(customer, rows, customer.shape)


@endpoint("GET")
def listtemplates(request, customer, params):
    return shapes.templates(services.list_templates(customer), customer.shape)


@endpoint("GET")
def listtasks(request, customer, params):
    if customer.plain_text:
        return shapes.text_response(shapes.SQL_ERROR_LISTTASKS)
    return shapes.tasks(customer, services.list_tasks(customer), customer.shape)


@endpoint("POST")
def powerop(request, customer, params):
    task = services.power(customer, params.get("sid", ""), params.get("action", ""))
    return shapes.power_result(task, customer.shape)


@endpoint("POST")
def runmode(request, customer, params):
    return shapes.server_result(
        services.set_run_mode(customer, params.get("sid", ""), params.get("mode", ""))
    )


@endpoint("POST")
def renameserver(request, customer, params):
    return shapes.server_result(
        services.rename(customer, params.get("sid", ""), params.get("name", ""))
    )


@endpoint("POST")
def rdns(request, customer, params):
    return shapes.server_result(
        services.set_reverse_dns(customer, params.get("sid", ""), params.get("hostname", ""))
    )


@endpoint("POST")
def console(request, customer, params):
    if customer.empty_console:
        return HttpResponse(b"", content_type="text/html; charset=UTF-8")
    server, token = services.issue_console_token(customer, params.get("sid", ""))
    # The request's own host, so that the URL leads back to this sandbox wherever it runs.
    page = request.build_absolute_uri(reverse("sandbox:console-page", args=[server.sid]))
    query = urlencode(
        {
            "servername": server.servername,
            "hostname": server.ip,
            "sshkey": server.vncport,
            "sha1hash": token,
        }
    )
    return shapes.console_result(server, f"{page}?{query}")


@endpoint("POST")
def build(request, customer, params):
    task, server = services.build(
        customer,
        cpu=params.get("cpu"),
        ram=params.get("ram"),
        storage=params.get("storage"),
        os=params.get("os"),
        datacenter=params.get("datacenter"),
    )
    return shapes.build_result(task, server)


@endpoint("POST")
def delete(request, customer, params):
    if customer.plain_text:
        return shapes.text_response(shapes.SQL_ERROR_DELETE)
    return shapes.delete_result(services.delete(customer, params.get("sid", "")))


@endpoint("GET")
def resources(request, customer, params):
    return shapes.resources(services.resources(customer), customer.shape)


@require_safe
@never_cache
def console_page(request, sid):
    """The simulated screen behind a console URL: valid only with its live token."""
    server = services.console_server(sid, request.GET.get("sha1hash", ""))
    if server is None:
        response = render(request, "sandbox/console_denied.html", status=403)
    else:
        response = render(request, "sandbox/console.html", {"server": server})
    # The token rides in the URL: keep it out of Referer headers and shared caches.
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response
