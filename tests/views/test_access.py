"""Who may reach what: anonymous -> sign in (HX-Redirect for htmx), outsider -> 404, owner -> in."""

import uuid

import pytest

from servers.models import ActionLog
from tests.views.conftest import HTMX, server_by_label

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = [
    "/",
    "/accounts/",
    "/accounts/add/",
    "/accounts/{a}/edit/",
    "/accounts/{a}/delete/",
    "/accounts/{a}/servers/",
    "/accounts/{a}/servers/{s}/",
    "/accounts/{a}/servers/{s}/activity/",
    "/accounts/{a}/servers/{s}/rename/",
    "/accounts/{a}/servers/{s}/rdns/",
    "/accounts/{a}/servers/{cp}/delete/",
    "/accounts/{a}/templates/",
    "/accounts/{a}/tasks/",
    "/accounts/{a}/cloudpro/",
    "/accounts/{a}/activity/",
]
ACCOUNT_PAGES = [page for page in PAGES if "{a}" in page]
ACTIONS = [
    ("/accounts/{a}/test/", {}),
    ("/accounts/{a}/delete/", {}),
    (
        "/accounts/{a}/edit/",
        {"name": "x", "login": "x@example.com", "base_url": "https://x.example/"},
    ),
    ("/accounts/{a}/servers/{s}/power/", {"action": "poweroff"}),
    ("/accounts/{a}/servers/{s}/runmode/", {"mode": "safe"}),
    ("/accounts/{a}/servers/{s}/rename/", {"name": "stolen"}),
    ("/accounts/{a}/servers/{s}/rdns/", {"hostname": "host.example.com"}),
    ("/accounts/{a}/servers/{s}/console/", {}),
    ("/accounts/{a}/servers/{cp}/delete/", {"confirm_name": "cp-app"}),
    (
        "/accounts/{a}/cloudpro/build/",
        {"cpu": 1, "ram": 1024, "storage": 10, "os": "CentOS-7-64bit"},
    ),
]


def fill(url, account, customer):
    return url.format(
        a=account.pk,
        s=server_by_label(customer, "web-01").sid,
        cp=server_by_label(customer, "cp-app").sid,
    )


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_visitor_is_sent_to_sign_in(client, cac_account, sandbox_customer, url):
    response = client.get(fill(url, cac_account, sandbox_customer))
    assert response.status_code == 302
    assert response.url.startswith("/auth/login/?next=")


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_htmx_request_redirects_the_whole_page(
    client, cac_account, sandbox_customer, url
):
    target = fill(url, cac_account, sandbox_customer)
    response = client.get(target, HTTP_HX_CURRENT_URL=f"http://testserver{target}", **HTMX)
    assert response.headers["HX-Redirect"].startswith("/auth/login/?next=")
    # Nothing is swapped into the element that asked.
    assert response.content == b""


def test_expired_session_on_an_htmx_action_redirects_back_to_the_page_after_sign_in(
    client, cac_account, sandbox_customer
):
    web = server_by_label(sandbox_customer, "web-01")
    page = f"/accounts/{cac_account.pk}/servers/{web.sid}/"
    response = client.post(
        page + "power/",
        {"action": "poweroff"},
        HTTP_HX_CURRENT_URL=f"http://testserver{page}",
        **HTMX,
    )
    assert response.headers["HX-Redirect"] == f"/auth/login/?next={page}"
    assert not ActionLog.objects.exists()


@pytest.mark.parametrize("url", ACCOUNT_PAGES)
def test_outsider_gets_404_for_someone_elses_account(outsider, cac_account, sandbox_customer, url):
    assert outsider.get(fill(url, cac_account, sandbox_customer)).status_code == 404


@pytest.mark.parametrize(("url", "data"), ACTIONS)
def test_outsider_cannot_act_on_someone_elses_account(
    outsider, cac_account, sandbox_customer, sandbox_calls, url, data
):
    response = outsider.post(fill(url, cac_account, sandbox_customer), data)
    assert response.status_code == 404
    assert sandbox_calls.paths == []
    assert not ActionLog.objects.exists()
    cac_account.refresh_from_db()
    assert cac_account.name == "Demo"


def test_unknown_account_id_is_404(owner, cac_account):
    assert owner.get(f"/accounts/{uuid.uuid4()}/servers/").status_code == 404


def test_server_of_another_account_is_404(owner, cac_account, sandbox_calls):
    response = owner.post(
        f"/accounts/{cac_account.pk}/servers/999999/power/", {"action": "poweroff"}, **HTMX
    )
    assert response.status_code == 404
    assert sandbox_calls.of("powerop") == []
    assert not ActionLog.objects.exists()


def test_actions_refuse_get(owner, cac_account, sandbox_customer):
    web = server_by_label(sandbox_customer, "web-01")
    for action in ("power", "runmode", "console"):
        url = f"/accounts/{cac_account.pk}/servers/{web.sid}/{action}/"
        assert owner.get(url).status_code == 405


@pytest.fixture
def viewer(monkeypatch, django_user_model, cac_account):
    """A member whose role may only look: what the team roles of a later issue will add."""
    from servers import permissions

    person = django_user_model.objects.create_user(username="vera", password="x" * 20)
    monkeypatch.setitem(permissions.ROLE_CAPABILITIES, "viewer", frozenset({permissions.VIEW}))
    real_role_for = permissions.role_for
    monkeypatch.setattr(
        permissions,
        "role_for",
        lambda user, account: "viewer" if user.pk == person.pk else real_role_for(user, account),
    )
    from django.test import Client

    viewer_client = Client()
    viewer_client.force_login(person)
    return viewer_client


def test_a_member_without_the_capability_gets_403_and_nothing_is_sent(
    viewer, cac_account, sandbox_customer, sandbox_calls
):
    web = server_by_label(sandbox_customer, "web-01")
    base = f"/accounts/{cac_account.pk}/servers/{web.sid}/"
    assert viewer.get(base).status_code == 200
    for action, data in (
        ("power/", {"action": "poweroff"}),
        ("rename/", {"name": "x"}),
        ("console/", {}),
    ):
        assert viewer.post(base + action, data, **HTMX).status_code == 403
    assert viewer.post(f"/accounts/{cac_account.pk}/delete/").status_code == 403
    assert sandbox_calls.of("powerop") == [] and sandbox_calls.of("renameserver") == []
    assert not ActionLog.objects.exists()


def test_a_member_who_may_only_look_sees_no_action_buttons(viewer, cac_account, sandbox_customer):
    web = server_by_label(sandbox_customer, "web-01")
    detail = viewer.get(f"/accounts/{cac_account.pk}/servers/{web.sid}/").content.decode()
    assert 'data-testid="power-off"' not in detail
    assert 'data-testid="rename"' not in detail
    listing = viewer.get(f"/accounts/{cac_account.pk}/servers/", **HTMX).content.decode()
    assert 'data-testid="server-row"' in listing
    assert 'data-testid="power-off"' not in listing
    cloudpro = viewer.get(f"/accounts/{cac_account.pk}/cloudpro/").content.decode()
    assert 'id="build-form"' not in cloudpro
