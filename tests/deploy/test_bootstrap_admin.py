from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

PASSWORD = "correct-Horse-battery-staple-71"


@pytest.fixture(autouse=True)
def _no_admin_variables(monkeypatch):
    for name in (
        "CATCPANEL_ADMIN_USER",
        "CATCPANEL_ADMIN_PASSWORD",
        "CATCPANEL_ADMIN_PASSWORD_FILE",
        "CATCPANEL_ADMIN_EMAIL",
    ):
        monkeypatch.delenv(name, raising=False)


def bootstrap():
    out, err = StringIO(), StringIO()
    call_command("bootstrap_admin", stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


@pytest.mark.django_db
def test_without_admin_user_nothing_is_created():
    output = bootstrap()
    assert "not set" in output
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_creates_a_superuser_and_never_prints_the_password(monkeypatch):
    monkeypatch.setenv("CATCPANEL_ADMIN_USER", "root-admin")
    monkeypatch.setenv("CATCPANEL_ADMIN_PASSWORD", PASSWORD)
    monkeypatch.setenv("CATCPANEL_ADMIN_EMAIL", "admin@example.org")

    output = bootstrap()

    user = get_user_model().objects.get(username="root-admin")
    assert user.is_superuser and user.is_staff and user.is_active
    assert user.email == "admin@example.org"
    assert user.check_password(PASSWORD)
    assert "Created the superuser 'root-admin'" in output
    assert PASSWORD not in output


@pytest.mark.django_db
def test_running_again_is_a_no_op(monkeypatch):
    monkeypatch.setenv("CATCPANEL_ADMIN_USER", "root-admin")
    monkeypatch.setenv("CATCPANEL_ADMIN_PASSWORD", PASSWORD)
    bootstrap()

    output = bootstrap()

    assert "left unchanged" in output
    assert get_user_model().objects.filter(username="root-admin").count() == 1


@pytest.mark.django_db
def test_password_from_a_file_without_its_trailing_newline(monkeypatch, tmp_path):
    secret = tmp_path / "admin_password"
    secret.write_text(PASSWORD + "\n")
    monkeypatch.setenv("CATCPANEL_ADMIN_USER", "root-admin")
    monkeypatch.setenv("CATCPANEL_ADMIN_PASSWORD_FILE", str(secret))
    monkeypatch.setenv("CATCPANEL_ADMIN_PASSWORD", "the-variable-loses-to-the-file-99")

    output = bootstrap()

    user = get_user_model().objects.get(username="root-admin")
    assert user.check_password(PASSWORD)
    assert PASSWORD not in output


@pytest.mark.django_db
def test_a_missing_password_file_is_an_error_naming_the_file(monkeypatch, tmp_path):
    monkeypatch.setenv("CATCPANEL_ADMIN_USER", "root-admin")
    monkeypatch.setenv("CATCPANEL_ADMIN_PASSWORD_FILE", str(tmp_path / "absent"))

    with pytest.raises(CommandError, match="absent"):
        bootstrap()
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_refuses_a_user_without_a_password(monkeypatch):
    monkeypatch.setenv("CATCPANEL_ADMIN_USER", "root-admin")

    with pytest.raises(CommandError, match="CATCPANEL_ADMIN_PASSWORD"):
        bootstrap()
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_refuses_a_weak_password_without_repeating_it(monkeypatch):
    monkeypatch.setenv("CATCPANEL_ADMIN_USER", "root-admin")
    monkeypatch.setenv("CATCPANEL_ADMIN_PASSWORD", "Zq9!x")

    with pytest.raises(CommandError) as caught:
        bootstrap()
    assert "too short" in str(caught.value)
    assert "Zq9!x" not in str(caught.value)
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_never_changes_an_existing_users_password(monkeypatch):
    get_user_model().objects.create_user(
        username="root-admin", password="the-password-they-chose-later-1"
    )
    monkeypatch.setenv("CATCPANEL_ADMIN_USER", "root-admin")
    monkeypatch.setenv("CATCPANEL_ADMIN_PASSWORD", PASSWORD)

    output = bootstrap()

    user = get_user_model().objects.get(username="root-admin")
    assert user.check_password("the-password-they-chose-later-1")
    assert not user.check_password(PASSWORD)
    assert not user.is_superuser
    assert "left unchanged" in output


@pytest.mark.django_db
def test_an_existing_user_needs_no_password_once_it_is_removed_from_the_environment(monkeypatch):
    """Operators are told to drop the password after the first start: that must not break boots."""
    get_user_model().objects.create_superuser(username="root-admin", password=PASSWORD)
    monkeypatch.setenv("CATCPANEL_ADMIN_USER", "root-admin")

    assert "left unchanged" in bootstrap()
