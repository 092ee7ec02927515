"""What an error page or an error report may show: never a key, a password or a provider's body.

Django hides the variables named by `sensitive_variables` and the POST fields named by
`sensitive_post_parameters` only when DEBUG is off; its technical 500 page (DEBUG=true, as under
`make run`) shows everything. Here the filter is always on, so the debug page and every report
(mail to the admins, an error tracker reading Django's filter) see the same stars.

Beyond what the code marks, any POST or query parameter whose name looks secret (key, password,
token...) is hidden too: allauth's re-authentication form and the sandbox's API (whose query string
carries the customer's key) are not ours to decorate.
"""

from __future__ import annotations

import inspect
import re
from urllib.parse import parse_qsl, urlencode

from django.http import HttpRequest
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

# Django's names for secret settings, and a login (Cloud at Cost's API takes it with the key).
SECRET_NAMES = re.compile("API|TOKEN|KEY|SECRET|PASS|SIGNATURE|COOKIE|LOGIN", flags=re.I)
GENERATOR_FLAGS = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR


class SecretsFilter(SafeExceptionReporterFilter):
    def is_active(self, request) -> bool:
        return True

    def get_traceback_frame_variables(self, request, tb_frame):
        # A generator that raised has left the stack: its frame no longer links to its caller, so
        # Django cannot find the caller's `sensitive_variables` (a generator expression walking a
        # provider's list, say). Such frames show no values at all.
        if tb_frame.f_code.co_flags & GENERATOR_FLAGS and not _called_from_a_marked_frame(tb_frame):
            return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]
        return super().get_traceback_frame_variables(request, tb_frame)

    def _secret_name(self, name: str) -> bool:
        return bool(SECRET_NAMES.search(name))

    def cleanse_special_types(self, request, value):
        if isinstance(value, HttpRequest):
            # Its repr carries the query string, secrets and all, into every frame it is in.
            query = value.META.get("QUERY_STRING", "")
            path = value.path + ("?" + self.cleansed_query(query) if query else "")
            return f"<{type(value).__name__}: {value.method} {path!r}>"
        return super().cleanse_special_types(request, value)

    def get_post_parameters(self, request):
        parameters = super().get_post_parameters(request)
        if request is None or not any(self._secret_name(name) for name in parameters):
            return parameters
        cleansed = parameters.copy()
        for name in cleansed:
            if self._secret_name(name):
                cleansed.setlist(name, [self.cleansed_substitute])
        return cleansed

    def cleansed_query(self, query: str) -> str:
        pairs = parse_qsl(query, keep_blank_values=True)
        return urlencode(
            [
                (name, self.cleansed_substitute if self._secret_name(name) else value)
                for name, value in pairs
            ],
            safe="*",
        )

    def get_safe_request_meta(self, request):
        meta = super().get_safe_request_meta(request)
        if meta.get("QUERY_STRING"):
            meta["QUERY_STRING"] = self.cleansed_query(meta["QUERY_STRING"])
        return meta


def _called_from_a_marked_frame(frame) -> bool:
    while frame is not None:
        if frame.f_code.co_name == "sensitive_variables_wrapper":
            return True
        frame = frame.f_back
    return False


class SecretsExceptionReporter(ExceptionReporter):
    """The query string's secret parameters hidden in the request's GET list and its URL."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        request = self.request
        if request is not None and request.GET and isinstance(self.filter, SecretsFilter):
            query = self.filter.cleansed_query(request.META.get("QUERY_STRING", ""))
            data["request_GET_items"] = parse_qsl(query, keep_blank_values=True)
            uri = data.get("request_insecure_uri", "")
            data["request_insecure_uri"] = uri.split("?", 1)[0] + "?" + query
        return data
