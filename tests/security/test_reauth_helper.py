"""catcpanel/reauth.py on stand-in views: demanded without a recent confirmation, honoured with
one (a sign-in, the password page, a two-factor code), for plain and htmx requests."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from tests.sandbox_fixtures import USER_PASSWORD
from tests.security.identity import confirm_identity, enable_totp, totp_code

pytestmark = pytest.mark.urls("tests.security.reauth_urls")

HTMX = {"HTTP_HX_REQUEST": "true"}
TIMEOUT = 300


@pytest.fixture(autouse=True)
def _timeout(settings):
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = TIMEOUT


@pytest.fixture
def owner(user):
    client = Client()
    client.force_login(user)  # a session with no record of how it signed in
    return client


def next_of(url: str) -> str:
    parts = urlsplit(url)
    assert parts.path == "/auth/reauthenticate/", url
    return parse_qs(parts.query)["next"][0]


def test_a_session_without_a_recent_confirmation_is_sent_to_confirm(owner):
    response = owner.get("/test/dangerous/?x=1")
    assert response.status_code == 302
    assert next_of(response.url) == "/test/dangerous/?x=1"


def test_a_plain_post_returns_to_the_page_it_came_from_and_is_not_stashed(owner):
    response = owner.post(
        "/test/dangerous/",
        {"api_key": "CANARY-never-stored"},
        HTTP_REFERER="http://testserver/accounts/?page=2",
    )
    assert response.status_code == 302
    assert next_of(response.url) == "/accounts/?page=2"
    session = dict(owner.session.items())
    assert "account_reauthentication_state" not in session
    assert "CANARY-never-stored" not in repr(session)


def test_an_htmx_post_gets_hx_redirect_back_to_its_page(owner):
    response = owner.post(
        "/test/dangerous/",
        HTTP_HX_CURRENT_URL="http://testserver/accounts/abc/cloudpro/",
        **HTMX,
    )
    assert response.status_code == 204
    assert response.content == b""
    assert next_of(response.headers["HX-Redirect"]) == "/accounts/abc/cloudpro/"


@pytest.mark.parametrize(
    "current",
    ["https://evil.example/steal", "//evil.example/steal", "javascript:alert(1)", ""],
)
def test_a_foreign_return_page_becomes_the_home_page(owner, current):
    response = owner.post("/test/dangerous/", HTTP_HX_CURRENT_URL=current, **HTMX)
    assert next_of(response.headers["HX-Redirect"]) == "/"
    response = owner.post("/test/dangerous/", HTTP_REFERER=current)
    assert next_of(response.url) == "/"


def test_confirming_with_the_password_is_honoured_until_the_timeout(owner, user):
    response = owner.post(
        "/auth/reauthenticate/", {"password": USER_PASSWORD, "next": "/test/dangerous/"}
    )
    assert response.status_code == 302
    assert response.url == "/test/dangerous/"
    assert owner.get("/test/dangerous/").content == b"done by GET"
    assert owner.post("/test/dangerous/", **HTMX).content == b"done by POST"


def test_a_wrong_password_confirms_nothing(owner):
    response = owner.post(
        "/auth/reauthenticate/", {"password": "not it", "next": "/test/dangerous/"}
    )
    assert response.status_code == 200
    assert owner.get("/test/dangerous/").status_code == 302


def test_a_confirmation_older_than_the_timeout_is_not_enough(owner, user):
    confirm_identity(owner, user, seconds_ago=TIMEOUT + 1)
    assert owner.get("/test/dangerous/").status_code == 302
    confirm_identity(owner, user, seconds_ago=TIMEOUT - 30)
    assert owner.get("/test/dangerous/").status_code == 200


def test_signing_in_with_the_password_counts_as_a_confirmation(user):
    client = Client()
    response = client.post("/auth/login/", {"login": "alice", "password": USER_PASSWORD})
    assert response.status_code == 302
    assert client.get("/test/dangerous/").content == b"done by GET"


def test_with_two_factor_on_a_code_confirms_too(owner, user):
    secret, _ = enable_totp(user)
    response = owner.get("/test/dangerous/")
    # The password comes first; the page offers the authenticator app as the alternative.
    page = owner.get(response.url)
    assert b"/auth/2fa/reauthenticate/" in page.content
    response = owner.post(
        "/auth/2fa/reauthenticate/?next=/test/dangerous/",
        {"code": totp_code(secret), "next": "/test/dangerous/"},
    )
    assert response.status_code == 302, response.content
    assert owner.get("/test/dangerous/").status_code == 200


def test_on_get_false_lets_the_form_show_and_guards_the_post(owner):
    assert owner.get("/test/dangerous-post/").status_code == 200
    assert owner.post("/test/dangerous-post/").status_code == 302


def test_anonymous_visitors_are_sent_to_sign_in_first():
    response = Client().get("/test/dangerous/")
    assert response.status_code == 302
    assert response.url.startswith("/auth/login/")
