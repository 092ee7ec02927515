"""Every URL, crawled as every role: security headers on each answer, no inline script or style
in any page, CSRF enforced on every POST."""

import pytest
from django.test import Client

from tests.security.crawl import ROLES, concrete_urls, inline_code, is_ours

pytestmark = pytest.mark.django_db(transaction=True)

HTMX = {"HTTP_HX_REQUEST": "true"}


def headers_problems(url, response) -> list[str]:
    problems = []
    policy = response.headers.get("Content-Security-Policy", "")
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
    ):
        if directive not in policy:
            problems.append(f"{url}: CSP lacks {directive!r} ({policy!r})")
    if "unsafe-inline" in policy or "unsafe-eval" in policy:
        problems.append(f"{url}: CSP allows unsafe-inline or unsafe-eval")
    expected = {
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    for name, value in expected.items():
        if response.headers.get(name) != value and not (
            # The console's redirect sends no referrer at all, stricter than same-origin.
            name == "Referrer-Policy" and response.headers.get(name) == "no-referrer"
        ):
            problems.append(f"{url}: {name} is {response.headers.get(name)!r}")
    return problems


def crawl(client, urls, **extra):
    for url in urls:
        yield url, client.get(url, **extra)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_answer_has_the_security_headers(cast, role):
    urls = concrete_urls(cast)
    assert len(urls) > 40  # the panel, allauth's pages, the admin
    problems = []
    for client in (ROLES[role](cast), Client()):
        for url, response in crawl(client, urls):
            problems += headers_problems(url, response)
        for url, response in crawl(client, [u for u in urls if is_ours(u)], **HTMX):
            problems += headers_problems(f"{url} (htmx)", response)
    assert problems == []


@pytest.mark.parametrize("role", sorted(ROLES))
def test_no_page_has_inline_script_or_style(cast, role):
    urls = [url for url in concrete_urls(cast) if is_ours(url)]
    problems = []
    rendered = 0
    for client in (ROLES[role](cast), Client()):
        for extra in ({}, HTMX):
            for url, response in crawl(client, urls, **extra):
                if "html" not in response.headers.get("Content-Type", ""):
                    continue
                rendered += 1
                problems += [
                    f"{url}: {problem}" for problem in inline_code(response.getvalue().decode())
                ]
    assert rendered > 30
    assert problems == []


def test_the_inline_finder_finds_what_it_looks_for():
    assert inline_code('<script src="/static/x.js"></script><p class="a">x</p>') == []
    assert inline_code("<script>alert(1)</script>")
    assert inline_code('<div style="color: red">')
    assert inline_code("<style>p{}</style>")
    assert inline_code('<button onclick="x()">')
    assert inline_code('<button hx-on:click="x()">')
    assert inline_code('<a href=" JavaScript:alert(1)">')


@pytest.mark.parametrize("role", sorted(ROLES))
def test_csrf_is_enforced_on_every_post(cast, role):
    signed_in = ROLES[role](cast, enforce_csrf_checks=True)
    anonymous = Client(enforce_csrf_checks=True)
    refused = []
    for url in concrete_urls(cast):
        for client in (signed_in, anonymous):
            response = client.post(url, {"action": "poweroff"})
            if response.status_code != 403:
                refused.append(f"{url}: {response.status_code}")
            htmx = client.post(url, {"action": "poweroff"}, **HTMX)
            if htmx.status_code != 403:
                refused.append(f"{url} (htmx): {htmx.status_code}")
    assert refused == []
    # Nothing was done: no action reached the log.
    from servers.models import ActionLog

    assert not ActionLog.objects.exists()


def test_the_admin_works_under_the_same_policy(cast, django_user_model):
    """The admin is Django's own markup, but served under the panel's CSP: for a staff user, its
    pages must not need inline script or style either, or it would break."""
    root = django_user_model.objects.create_superuser("root", "root@example.org", "x" * 20)
    client = Client()
    client.force_login(root)
    admin_urls = [url for url in concrete_urls(cast) if not is_ours(url)]
    problems, rendered = [], 0
    for url, response in crawl(client, admin_urls):
        problems += headers_problems(url, response)
        if response.status_code == 200 and "html" in response.headers.get("Content-Type", ""):
            rendered += 1
            problems += [
                f"{url}: {problem}" for problem in inline_code(response.getvalue().decode())
            ]
    assert rendered > 15
    assert problems == []
