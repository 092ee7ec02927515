"""What stands between a request and an endpoint: parameters, key, the customer's switches.

Each endpoint reads its parameters from one place, whatever the request's method, as the
provider's PHP did: the four list endpoints (GET in the reference) read the query string, the seven
actions (POST) read the form body. So a GET of `console.php` and a POST of an action with its
parameters only in the query string both carry no key (error 101, as cloudatcost/api#47 and #33
recorded), and so does a POST to a list endpoint with the key only in its body.

The order follows the provider as its clients saw it: a missing key is refused before anything,
the per-customer faults (latency, maintenance, rate limit, random failures) hit whether or not the
key is right, and only then is the key compared.
"""

import random
import time
from dataclasses import dataclass
from functools import wraps

from django.http import HttpRequest, HttpResponse

from sandbox import services, shapes
from sandbox.models import SandboxCustomer

MAX_LATENCY_MS = 60_000


@dataclass
class Admitted:
    customer: SandboxCustomer
    params: dict


def request_params(request: HttpRequest, method: str) -> dict:
    """The endpoint's own parameters: the query string for a GET endpoint, else the form body."""
    return (request.GET if method == "GET" else request.POST).dict()


def _addressee(request: HttpRequest, params: dict) -> SandboxCustomer | None:
    """The customer a refused call was meant for, to answer in that customer's shape.

    Only the shape of the refusal depends on it: a login sent where the endpoint does not read it
    still authenticates nothing.
    """
    login = params.get("login") or request.GET.get("login") or request.POST.get("login") or ""
    return services.find_customer(login)


def _auth_error(customer: SandboxCustomer | None, code: int, description: str) -> HttpResponse:
    status = shapes.auth_error_status(customer)
    return shapes.json_response(shapes.error(code, description), customer, status=status)


def admit(request: HttpRequest, method: str) -> Admitted | HttpResponse:
    """Return the authenticated customer and parameters, or the response that refuses the call."""
    params = request_params(request, method)
    api_key = params.get("key", "")
    login = params.get("login", "")
    if not api_key or not login:
        return _auth_error(_addressee(request, params), 101, "missing api key")

    customer = services.find_customer(login)
    if customer is None:
        return _auth_error(None, 104, "invalid ip address connection")

    # Kept by `answer_after_latency`, once the answer is made (the checks below included).
    request.sandbox_latency_ms = min(customer.latency_ms, MAX_LATENCY_MS)
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


def answer_after_latency(view):
    """The answer leaves the customer's `latency_ms` after the call came in, not that long plus
    the time the sandbox took to make it: the provider did its work on its own host, within its
    round trip. The sandbox shares the panel's machine (in the demo, its gunicorn too), which
    would otherwise pay for the sandbox's work on top of the latency it stands for."""

    @wraps(view)
    def timed(request, *args, **kwargs):
        started = time.monotonic()
        response = view(request, *args, **kwargs)
        latency_ms = getattr(request, "sandbox_latency_ms", 0)
        if latency_ms and (left := started + latency_ms / 1000 - time.monotonic()) > 0:
            time.sleep(left)
        return response

    return timed


def _simulated(response: HttpResponse) -> HttpResponse:
    """Mark a deliberate 5xx as already logged: Django would log it at ERROR, and an operator
    reading the panel's log would take a switched-on fault for a real one."""
    response._has_been_logged = True
    return response


def _failure_text(status: int) -> str:
    # The provider's 503 is its rate limit ("503 Rate limit hit" in its docs): said the same way
    # as the per-minute limit, so that the panel tells it apart from other 503s as it must.
    return shapes.RATE_LIMIT_NOTICE if status == 503 else "Internal Server Error"
