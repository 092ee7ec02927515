import io
import sys

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from servers.models import CloudAccount


@pytest.fixture
def owner(db):
    return get_user_model().objects.create_user("bob", password="x")


def add_account(monkeypatch, stdin: str, *args):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    out = io.StringIO()
    call_command("add_cac_account", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_stores_the_key_read_from_standard_input_without_echoing_it(owner, monkeypatch):
    output = add_account(
        monkeypatch,
        "abcdef0123456789KEY\n",
        "--owner",
        "bob",
        "--name",
        "Main",
        "--login",
        "bob@example.org",
        "--no-verify",
    )
    account = CloudAccount.objects.get(owner=owner, name="Main")
    assert (account.login, account.api_key) == ("bob@example.org", "abcdef0123456789KEY")
    assert "abcdef0123456789KEY" not in output
    assert "…9KEY" in output


@pytest.mark.parametrize(
    ("stdin", "args", "message"),
    [
        ("k" * 20, ["--owner", "nobody", "--name", "A", "--login", "a@b.org"], "No user"),
        ("", ["--owner", "bob", "--name", "A", "--login", "a@b.org"], "No API key"),
        ("has space", ["--owner", "bob", "--name", "A", "--login", "a@b.org"], "does not look"),
        ("k" * 20, ["--owner", "bob", "--name", "A", "--login", "not-an-email"], "email"),
        (
            "k" * 20,
            ["--owner", "bob", "--name", "A", "--login", "a@b.org", "--base-url", "ftp://x.org/"],
            "URL",
        ),
        ("k" * 20, ["--owner", "bob", "--name", "  ", "--login", "a@b.org"], "blank"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(owner, monkeypatch, stdin, args, message):
    with pytest.raises(CommandError, match=message):
        add_account(monkeypatch, stdin, *args, "--no-verify")
    assert not CloudAccount.objects.exists()


def test_a_second_account_with_the_same_name_is_refused(owner, monkeypatch):
    args = ["--owner", "bob", "--name", "Main", "--login", "a@b.org", "--no-verify"]
    add_account(monkeypatch, "k" * 20, *args)
    with pytest.raises(CommandError, match="already has"):
        add_account(monkeypatch, "k" * 20, *args)
    assert CloudAccount.objects.count() == 1


def test_the_key_is_verified_against_the_provider(
    owner, monkeypatch, sandbox_customer, sandbox_api_url
):
    output = add_account(
        monkeypatch,
        sandbox_customer.api_key + "\n",
        "--owner",
        "bob",
        "--name",
        "Sandbox",
        "--login",
        sandbox_customer.login,
        "--base-url",
        sandbox_api_url,
    )
    assert "8 server(s)" in output
    assert CloudAccount.objects.filter(name="Sandbox").exists()


def test_a_key_the_provider_refuses_is_not_stored(
    owner, monkeypatch, sandbox_customer, sandbox_api_url
):
    with pytest.raises(CommandError, match="whitelist"):
        add_account(
            monkeypatch,
            "wrong-key-0123456789\n",
            "--owner",
            "bob",
            "--name",
            "Sandbox",
            "--login",
            sandbox_customer.login,
            "--base-url",
            sandbox_api_url,
        )
    assert not CloudAccount.objects.exists()


def test_an_address_outside_the_allowed_hosts_is_refused(owner, monkeypatch, settings):
    """A CommandError: `manage.py` prints it and exits with status 1."""
    settings.CATCPANEL_API_HOSTS = ["cac.example.test"]
    args = ["--owner", "bob", "--name", "A", "--login", "a@b.org"]
    with pytest.raises(CommandError, match="not one the panel may use"):
        add_account(monkeypatch, "k" * 20, *args, "--base-url", "https://evil.example/api/v1/")
    assert not CloudAccount.objects.exists()


def test_a_failing_address_is_not_described(owner, monkeypatch, closed_port_url):
    with pytest.raises(CommandError, match="No Cloud at Cost API answered at this address"):
        add_account(
            monkeypatch,
            "k" * 20,
            *["--owner", "bob", "--name", "A", "--login", "a@b.org", "--base-url"],
            closed_port_url,
        )
    assert not CloudAccount.objects.exists()


@pytest.fixture
def closed_port_url():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/api/v1/"
