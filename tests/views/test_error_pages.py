"""The panel's own 403, 404 and 500 pages (DEBUG off), in its look with a way back, and its icon."""

import pytest
from django.test import RequestFactory
from django.views import defaults

pytestmark = pytest.mark.django_db


def test_favicon_answers_with_an_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # ICO header


def test_an_unknown_page_is_the_panels_404_with_a_way_back(owner):
    response = owner.get("/no/such/page/")
    text = response.content.decode()
    assert response.status_code == 404
    assert 'data-testid="error-page"' in text and "Back to servers" in text
    assert 'href="/"' in text and "catcpanel/app.css" in text
    assert "<title>Not found · catcpanel</title>" in text


def test_a_refused_role_is_the_panels_403_with_its_reason(owner, cac_account, django_user_model):
    from django.test import Client

    from servers.models import Membership

    vera = django_user_model.objects.create_user(username="vera", password="x" * 20)
    Membership.objects.create(account=cac_account, user=vera, role="viewer")
    viewer = Client()
    viewer.force_login(vera)
    response = viewer.get(f"/accounts/{cac_account.pk}/edit/")
    text = response.content.decode()
    assert response.status_code == 403
    assert "Your role on this account does not allow that." in text
    assert 'data-testid="error-page"' in text and "Back to servers" in text


def test_the_500_page_needs_no_request_context():
    # Django renders it with an empty context: nothing in it may need a user or a request.
    response = defaults.server_error(RequestFactory().get("/"))
    text = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in text and 'href="/"' in text
    assert "catcpanel/app.css" in text
