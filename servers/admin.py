from django.contrib import admin

from servers.models import ActionLog, CloudAccount


@admin.register(CloudAccount)
class CloudAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "base_url", "api_key_display", "last_success_at"]
    # The encrypted columns and the address the key is sent to are not editable here: they
    # change through the panel's own form, which asks for the key with a new address.
    readonly_fields = [
        "base_url",
        "api_key_display",
        "last_success_at",
        "last_error",
        "last_error_at",
    ]
    fields = ["name", "owner", *readonly_fields]


@admin.register(ActionLog)
class ActionLogAdmin(admin.ModelAdmin):
    """Read-only: the activity log is append-only everywhere, the admin included."""

    list_display = [
        "started_at",
        "user_name",
        "account_name",
        "server_name",
        "action",
        "outcome",
        "provider_code",
        "task_id",
    ]
    list_filter = ["outcome", "action"]
    search_fields = ["user_name", "account_name", "server_name", "message", "task_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
