"""The sandbox is part of the site only when CATCPANEL_SANDBOX is on."""

import importlib

import pytest
from django.test import override_settings
from django.urls import Resolver404, clear_url_caches, resolve

import catcpanel.urls


def rebuild_urlconf():
    """catcpanel/urls.py reads the setting at import time: re-run it, drop the cached resolver."""
    importlib.reload(catcpanel.urls)
    clear_url_caches()


@pytest.fixture
def sandbox_off():
    try:
        with override_settings(CATCPANEL_SANDBOX=False):
            rebuild_urlconf()
            yield
    finally:
        rebuild_urlconf()


def test_mounted_when_on():
    assert resolve("/sandbox/api/v1/listservers.php").url_name == "listservers"
    assert resolve("/sandbox/api/v1/cloudpro/build.php").url_name == "build"
    assert resolve("/sandbox/console/1/console.html").url_name == "console-page"


def test_not_mounted_when_off(sandbox_off, client, sandbox_customer):
    with pytest.raises(Resolver404):
        resolve("/sandbox/api/v1/listservers.php")
    response = client.get(
        "/sandbox/api/v1/listservers.php",
        {"key": sandbox_customer.api_key, "login": sandbox_customer.login},
    )
    assert response.status_code == 404
    assert resolve("/healthz").url_name == "healthz"  # the rest of the site is still there


def test_turning_it_back_on_mounts_it_again(db):
    with override_settings(CATCPANEL_SANDBOX=False):
        rebuild_urlconf()
    with override_settings(CATCPANEL_SANDBOX=True):
        rebuild_urlconf()
    assert resolve("/sandbox/api/v1/listservers.php").url_name == "listservers"
