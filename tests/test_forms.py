import uuid

import pytest

from servers.cac.models import Resources, Template
from servers.forms import AccountForm, BuildForm, DeleteServerForm, RenameForm, ReverseDnsForm

TEMPLATES = [Template(id="26", name="CentOS-7-64bit"), Template(id="3", name="Debian 7.1 64bit")]
PLENTY = Resources(
    cpu_total=16, ram_total=32768, storage_total=1000, cpu_used=0, ram_used=0, storage_used=0
)


@pytest.mark.parametrize(
    ("value", "cleaned"),
    [
        ("web", "web"),
        ("  web 01  ", "web 01"),
        ("x" * 64, "x" * 64),
        ("a-b_c.d (e)!", "a-b_c.d (e)!"),
    ],
)
def test_rename_accepts_printable_names_up_to_64(value, cleaned):
    form = RenameForm({"name": value})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == cleaned


@pytest.mark.parametrize(
    "value", ["", "   ", "x" * 65, "tab\tname", "line\nbreak", "nul\x00", "bell\x07"]
)
def test_rename_refuses_empty_long_or_unprintable_names(value):
    assert not RenameForm({"name": value}).is_valid()


@pytest.mark.parametrize(
    "value",
    ["host.example.com", "a.b", "xn--bcher-kva.example", "Web-01.Example.COM.", "1.2.3.example"],
)
def test_reverse_dns_accepts_rfc1123_names_with_a_dot(value):
    form = ReverseDnsForm({"hostname": value})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["hostname"] == value.lower().rstrip(".")


@pytest.mark.parametrize(
    "value",
    [
        "localhost",
        "-a.example.com",
        "a-.example.com",
        "a..example.com",
        "a_b.example.com",
        "a b.example.com",
        ("a" * 64) + ".com",
        ".".join(["a" * 63] * 4) + ".com",  # 256 characters
        "",
    ],
)
def test_reverse_dns_refuses_invalid_host_names(value):
    assert not ReverseDnsForm({"hostname": value}).is_valid()


def test_reverse_dns_accepts_exactly_253_characters():
    name = ".".join(["a" * 63] * 3 + ["b" * 61])
    assert len(name) == 253
    assert ReverseDnsForm({"hostname": name}).is_valid()


def build(resources=PLENTY, **values):
    data = {"cpu": 2, "ram": 2048, "storage": 40, "os": "CentOS-7-64bit"}
    data["idempotency_key"] = str(uuid.uuid4())
    data.update(values)
    return BuildForm(data, templates=TEMPLATES, resources=resources)


def test_build_form_resolves_the_template_by_name():
    form = build()
    assert form.is_valid(), form.errors
    assert form.cleaned_data["os"] == TEMPLATES[0]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cpu", 1),
        ("cpu", 16),
        ("ram", 512),
        ("ram", 32768),
        ("ram", 516),
        ("storage", 10),
        ("storage", 1000),
    ],
)
def test_build_form_accepts_the_documented_limits(field, value):
    assert build(**{field: value}).is_valid()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cpu", 0),
        ("cpu", 17),
        ("ram", 508),
        ("ram", 1022),
        ("ram", 32772),
        ("storage", 0),
        ("storage", 15),
        ("storage", 1010),
        ("os", "Windows 95"),
        ("os", "26"),  # an id is not a name
        ("idempotency_key", "not-a-uuid"),
    ],
)
def test_build_form_refuses_values_outside_the_limits(field, value):
    form = build(**{field: value})
    assert not form.is_valid()
    assert field in form.errors


def test_build_form_refuses_more_than_the_free_resources():
    tight = Resources(
        cpu_total=4, ram_total=4096, storage_total=100, cpu_used=3, ram_used=3072, storage_used=80
    )
    form = build(resources=tight, cpu=2, ram=2048, storage=30)
    assert not form.is_valid()
    assert set(form.errors) == {"cpu", "ram", "storage"}
    assert "Only 1 CPU free" in form.errors["cpu"][0]


def test_unbound_build_form_carries_a_fresh_key_each_time():
    first = BuildForm(templates=TEMPLATES).initial["idempotency_key"]
    second = BuildForm(templates=TEMPLATES).initial["idempotency_key"]
    assert first != second
    uuid.UUID(first)


def test_delete_form_wants_the_exact_name():
    class Server:
        name = "cp-app"

    assert DeleteServerForm({"confirm_name": "cp-app"}, server=Server()).is_valid()
    assert not DeleteServerForm({"confirm_name": "CP-APP"}, server=Server()).is_valid()


ACCOUNT = {
    "name": "Main",
    "login": "me@example.com",
    "api_key": "abc123",
    "base_url": "https://cac.example.test/api/v1",
    "skip_check": "on",
}


def test_account_form_requires_a_key_when_adding_only():
    assert not AccountForm({**ACCOUNT, "api_key": ""}).is_valid()


@pytest.mark.django_db
def test_account_form_on_edit_accepts_a_blank_key_and_shows_only_the_hint(user):
    from servers.models import CloudAccount

    account = CloudAccount(owner=user, name="Main", base_url="https://cac.example.test/api/v1/")
    account.set_credentials(login="me@example.com", api_key="secretsecretA1B2")
    account.save()
    form = AccountForm({**ACCOUNT, "api_key": ""}, account=account)
    assert form.is_valid(), form.errors
    rendered = str(form)
    assert "secretsecretA1B2" not in rendered
    assert "…A1B2" in rendered


@pytest.mark.parametrize(
    "url", ["ftp://x.example/", "javascript:alert(1)", "https://user:pw@x.example/", "not a url"]
)
def test_account_form_wants_an_http_or_https_base_url(url):
    assert not AccountForm({**ACCOUNT, "base_url": url}).is_valid()


def test_account_form_adds_the_trailing_slash():
    form = AccountForm(ACCOUNT)
    assert form.is_valid()
    assert form.cleaned_data["base_url"] == "https://cac.example.test/api/v1/"


def test_account_form_refuses_a_key_with_spaces():
    assert not AccountForm({**ACCOUNT, "api_key": "abc 123"}).is_valid()


def test_rename_field_stops_at_the_length_the_server_and_the_provider_accept():
    from sandbox.services import NAME_MAX_LENGTH
    from servers import services

    field = str(RenameForm()["name"])

    assert services.SERVER_NAME_MAX == NAME_MAX_LENGTH == 64
    assert f'maxlength="{services.SERVER_NAME_MAX}"' in field
