"""Reads: what a user may see, and the provider's lists for it."""

from django.db.models import QuerySet

from servers.models import CloudAccount


def accounts_for(user) -> QuerySet[CloudAccount]:
    return CloudAccount.objects.filter(owner=user).order_by("name")
