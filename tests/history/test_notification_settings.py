"""The notification settings page: members only, choices saved, the webhook secret shown once."""

import pytest
from django.test import Client

from history.models import EventKind, NotificationPreference
from servers.models import Membership

pytestmark = pytest.mark.django_db


def url(account):
    return f"/accounts/{account.pk}/notifications/"


def test_a_stranger_gets_404_and_a_visitor_is_sent_to_sign_in(offline_account, django_user_model):
    stranger = django_user_model.objects.create_user("mallory", password="x" * 20)
    client = Client()
    client.force_login(stranger)
    assert client.get(url(offline_account)).status_code == 404
    assert client.post(url(offline_account), {"kinds": ["task_failed"]}).status_code == 404
    assert not NotificationPreference.objects.exists()
    assert Client().get(url(offline_account)).status_code in (302, 401)


def test_a_viewer_chooses_events_and_gets_the_signing_secret_once(
    offline_account, django_user_model, settings
):
    settings.CATCPANEL_WEBHOOK_ALLOW_PRIVATE = False
    viewer = django_user_model.objects.create_user("vera", "vera@example.com", password="x" * 20)
    Membership.objects.create(account=offline_account, user=viewer, role="viewer")
    client = Client()
    client.force_login(viewer)
    assert client.get(url(offline_account)).status_code == 200
    response = client.post(
        url(offline_account),
        {
            "kinds": [EventKind.SERVER_STATUS, EventKind.BUILD_FINISHED],
            "email": "on",
            "webhook_url": "https://93.184.215.14/hook",
        },
    )
    assert response.status_code == 200
    preference = NotificationPreference.objects.get(user=viewer, account=offline_account)
    assert preference.kinds == ["server_status", "build_finished"] and preference.email
    secret = preference.webhook_secret
    assert secret and secret not in preference.webhook_secret_encrypted
    assert secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    again = client.get(url(offline_account)).content.decode()
    assert secret not in again  # shown once


@pytest.mark.parametrize(
    "address",
    ["ftp://example.org/hook", "http://127.0.0.1:9/hook", "http://user:pw@example.org/hook"],
)
def test_a_bad_webhook_address_changes_nothing(offline_account, user, address, settings):
    settings.CATCPANEL_WEBHOOK_ALLOW_PRIVATE = False
    client = Client()
    client.force_login(user)
    response = client.post(url(offline_account), {"kinds": ["task_failed"], "webhook_url": address})
    assert response.status_code == 400
    assert not NotificationPreference.objects.exists()
