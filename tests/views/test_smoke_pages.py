import pytest

from tests.views.conftest import HTMX, server_by_label

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_page_renders_for_the_owner(owner, cac_account, sandbox_customer):
    web = server_by_label(sandbox_customer, "web-01")
    cp = server_by_label(sandbox_customer, "cp-app")
    a = cac_account.pk
    for url in [
        "/",
        "/accounts/",
        "/accounts/add/",
        f"/accounts/{a}/edit/",
        f"/accounts/{a}/delete/",
        f"/accounts/{a}/servers/",
        f"/accounts/{a}/servers/{web.sid}/",
        f"/accounts/{a}/servers/{web.sid}/activity/",
        f"/accounts/{a}/servers/{cp.sid}/delete/",
        f"/accounts/{a}/templates/",
        f"/accounts/{a}/tasks/",
        f"/accounts/{a}/cloudpro/",
        f"/accounts/{a}/activity/",
    ]:
        response = owner.get(url)
        assert response.status_code == 200, (url, response.status_code)
    response = owner.get(f"/accounts/{a}/servers/", **HTMX)
    assert b"web-01" in response.content
