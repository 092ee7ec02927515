"""Two-factor sign-in: set up from the Security page, then a password alone is not enough."""

import io
import re

from allauth.mfa.models import Authenticator
from django.test import Client

from tests.sandbox_fixtures import USER_PASSWORD
from tests.security.crawl import inline_code
from tests.security.identity import confirm_identity, enable_totp, totp_code


def sign_in(client, password=USER_PASSWORD):
    return client.post("/auth/login/", {"login": "alice", "password": password})


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_security_page_is_in_the_nav_and_offers_an_authenticator_app(user):
    client = Client()
    client.force_login(user)
    home = client.get("/accounts/")
    assert b'href="/auth/2fa/"' in home.getvalue()
    page = client.get("/auth/2fa/")
    assert page.status_code == 200
    assert b'href="/auth/2fa/totp/activate/"' in page.content
    assert inline_code(page.text) == []


def test_setting_up_an_authenticator_app(user):
    client = Client()
    sign_in(client)
    confirm_identity(client, user)
    page = client.get("/auth/2fa/totp/activate/")
    assert page.status_code == 200
    assert b"data:image/svg+xml;base64," in page.content  # the QR code, allowed by img-src data:
    assert inline_code(page.text) == []
    secret = page.context["form"].secret

    wrong = client.post("/auth/2fa/totp/activate/", {"code": "000000"})
    assert wrong.status_code == 200
    assert not Authenticator.objects.filter(user=user).exists()

    done = client.post("/auth/2fa/totp/activate/", {"code": totp_code(secret)})
    assert done.status_code == 302
    assert set(Authenticator.objects.filter(user=user).values_list("type", flat=True)) == {
        "totp",
        "recovery_codes",
    }


def test_with_an_authenticator_app_a_password_alone_does_not_sign_in(user):
    secret, _ = enable_totp(user)
    client = Client()
    response = sign_in(client)
    assert response.status_code == 302
    assert response.url.startswith("/auth/2fa/authenticate/")
    assert not signed_in(client)
    # The panel is still closed.
    assert client.get("/accounts/").status_code == 302

    page = client.get("/auth/2fa/authenticate/")
    assert page.status_code == 200
    assert inline_code(page.text) == []
    assert client.post("/auth/2fa/authenticate/", {"code": "123456"}).status_code == 200
    assert not signed_in(client)

    response = client.post("/auth/2fa/authenticate/", {"code": totp_code(secret)})
    assert response.status_code == 302
    assert signed_in(client)


def test_a_recovery_code_signs_in_once(user):
    _, codes = enable_totp(user)
    first = Client()
    sign_in(first)
    assert first.post("/auth/2fa/authenticate/", {"code": codes[0]}).status_code == 302
    assert signed_in(first)

    second = Client()
    sign_in(second)
    second.post("/auth/2fa/authenticate/", {"code": codes[0]})
    assert not signed_in(second)


def test_the_two_factor_pages_of_a_user_with_it_on_have_no_inline_code(user):
    enable_totp(user)
    client = Client()
    client.force_login(user)
    confirm_identity(client, user)
    for url in (
        "/auth/2fa/",
        "/auth/2fa/totp/deactivate/",
        "/auth/2fa/recovery-codes/",
        "/auth/2fa/recovery-codes/generate/",
        "/auth/2fa/reauthenticate/",
        "/auth/reauthenticate/",
        "/auth/password/change/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert inline_code(response.text) == [], url
        assert "Content-Security-Policy" in response.headers


def test_wrong_codes_are_throttled(user):
    """allauth counts wrong codes per user in the shared cache, like sign-in failures."""
    secret, _ = enable_totp(user)
    client = Client()
    sign_in(client)
    for _ in range(5):
        client.post("/auth/2fa/authenticate/", {"code": "000000"})
    response = client.post("/auth/2fa/authenticate/", {"code": totp_code(secret)})
    body = response.content.decode()
    assert not signed_in(client)
    assert re.search(r"too many", body, re.IGNORECASE)


def test_two_factor_secrets_are_stored_encrypted(user):
    secret, codes = enable_totp(user)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM mfa_authenticator")
        stored = " ".join(str(row[0]) for row in cursor.fetchall())
    assert secret not in stored
    assert not any(code in stored for code in codes)
    assert "gAAAA" in stored  # Fernet tokens


def test_rotating_the_key_keeps_two_factor_working(user, settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    from servers import crypto

    secret, codes = enable_totp(user)
    old_key = settings.CATCPANEL_FERNET_KEYS[0]
    settings.CATCPANEL_FERNET_KEYS = [Fernet.generate_key().decode(), old_key]
    crypto._multifernet.cache_clear()
    out = io.StringIO()
    call_command("rotate_fernet_keys", stdout=out)
    assert "2 authenticator(s)" in out.getvalue()
    settings.CATCPANEL_FERNET_KEYS = settings.CATCPANEL_FERNET_KEYS[:1]
    crypto._multifernet.cache_clear()

    client = Client()
    sign_in(client)
    assert client.post("/auth/2fa/authenticate/", {"code": totp_code(secret)}).status_code == 302
    assert signed_in(client)
    other = Client()
    sign_in(other)
    other.post("/auth/2fa/authenticate/", {"code": codes[1]})
    assert signed_in(other)
