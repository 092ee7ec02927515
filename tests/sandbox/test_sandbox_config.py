"""manage.py sandbox_config: set a customer's switches and print the result."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.sandbox.conftest import body


def run(*args):
    out = StringIO()
    call_command("sandbox_config", *args, stdout=out)
    return json.loads(out.getvalue())


def test_prints_the_configuration_unchanged_without_switches(sandbox_customer):
    config = run("--customer", sandbox_customer.login)

    assert config["login"] == sandbox_customer.login
    assert config["shape"] == "docs"
    assert config["task_seconds"] == 0
    # The docs shape's status for a wrong key, until a switch says otherwise.
    assert config["auth_error_status"] == 403
    assert config["auth_error_status_follows_shape"] is True
    assert config["cloudpro"] == {"cpu": 16, "ram": 16384, "storage": 500}
    assert "api_key" not in json.dumps(config)
    assert sandbox_customer.api_key not in json.dumps(config)


def test_sets_every_switch(sandbox_customer):
    config = run(
        "--customer", sandbox_customer.login,
        "--latency-ms", "250",
        "--fail-rate", "0.25",
        "--fail-status", "503",
        "--shape", "live",
        "--auth-error-status", "403",
        "--rate-limit", "30",
        "--task-seconds", "15",
        "--plain-text", "on",
        "--maintenance", "on",
        "--empty-console", "on",
        "--json-as-html", "on",
    )  # fmt: skip

    expected = {
        "latency_ms": 250,
        "fail_rate": 0.25,
        "fail_status": 503,
        "shape": "live",
        "auth_error_status": 403,
        "rate_limit": 30,
        "task_seconds": 15,
        "plain_text": True,
        "maintenance": True,
        "empty_console": True,
        "json_as_html": True,
    }
    assert {name: config[name] for name in expected} == expected
    sandbox_customer.refresh_from_db()
    assert {name: getattr(sandbox_customer, name) for name in expected} == expected


def test_switches_turn_off_again(sandbox_customer):
    run("--customer", sandbox_customer.login, "--maintenance", "on")

    config = run("--customer", sandbox_customer.login, "--maintenance", "off")

    assert config["maintenance"] is False


def test_the_switch_takes_effect_on_the_api(api, sandbox_customer):
    run("--customer", sandbox_customer.login, "--auth-error-status", "403")

    assert api("listservers.php", key="wrong").status_code == 403
    run("--customer", sandbox_customer.login, "--shape", "live")
    assert "ce_id" in body(api("listtemplates.php"))["data"][0]


def test_the_login_is_matched_whatever_its_case(sandbox_customer):
    assert run("--customer", sandbox_customer.login.upper())["login"] == sandbox_customer.login


def test_unknown_customer_is_a_command_error(db):
    with pytest.raises(CommandError, match="No sandbox customer"):
        call_command("sandbox_config", "--customer", "nobody@example.com", stdout=StringIO())


@pytest.mark.parametrize(
    "args",
    [
        ["--fail-rate", "1.5"],
        ["--fail-status", "502"],
        ["--shape", "weird"],
        ["--auth-error-status", "401"],
        ["--plain-text", "yes"],
        ["--rate-limit", "-1"],
    ],
)
def test_invalid_values_are_refused(sandbox_customer, args):
    with pytest.raises(CommandError):
        call_command(
            "sandbox_config", "--customer", sandbox_customer.login, *args, stdout=StringIO()
        )
    sandbox_customer.refresh_from_db()
    assert sandbox_customer.fail_rate == 0.0
    assert sandbox_customer.rate_limit == 0
