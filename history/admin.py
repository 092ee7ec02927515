from django.contrib import admin

from history.models import Delivery, Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "kind", "summary")
    list_filter = ("kind",)
    readonly_fields = [field.name for field in Event._meta.fields]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The delivery log, for an administrator finding out why a message did not arrive."""

    list_display = ("created_at", "event", "user", "channel", "state", "attempts", "last_error")
    list_filter = ("state", "channel")
    readonly_fields = [field.name for field in Delivery._meta.fields]
