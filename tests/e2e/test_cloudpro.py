"""Cloud Pro: build a server, watch it come up, delete it by name, see each step in Activity."""

import re

from playwright.sync_api import expect

from sandbox.models import SandboxServer
from servers.models import ActionLog
from tests.e2e.conftest import POLLED_MS, server_row, toast


def test_build_watch_it_come_up_delete_it_and_see_every_step_in_activity(
    signed_in_page, live_server, cac_account, sandbox_customer
):
    sandbox_customer.task_seconds = 2
    sandbox_customer.save(update_fields=["task_seconds"])
    existing = set(
        SandboxServer.objects.filter(customer=sandbox_customer).values_list("sid", flat=True)
    )
    page = signed_in_page
    account_url = f"{live_server.url}/accounts/{cac_account.pk}"
    page.goto(account_url + "/cloudpro/")
    # The demo's three Cloud Pro servers use 8 of 16 CPU, 8192 of 16384 MB, 200 of 500 GB.
    expect(page.locator("#meter-cpu")).to_contain_text("8 free")
    expect(page.locator("#meter-ram")).to_contain_text("8192 MB free")
    rows = page.locator("[data-testid=server-row]")
    expect(rows).to_have_count(3)

    form = page.locator("#build-form")
    form.get_by_label("CPU cores").fill("2")
    form.get_by_label("RAM (MB)").fill("2048")
    form.get_by_label("Storage (GB)").fill("30")
    form.get_by_label("Operating system").select_option(label="Debian 7.1 64bit")
    form.get_by_role("button", name="Build server").click()

    expect(toast(page, "success")).to_contain_text(re.compile(r"Build started: task \d+"))
    [new] = SandboxServer.objects.filter(customer=sandbox_customer).exclude(sid__in=existing)
    assert (new.cpu, new.ram, new.storage, new.template) == (2, 2048, 30, "Debian 7.1 64bit")
    row = server_row(page, new.servername)
    status = row.locator("[data-testid=status]")
    # The new server shows up at once, installing, and the resources count it.
    expect(status).to_contain_text("Installing")
    expect(rows).to_have_count(4)
    expect(page.locator("#meter-cpu")).to_contain_text("6 free")
    # ...and comes up by itself once its build task is done.
    expect(status).to_contain_text("Powered On", timeout=POLLED_MS)

    row.locator("a.server-link").click()
    expect(page.locator("h1#server-name")).to_have_text(new.servername)
    page.get_by_test_id("delete-server").click()
    delete_form = page.locator("#delete-server-form")
    # A wrong name deletes nothing.
    delete_form.locator("input[name=confirm_name]").fill("cp-app")
    delete_form.get_by_role("button", name="Delete server").click()
    expect(delete_form.locator(".field-error")).to_be_visible()
    assert SandboxServer.objects.filter(pk=new.pk).exists()
    assert not new.tasks.filter(action="delete").exists()

    page.locator("#delete-server-form input[name=confirm_name]").fill(new.servername)
    page.locator("#delete-server-form").get_by_role("button", name="Delete server").click()

    expect(page).to_have_url(account_url + "/servers/")
    expect(page.locator(".message-success, #toasts .toast-success").first).to_contain_text(
        f"Deleting {new.servername}"
    )
    # Gone from the list once the provider has finished deleting it.
    expect(server_row(page, new.servername)).to_have_count(0, timeout=POLLED_MS)
    assert not SandboxServer.objects.filter(pk=new.pk).exists()

    page.goto(account_url + "/activity/")
    activity = page.locator("#activity tr.activity-row")
    expect(activity).to_have_count(2)
    newest, oldest = activity.nth(0), activity.nth(1)
    expect(newest).to_have_attribute("data-action", "delete")
    expect(oldest).to_have_attribute("data-action", "build")
    for step in (newest, oldest):
        expect(step.locator(".who")).to_have_text("alice")
        expect(step.locator(".server")).to_contain_text(new.servername)
        expect(step.locator(".outcome")).to_contain_text("Succeeded")
        expect(step.locator(".message")).to_contain_text(re.compile(r"task \d+"))


def fill_build_form(page, *, cpu, ram, storage, os="CentOS-7-64bit"):
    form = page.locator("#build-form")
    form.get_by_label("CPU cores").fill(str(cpu))
    form.get_by_label("RAM (MB)").fill(str(ram))
    form.get_by_label("Storage (GB)").fill(str(storage))
    form.get_by_label("Operating system").select_option(label=os)
    return form


def test_a_double_click_on_build_builds_one_server(
    signed_in_page, live_server, cac_account, sandbox_customer
):
    before = SandboxServer.objects.filter(customer=sandbox_customer).count()
    page = signed_in_page
    page.goto(f"{live_server.url}/accounts/{cac_account.pk}/cloudpro/")
    form = fill_build_form(page, cpu=1, ram=1024, storage=10)

    form.get_by_role("button", name="Build server").dblclick()

    expect(toast(page, "success")).to_contain_text("Build started")
    expect(page.locator("[data-testid=server-row]")).to_have_count(4)
    assert SandboxServer.objects.filter(customer=sandbox_customer).count() == before + 1


def test_build_values_beyond_the_free_resources_are_refused_before_sending(
    signed_in_page, live_server, cac_account, sandbox_customer
):
    before = SandboxServer.objects.filter(customer=sandbox_customer).count()
    page = signed_in_page
    page.goto(f"{live_server.url}/accounts/{cac_account.pk}/cloudpro/")
    # Within the documented limits (the browser checks those), beyond what the account has free.
    form = fill_build_form(page, cpu=9, ram=12288, storage=10)

    form.get_by_role("button", name="Build server").click()

    form = page.locator("#build-form")
    expect(form.locator(".field-error")).to_have_count(2)
    expect(form.locator(".field-error").first).to_contain_text("8")
    expect(form.get_by_label("CPU cores")).to_have_value("9")
    assert SandboxServer.objects.filter(customer=sandbox_customer).count() == before
    assert not ActionLog.objects.filter(action="build").exists()
