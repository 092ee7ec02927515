"""Every URL of the project, made concrete, and the people who visit them.

The URL configuration is the list: a new URL is crawled without anyone adding it here. Parameters
are filled from the cast (an account, one of its servers); the rest get placeholder values that
the views reject (allauth's e-mail and password-reset keys, the admin's object ids).

Roles: `ROLES` maps a role name to a function making a signed-in test client for the cast: the
owner, and a manager, operator and viewer made members of the cast's account on first use (kept
in `cast.extra`); every crawl test runs for each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.security.identity import confirm_identity

# Test doubles and Django's own admin pages are not the panel's markup; the admin still gets the
# headers (CSP included) and CSRF checks like every other URL.
NOT_CRAWLED_NAMESPACES = {"sandbox"}
NOT_OURS_PREFIXES = ("/admin/",)

PLACEHOLDERS = {
    "key": "not-a-real-key",
    "uidb36": "0",
    "object_id": "1",
    "content_type_id": "1",
    "id": "1",
    "url": "missing/",
    "app_label": "servers",
    "membership_id": "1",
    "invitation_id": "1",
    "token": "not-a-real-token",
}


@dataclass
class Cast:
    """The people and things a crawl needs: the owner, their account and one of its servers."""

    owner: object
    account: object
    server_id: str
    extra: dict = field(default_factory=dict)


def _owner_client(cast: Cast, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(cast.owner)
    # Freshly signed in: the pages behind re-authentication render too.
    confirm_identity(client, cast.owner)
    return client


def _member_client(role: str) -> Callable[..., Client]:
    def make(cast: Cast, **kwargs) -> Client:
        from django.contrib.auth import get_user_model

        from servers.models import Membership

        person = cast.extra.get(role)
        if person is None:
            person = get_user_model().objects.create_user(username=f"crawl-{role}")
            Membership.objects.create(account=cast.account, user=person, role=role)
            cast.extra[role] = person
        client = Client(**kwargs)
        client.force_login(person)
        confirm_identity(client, person)
        return client

    return make


ROLES: dict[str, Callable[..., Client]] = {
    "owner": _owner_client,
    "manager": _member_client("manager"),
    "operator": _member_client("operator"),
    "viewer": _member_client("viewer"),
}


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"
    params: tuple[str, ...]


def routes() -> list[Route]:
    found: list[Route] = []

    def walk(patterns, namespace: str, inherited: tuple[str, ...]):
        for entry in patterns:
            params = inherited + _params_of(entry.pattern)
            if isinstance(entry, URLResolver):
                if entry.namespace in NOT_CRAWLED_NAMESPACES:
                    continue
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, inner, params)
            elif isinstance(entry, URLPattern) and entry.name:
                found.append(Route(f"{namespace}{entry.name}", params))

    walk(get_resolver().url_patterns, "", ())
    return sorted(set(found), key=lambda route: route.name)


def _params_of(pattern) -> tuple[str, ...]:
    converters = getattr(pattern, "converters", None)
    if converters:
        return tuple(converters)
    regex = getattr(pattern, "regex", None)
    return tuple(regex.groupindex) if regex is not None else ()


def concrete_urls(cast: Cast) -> list[str]:
    values = {**PLACEHOLDERS, "account_id": cast.account.pk, "server_id": cast.server_id}
    urls = set()
    for route in routes():
        kwargs = {name: values[name] for name in route.params}
        urls.add(reverse(route.name, kwargs=kwargs))
    return sorted(urls)


def is_ours(url: str) -> bool:
    return not url.startswith(NOT_OURS_PREFIXES)


class InlineCode(HTMLParser):
    """What a strict CSP would block or what an injection would need: inline script and style,
    event-handler attributes (htmx's hx-on too), javascript: addresses."""

    URL_ATTRIBUTES = {"href", "src", "action", "formaction", "hx-get", "hx-post", "data"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._inline_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "style":
                self.problems.append(f"<{tag} style=...>")
            if name.startswith(("on", "hx-on", "data-hx-on")):
                self.problems.append(f"<{tag} {name}=...>")
            if name in self.URL_ATTRIBUTES and (value or "").strip().lower().startswith(
                ("javascript:", "vbscript:")
            ):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "style":
            self.problems.append("<style>")
        if tag == "script":
            self._inline_script = "src" not in dict(attrs)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self._inline_script = False

    def handle_endtag(self, tag):
        if tag == "script":
            self._inline_script = False

    def handle_data(self, data):
        if self._inline_script and data.strip():
            self.problems.append(f"<script>{data.strip()[:40]}...</script>")


def inline_code(html: str) -> list[str]:
    finder = InlineCode()
    finder.feed(html)
    finder.close()
    return finder.problems
