"""The servers section's rows are rendered once per copy of the list and shared between requests:
nothing personal may be in them, and each role and each new copy gets rows of its own."""

import re

import pytest
from django.test import Client

from sandbox import services as sandbox
from servers import selectors
from servers.models import ActionLog, Membership
from tests.sandbox_fixtures import sandbox_account
from tests.views.conftest import HTMX, server_by_label

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def section(client, account) -> str:
    response = client.get(f"/accounts/{account.pk}/servers/", **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def signed_in_member(django_user_model, account, username, role) -> Client:
    person = django_user_model.objects.create_user(username=username, password="x" * 20)
    Membership.objects.create(account=account, user=person, role=role)
    client = Client()
    client.force_login(person)
    return client


def whole_page(client, account) -> str:
    response = client.get(f"/accounts/{account.pk}/servers/")
    assert response.status_code == 200
    return response.content.decode()


def power_form(text: str) -> str:
    (form,) = re.findall(r'<form id="power-form" method="post" hidden>(.*?)</form>', text, re.S)
    return form


def test_the_rows_hold_no_token_and_each_person_gets_their_own(
    owner, cac_account, django_user_model
):
    operator = signed_in_member(django_user_model, cac_account, "olga", "operator")
    first, second = whole_page(owner, cac_account), whole_page(operator, cac_account)
    # The token is in the page's power form, outside the shared rows; never the owner's.
    mine, theirs = TOKEN.search(power_form(first)), TOKEN.search(power_form(second))
    assert mine.group(1) != theirs.group(1)
    rows = section(operator, cac_account).split("<tbody>")[1]
    assert "csrfmiddlewaretoken" not in rows
    assert rows.count('data-testid="power-menu"') == 8
    assert rows.count('form="power-form"') == 8


def test_a_viewer_never_gets_the_rows_rendered_for_an_operator(
    owner, cac_account, django_user_model
):
    assert section(owner, cac_account).count('data-testid="power-menu"') == 8
    viewer = signed_in_member(django_user_model, cac_account, "vera", "viewer")
    seen = section(viewer, cac_account)
    assert seen.count('data-testid="server-row"') == 8
    assert 'data-testid="power-menu"' not in seen and "power-" not in seen.split("<tbody>")[0]


def test_a_new_copy_of_the_list_gets_new_rows(owner, cac_account, sandbox_customer):
    web = server_by_label(sandbox_customer, "web-01")
    assert 'data-server-name="web-01"' in section(owner, cac_account)
    sandbox.rename(sandbox_customer, web.sid, "web-renamed")
    assert 'data-server-name="web-01"' in section(owner, cac_account)  # the cached copy
    selectors.invalidate(cac_account, "servers")
    fresh = section(owner, cac_account)
    assert 'data-server-name="web-renamed"' in fresh and 'data-server-name="web-01"' not in fresh


def row_of(text: str, sid: str) -> str:
    return text.split(f'data-server-id="{sid}"')[1].split("</tr>")[0]


def test_a_pending_task_marks_its_row_even_when_the_list_is_unchanged(
    owner, cac_account, sandbox_customer
):
    sandbox_customer.task_seconds = 600
    sandbox_customer.save()
    web = server_by_label(sandbox_customer, "web-01")
    assert "task pending" not in row_of(section(owner, cac_account), web.sid)
    sandbox.power(sandbox_customer, web.sid, "reset")
    selectors.invalidate(cac_account, "tasks")  # the servers list itself stays the cached copy
    assert "task pending" in row_of(section(owner, cac_account), web.sid)


def test_without_javascript_a_power_button_posts_the_pages_form(
    user, cac_account, sandbox_customer
):
    # The browser submits the page's one form (its token) to the button's formaction, with the
    # button's name and value (the row's main button; the others are on the server page, which
    # the row's menu links to).
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    text = whole_page(client, cac_account)
    web = server_by_label(sandbox_customer, "web-01")
    button = re.search(
        rf'<button type="submit" form="([^"]+)" formaction="([^"]+/{web.sid}/power/)"[^>]*'
        r'name="action" value="poweroff"',
        text,
    )
    form_id, action = button.groups()
    form = re.search(rf'<form id="{form_id}" method="post" hidden>(.*?)</form>', text, re.S)
    token = TOKEN.search(form.group(1)).group(1)
    response = client.post(action, {"action": "poweroff", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    log = ActionLog.objects.get(action="poweroff")
    assert (log.server_id, log.outcome) == (web.sid, "success")


def test_a_row_links_to_the_server_page_for_the_other_power_actions(
    owner, cac_account, sandbox_customer
):
    # Without JavaScript the menu is a link to the server page (all three buttons); with it,
    # app.js clones the other two from the page's one template. A row carries neither.
    text = section(owner, cac_account)
    web, db = (server_by_label(sandbox_customer, label) for label in ("web-01", "db-01"))
    for server, main in ((web, "power-off"), (db, "power-on")):
        row = row_of(text, server.sid)
        page = f"/accounts/{cac_account.pk}/servers/{server.sid}/"
        assert f'<a class="btn btn-small" href="{page}" data-testid="power-page">' in row
        assert re.findall(r'data-testid="(power-on|power-off|reset)"', row) == [main]
        assert "<template" not in row
    assert "<template" not in text  # the section swapped in uses the page's
    whole = whole_page(owner, cac_account)
    assert whole.count('<template class="power-menu-template">') == 1
    template = whole.split('<template class="power-menu-template">')[1].split("</template>")[0]
    assert re.findall(r'data-testid="([a-z-]+)"', template) == ["power-on", "power-off", "reset"]


def test_a_viewer_gets_no_power_menu_template(owner, cac_account, django_user_model):
    viewer = signed_in_member(django_user_model, cac_account, "vic", "viewer")
    assert "power-menu-template" not in section(viewer, cac_account)


def test_a_viewer_made_operator_can_power_from_the_page_already_open(
    cac_account, sandbox_customer, django_user_model
):
    # The page's form is there for every role: the section swapped in after the promotion posts
    # through it (a section's own form used to come with it).
    person = django_user_model.objects.create_user(username="val", password="x" * 20)
    membership = Membership.objects.create(account=cac_account, user=person, role="viewer")
    client = Client(enforce_csrf_checks=True)
    client.force_login(person)
    token = TOKEN.search(power_form(whole_page(client, cac_account))).group(1)
    membership.role = "operator"
    membership.save()
    web = server_by_label(sandbox_customer, "web-01")
    row = row_of(section(client, cac_account), web.sid)
    action = re.search(r'form="power-form" formaction="([^"]+)"', row).group(1)
    response = client.post(action, {"action": "poweroff", "csrfmiddlewaretoken": token}, **HTMX)
    assert response.status_code == 204
    log = ActionLog.objects.get(action="poweroff")
    assert (log.server_id, log.outcome) == (web.sid, "success")


def test_the_servers_page_has_one_power_form_for_all_its_accounts(
    owner, user, cac_account, sandbox_api_url
):
    sandbox_account(user, sandbox_api_url, "Bob")
    # Chromium spends a style pass on every form once a page has loaded: the sections share one.
    text = b"".join(owner.get("/").streaming_content).decode()
    assert text.count('data-testid="account-section"') == 2
    assert TOKEN.search(power_form(text))
    assert text.count('<template class="power-menu-template">') == 1
    assert text.count('form="power-form"') == 16
