from django.contrib import admin

from sandbox.models import SandboxCustomer, SandboxServer, SandboxTask


@admin.register(SandboxCustomer)
class SandboxCustomerAdmin(admin.ModelAdmin):
    """The switches are editable here as well as with `manage.py sandbox_config`."""

    list_display = ["login", "shape", "task_seconds", "rate_limit", "fail_rate", "maintenance"]
    search_fields = ["login"]


@admin.register(SandboxServer)
class SandboxServerAdmin(admin.ModelAdmin):
    list_display = ["sid", "label", "servername", "customer", "status", "mode", "servertype"]
    list_filter = ["status", "servertype"]
    # The simulated root and VNC passwords stay off the change form.
    exclude = ["rootpass", "vncpass"]


@admin.register(SandboxTask)
class SandboxTaskAdmin(admin.ModelAdmin):
    list_display = ["idf", "action", "status", "serverid", "customer", "started_at", "due_at"]
    list_filter = ["status", "action"]
