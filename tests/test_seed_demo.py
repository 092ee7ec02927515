"""manage.py seed_demo: a demo user, a sandbox customer and an account that points at it."""

import json
from io import StringIO

import pytest
import requests
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

from sandbox.models import SandboxCustomer, SandboxServer, SandboxTask, SandboxTemplate
from servers.models import CloudAccount


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def seed_json():
    output = seed("--json")
    return json.loads(output)


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            get_user_model(),
            SandboxCustomer,
            SandboxServer,
            SandboxTemplate,
            SandboxTask,
            CloudAccount,
        )
    }


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """Each test its own data folder, where the demo password is kept."""
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def site(settings):
    settings.SITE_URL = "http://127.0.0.1:8123"
    settings.CATCPANEL_SANDBOX = True
    return settings


@pytest.mark.django_db
def test_json_prints_exactly_one_object_with_the_demo_credentials(site):
    output = seed("--json")

    data = json.loads(output)  # one object and nothing else around it
    assert set(data) == {"username", "password", "sandbox_base_url", "sandbox_login", "sandbox_key"}
    assert data["username"] == "demo"
    assert data["sandbox_base_url"] == "http://127.0.0.1:8123/sandbox/api/v1/"
    customer = SandboxCustomer.objects.get()
    assert (data["sandbox_login"], data["sandbox_key"]) == (customer.login, customer.api_key)
    assert authenticate(username="demo", password=data["password"]) is not None


@pytest.mark.django_db
def test_the_account_points_at_the_sandbox_with_the_customer_credentials(site):
    data = seed_json()

    account = CloudAccount.objects.get()
    assert account.name == "Demo (sandbox)"
    assert account.owner.username == "demo"
    assert account.base_url == data["sandbox_base_url"]
    assert (account.login, account.api_key) == (data["sandbox_login"], data["sandbox_key"])
    assert data["sandbox_key"] not in account.api_key_encrypted


@pytest.mark.django_db
def test_the_demo_has_varied_servers(site):
    seed_json()

    servers = SandboxServer.objects.all()
    assert servers.count() == 8
    assert {s.status for s in servers} == {"Powered On", "Powered Off", "Installing"}


@pytest.mark.django_db
def test_running_twice_duplicates_nothing_and_keeps_the_printed_password(site):
    first = seed_json()
    before = counts()

    second = seed_json()

    assert counts() == before
    assert second["sandbox_key"] == first["sandbox_key"]
    assert second["sandbox_login"] == first["sandbox_login"]
    assert second["password"] == first["password"]
    assert authenticate(username="demo", password=first["password"]) is not None


@pytest.mark.django_db
def test_the_greeting_prints_the_same_password_every_run(site):
    first = seed().split("sign in as demo / ")[1].split()[0]

    again = seed().split("sign in as demo / ")[1].split()[0]

    assert again == first
    assert authenticate(username="demo", password=first) is not None


@pytest.mark.django_db
def test_new_password_replaces_it_and_prints_the_new_one(site):
    first = seed_json()

    renewed = json.loads(seed("--json", "--new-password"))

    assert renewed["password"] != first["password"]
    assert authenticate(username="demo", password=renewed["password"]) is not None
    assert authenticate(username="demo", password=first["password"]) is None
    assert seed_json()["password"] == renewed["password"]


@pytest.mark.django_db
def test_a_password_the_demo_user_changed_is_kept_and_not_printed(site):
    first = seed_json()
    user = get_user_model().objects.get(username="demo")
    user.set_password("chosen-by-the-demo-user")
    user.save()

    data = seed_json()
    greeting = seed()

    assert data["password"] is None
    assert first["password"] not in greeting
    assert "--new-password" in greeting
    assert authenticate(username="demo", password="chosen-by-the-demo-user") is not None


@pytest.mark.django_db
def test_the_kept_password_is_readable_by_its_owner_only(site, data_dir):
    data = seed_json()

    kept = data_dir / "demo_password"
    assert kept.read_text().strip() == data["password"]
    assert kept.stat().st_mode & 0o777 == 0o600


@pytest.mark.django_db
def test_a_second_run_keeps_what_the_demo_user_changed(site):
    seed_json()
    SandboxServer.objects.filter(label="web-01").update(label="renamed")

    seed_json()

    assert SandboxServer.objects.filter(label="renamed").exists()


@pytest.mark.django_db
def test_without_json_it_greets_with_the_address_and_password(site):
    output = seed()

    user = get_user_model().objects.get(username="demo")
    assert "Open http://127.0.0.1:8123/ and sign in as demo / " in output
    password = output.split("sign in as demo / ")[1].split()[0]
    assert user.check_password(password)


@pytest.mark.django_db
def test_refuses_when_the_sandbox_is_off(settings):
    settings.CATCPANEL_SANDBOX = False

    with pytest.raises(CommandError, match="CATCPANEL_SANDBOX"):
        seed("--json")
    assert not get_user_model().objects.exists()


def test_the_seeded_credentials_work_against_the_running_sandbox(live_server, settings):
    settings.SITE_URL = live_server.url
    data = seed_json()

    answer = requests.get(
        data["sandbox_base_url"] + "listservers.php",
        params={"key": data["sandbox_key"], "login": data["sandbox_login"]},
        timeout=10,
    ).json()

    assert answer["status"] == "ok"
    assert len(answer["data"]) == 8
