"""What stands between a request and an endpoint: method, key, the customer's switches.

The order follows the provider as its clients saw it: a missing key is refused before anything,
the per-customer faults (latency, maintenance, rate limit, random failures) hit whether or not the
key is right, and only then is the key compared.
"""

import random
import time
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

from sandbox import services, shapes
from sandbox.models import SandboxCustomer

MAX_LATENCY_MS = 60_000
DEFAULT_AUTH_ERROR_STATUS = 412  # what the live API answered (the docs say 403)


@dataclass
class Admitted:
    customer: SandboxCustomer
    params: dict


def request_params(request: HttpRequest) -> dict:
    """Form body over query string: some clients sent POST parameters only in the query string."""
    return {**request.GET.dict(), **request.POST.dict()}


def _auth_error(customer: SandboxCustomer | None, code: int, description: str) -> HttpResponse:
    status = customer.auth_error_status if customer else DEFAULT_AUTH_ERROR_STATUS
    return shapes.json_response(shapes.error(code, description), customer, status=status)


def admit(request: HttpRequest, method: str) -> Admitted | HttpResponse:
    """Return the authenticated customer and parameters, or the response that refuses the call."""
    if request.method != method:
        if method == "POST" and request.method == "GET":
            # The live console.php (and every POST endpoint, which read only the form body) knew
            # no key on a GET and said so: error 101, as clients recorded it.
            return _auth_error(None, 101, "missing api key")
        response = shapes.json_response(
            shapes.error(400, f"method not allowed, use {method}"), None, status=405
        )
        response["Allow"] = method
        return response

    params = request_params(request)
    api_key = params.get("key", "")
    login = params.get("login", "")
    if not api_key or not login:
        return _auth_error(services.find_customer(login), 101, "missing api key")

    customer = services.find_customer(login)
    if customer is None:
        return _auth_error(None, 104, "invalid ip address connection")

    if customer.latency_ms:
        time.sleep(min(customer.latency_ms, MAX_LATENCY_MS) / 1000)
    if customer.maintenance:
        return shapes.text_response(shapes.MAINTENANCE_NOTICE)
    if services.over_rate_limit(customer):
        return _simulated(shapes.text_response(shapes.RATE_LIMIT_NOTICE, status=503))
    if customer.fail_rate and random.random() < customer.fail_rate:
        failure = shapes.text_response(
            _failure_text(customer.fail_status), status=customer.fail_status
        )
        return _simulated(failure)

    # Wrong key and unknown IP were one error on the provider: it checked the pair together.
    if not services.key_matches(customer, api_key):
        return _auth_error(customer, 104, "invalid ip address connection")

    services.complete_due_tasks(customer)
    return Admitted(customer=customer, params=params)


def _simulated(response: HttpResponse) -> HttpResponse:
    """Mark a deliberate 5xx as already logged: Django would log it at ERROR, and an operator
    reading the panel's log would take a switched-on fault for a real one."""
    response._has_been_logged = True
    return response


def _failure_text(status: int) -> str:
    return "Service Unavailable" if status == 503 else "Internal Server Error"
