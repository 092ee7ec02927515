"""An account's Tasks and Templates pages."""

from django.utils import timezone
from playwright.sync_api import expect

from sandbox import services as sandbox
from sandbox.demo import DOCS_TEMPLATES
from sandbox.models import SandboxServer, SandboxTask
from tests.e2e.conftest import POLLED_MS


def test_tasks_list_pending_first_then_stop_polling_once_done(
    signed_in_page, live_server, cac_account, sandbox_customer
):
    # The demo's stuck build would keep the list polling forever: let it finish now.
    SandboxTask.objects.filter(customer=sandbox_customer, status="pending").update(
        due_at=timezone.now()
    )
    sandbox_customer.task_seconds = 4
    sandbox_customer.save(update_fields=["task_seconds"])
    db = SandboxServer.objects.get(customer=sandbox_customer, label="db-01")
    task = sandbox.power(sandbox_customer, db.sid, "poweron")
    page = signed_in_page

    page.goto(f"{live_server.url}/accounts/{cac_account.pk}/tasks/")

    slot = page.locator("#tasks-slot")
    first = page.locator("#tasks tr.task-row").first
    expect(first).to_have_attribute("data-task-id", str(task.idf))
    expect(first).to_have_attribute("data-status", "pending")
    expect(first).to_contain_text("db-01")
    expect(first).to_contain_text("poweron")
    expect(slot).to_have_attribute("data-polling", "yes")

    # The page polls by itself, sees the task finish, and stops polling.
    done = page.locator(f'#tasks tr.task-row[data-task-id="{task.idf}"]')
    expect(done).to_have_attribute("data-status", "completed", timeout=POLLED_MS)
    expect(slot).to_have_attribute("data-polling", "no")
    assert "every" not in (slot.get_attribute("hx-trigger") or "")
    expect(page.locator('#tasks tr.task-row[data-status="pending"]')).to_have_count(0)


def test_templates_are_listed(signed_in_page, live_server, cac_account):
    page = signed_in_page
    page.goto(f"{live_server.url}/accounts/{cac_account.pk}/templates/")

    rows = page.locator("#templates tbody tr")
    expect(rows).to_have_count(len(DOCS_TEMPLATES))
    for template_id, name in DOCS_TEMPLATES:
        row = rows.filter(has=page.get_by_role("cell", name=name, exact=True))
        expect(row.get_by_role("cell", name=template_id, exact=True)).to_have_count(1)
