"""An error deep in code that holds a provider's body, an API key or a password shows none of them:
not on Django's technical 500 page (DEBUG=true, as under `make run`), not in the report mailed to
the admins or read by an error tracker (catcpanel/error_reports.py and the `sensitive_variables`
marks along the way).

The failures are real requests through the real handler, to the sandbox over HTTP, holding canary
passwords and a canary key; only the bug itself is planted (a parsing helper that raises).
"""

import logging
import secrets
from urllib.parse import urlencode

import pytest
from cryptography.fernet import Fernet
from django.test import Client
from django.urls import reverse
from django.views.debug import ExceptionReporter

from sandbox.models import SandboxServer
from servers import crypto, selectors
from servers.cac import client as cac_client
from servers.cac import models as cac_models
from tests.security.identity import confirm_identity

pytestmark = pytest.mark.django_db(transaction=True)

CANARY_KEY = "CanaryKey" + secrets.token_hex(16)
CANARY_LOGIN = f"canary{secrets.token_hex(4)}@example.com"
CANARY_ROOT = "CanaryRoot" + secrets.token_hex(8)
CANARY_VNC = "CanaryVnc" + secrets.token_hex(8)
CANARY_FERNET = Fernet.generate_key().decode()
CANARIES = (CANARY_KEY, CANARY_LOGIN, CANARY_ROOT, CANARY_VNC, CANARY_FERNET)


class PlantedBug(RuntimeError):
    pass


def planted_bug(*args, **kwargs):
    raise PlantedBug("a bug deep in parsing the provider's answer")


@pytest.fixture
def planted(cac_account, sandbox_customer, settings):
    settings.DEBUG = True
    sandbox_customer.api_key = CANARY_KEY
    sandbox_customer.login = CANARY_LOGIN
    sandbox_customer.save()
    SandboxServer.objects.filter(customer=sandbox_customer).update(
        rootpass=CANARY_ROOT, vncpass=CANARY_VNC
    )
    cac_account.set_credentials(login=CANARY_LOGIN, api_key=CANARY_KEY)
    cac_account.save()
    return cac_account


@pytest.fixture
def owner(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    confirm_identity(client, user)
    return client


def leaks(text: str) -> list[str]:
    return [canary[:14] for canary in CANARIES if canary in text]


def mailed_report(caplog) -> str:
    """The report AdminEmailHandler would send for the logged 500, from its real traceback."""
    [record] = [r for r in caplog.records if r.name == "django.request" and r.exc_info]
    request = getattr(record, "request", None)
    reporter = ExceptionReporter(request, *record.exc_info, is_email=True)
    return reporter.get_traceback_text() + reporter.get_traceback_html()


def assert_a_debug_page_without_secrets(response, caplog, *frames):
    page = response.content.decode()
    assert response.status_code == 500
    # The real technical page, with the frames where the secrets were, and their variables hidden.
    assert "Traceback" in page and "Local vars" in page
    for frame in frames:
        assert frame in page
    assert "********************" in page
    assert leaks(page) == []
    assert leaks(mailed_report(caplog)) == []


def test_a_bug_parsing_the_server_list_shows_no_password(planted, owner, monkeypatch, caplog):
    caplog.set_level(logging.ERROR)
    monkeypatch.setattr(cac_models, "integer", planted_bug)
    response = owner.get(reverse("account_servers", args=[planted.pk]))
    assert_a_debug_page_without_secrets(response, caplog, "from_api", "PlantedBug")


def test_a_bug_reading_a_console_address_shows_no_address(planted, owner, monkeypatch, caplog):
    caplog.set_level(logging.ERROR)
    server = selectors.servers_for(planted).data[0]
    monkeypatch.setattr(cac_client, "urlsplit", planted_bug)
    response = owner.post(reverse("console", args=[planted.pk, server.id]))
    assert_a_debug_page_without_secrets(response, caplog, "console_url", "PlantedBug")
    # The sandbox's console address: its page, and the one-time token in its query string.
    for text in (response.content.decode(), mailed_report(caplog)):
        assert "console.html" not in text and "sha1hash" not in text


def test_a_bug_parsing_revealed_passwords_shows_none(planted, owner, monkeypatch, caplog):
    caplog.set_level(logging.ERROR)
    server = selectors.servers_for(planted).data[0]  # the list is cached: only secrets are parsed
    monkeypatch.setattr(cac_models, "text", planted_bug)
    response = owner.post(reverse("reveal_passwords", args=[planted.pk, server.id]))
    assert_a_debug_page_without_secrets(
        response, caplog, "reveal_passwords", "server_secrets", "PlantedBug"
    )


def test_a_bug_storing_a_new_account_shows_neither_its_key_nor_the_encryption_keys(
    planted, owner, settings, caplog, sandbox_api_url, monkeypatch
):
    caplog.set_level(logging.ERROR)
    # The encryption keys are read as the new account is stored, and that trips.
    settings.CATCPANEL_FERNET_KEYS = [CANARY_FERNET]
    crypto._multifernet.cache_clear()
    monkeypatch.setattr(crypto, "Fernet", planted_bug)
    response = owner.post(
        reverse("account_add"),
        {
            "name": "Leaky",
            "login": CANARY_LOGIN,
            "api_key": CANARY_KEY,
            "base_url": sandbox_api_url,
        },
    )
    assert_a_debug_page_without_secrets(response, caplog, "account_add", "_multifernet")


def test_a_secret_looking_query_parameter_is_hidden_from_the_page(planted, owner, monkeypatch):
    """The sandbox's API carries the customer's key in the query string, as Cloud at Cost's does."""
    server = selectors.servers_for(planted).data[0]
    monkeypatch.setattr(cac_client, "urlsplit", planted_bug)
    url = reverse("console", args=[planted.pk, server.id])
    query = urlencode({"key": CANARY_KEY, "login": CANARY_LOGIN, "page": "2"})
    response = owner.post(f"{url}?{query}")
    page = response.content.decode()
    assert response.status_code == 500 and "page=2" in page
    assert leaks(page) == []
