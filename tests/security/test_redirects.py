"""The sign-in `next` parameter, and htmx's HX-Current-URL, never lead off-site."""

import pytest
from django.test import Client

from tests.sandbox_fixtures import USER_PASSWORD

OFF_SITE = [
    "https://evil.example/",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://testserver@evil.example/",
    " https://evil.example/",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_sign_in_never_redirects_off_site(user, target):
    client = Client()
    page = client.get("/auth/login/", {"next": target})
    assert page.status_code == 200
    response = client.post(
        "/auth/login/", {"login": "alice", "password": USER_PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response.url == "/"


def test_sign_in_follows_a_local_next(user):
    client = Client()
    response = client.post(
        "/auth/login/",
        {"login": "alice", "password": USER_PASSWORD, "next": "/accounts/?page=2"},
    )
    assert response.url == "/accounts/?page=2"


@pytest.mark.parametrize("target", OFF_SITE)
def test_re_authentication_never_redirects_off_site(user, target):
    client = Client()
    client.force_login(user)
    response = client.post("/auth/reauthenticate/", {"password": USER_PASSWORD, "next": target})
    assert response.status_code == 302
    assert not response.url.startswith(("http", "//", "/\\", "\\", "javascript", "data"))


def test_an_htmx_sign_in_redirect_keeps_only_the_local_path(user):
    """An expired session's htmx request is sent to sign in with `next` = the page's path; a
    forged HX-Current-URL on another host cannot make that an off-site address after sign-in."""
    client = Client()
    response = client.get(
        "/accounts/",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="https://evil.example//evil.example/x",
    )
    login_url = response.headers["HX-Redirect"]
    assert login_url.startswith("/auth/login/?next=")
    follow = client.post(login_url, {"login": "alice", "password": USER_PASSWORD}, follow=False)
    assert follow.status_code == 302
    assert follow.url == "/", follow.url
