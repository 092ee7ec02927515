"""A canary API key and a canary root password, planted where they really live (the account's
encrypted credentials, the provider's records), never come out: not in a response body or header,
a log record, a raw database column, the session or the cache, across every page as every role."""

import logging
import pickle
import secrets
import zlib

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test import Client

from sandbox.models import SandboxServer
from tests.security.crawl import ROLES, concrete_urls, is_ours

pytestmark = pytest.mark.django_db(transaction=True)

HTMX = {"HTTP_HX_REQUEST": "true"}
CANARY_KEY = "CanaryKey" + secrets.token_hex(16)
CANARY_ROOT = "CanaryRoot" + secrets.token_hex(8)
CANARIES = (CANARY_KEY, CANARY_ROOT)
# The provider's side of the sandbox holds both by design: it is the provider, not the panel.
PROVIDER_TABLES = ("sandbox_",)


@pytest.fixture
def planted(cast, sandbox_customer):
    sandbox_customer.api_key = CANARY_KEY
    sandbox_customer.save()
    SandboxServer.objects.filter(customer=sandbox_customer).update(
        rootpass=CANARY_ROOT, vncpass=CANARY_ROOT
    )
    cast.account.set_credentials(login=sandbox_customer.login, api_key=CANARY_KEY)
    cast.account.save()
    return cast


def leaks(text: str) -> list[str]:
    return [canary for canary in CANARIES if canary in text]


def visit_everything(cast, client) -> list[tuple[str, object]]:
    """Every page (plain and htmx), plus the actions that talk to the provider."""
    answers = []
    for url in concrete_urls(cast):
        answers.append((url, client.get(url)))
        if is_ours(url):
            answers.append((f"{url} (htmx)", client.get(url, **HTMX)))
    account, sid = cast.account.pk, cast.server_id
    for url, data in (
        (f"/accounts/{account}/test/", {}),
        (f"/accounts/{account}/servers/{sid}/power/", {"action": "poweron"}),
        (f"/accounts/{account}/servers/{sid}/console/", {}),
        (f"/accounts/{account}/servers/{sid}/rdns/", {"hostname": "host.example.org"}),
    ):
        answers.append((f"POST {url}", client.post(url, data, **HTMX)))
    return answers


def raw_database_rows(*, provider: bool = False):
    """Every row of the panel's tables (or, with provider=True, of the sandbox's) as text."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table.startswith(PROVIDER_TABLES) != provider:
                continue
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                yield table, " ".join(_text(value) for value in row)


def _text(value) -> str:
    if isinstance(value, memoryview):
        value = bytes(value)
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def cache_contents() -> list[str]:
    """What the cache holds, as text: file cache files or Redis values (whichever is in use)."""
    texts = []
    if hasattr(cache, "_list_cache_files"):
        for path in cache._list_cache_files():
            with open(path, "rb") as handle:
                pickle.load(handle)  # the expiry
                texts.append(repr(pickle.loads(zlib.decompress(handle.read()))))
    elif hasattr(cache, "_cache") and hasattr(cache._cache, "get_client"):
        client = cache._cache.get_client()
        for key in client.keys("*"):
            texts.append(repr(key) + repr(client.get(key)))
    return texts


@pytest.mark.parametrize("role", sorted(ROLES))
def test_the_canaries_never_come_out(planted, role, caplog):
    caplog.set_level(logging.DEBUG)
    found = []
    for who, client in ((role, ROLES[role](planted)), ("anonymous", Client())):
        for url, response in visit_everything(planted, client):
            raw = b"".join(response.streaming_content) if response.streaming else response.content
            body = raw.decode("utf-8", "replace")
            headers = "\n".join(f"{name}: {value}" for name, value in response.headers.items())
            found += [f"{who} {url} body: {c[:12]}" for c in leaks(body)]
            found += [f"{who} {url} header: {c[:12]}" for c in leaks(headers)]

    for record in caplog.records:
        text = record.getMessage() + repr(record.args) + repr(record.__dict__)
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        found += [f"log {record.name}: {c[:12]}" for c in leaks(text)]

    for table, row in raw_database_rows():
        found += [f"db {table}: {c[:12]}" for c in leaks(row)]
    for session in Session.objects.all():
        found += [f"session: {c[:12]}" for c in leaks(repr(session.get_decoded()))]
    for text in cache_contents():
        found += [f"cache: {c[:12]}" for c in leaks(text)]

    assert found == []


def test_the_canary_search_would_see_a_leak(planted):
    """The search is not blind: the provider's own tables do hold both canaries, and the panel
    really used the canary key (the owner's server list came back)."""
    rows = [row for _, row in raw_database_rows(provider=True)]
    assert any(CANARY_KEY in row for row in rows)
    assert any(CANARY_ROOT in row for row in rows)
    page = ROLES["owner"](planted).get(f"/accounts/{planted.account.pk}/servers/")
    assert "web-01" in page.text
