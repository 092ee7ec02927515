"""Reads for the activity log: an account's rows filtered by server, user and action, and the
values those filters offer.

Every function starts from the one account the permissions helper loaded, so a filter narrows that
account's rows and can never reach another account's: a server id or user name from elsewhere
simply matches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Max, QuerySet

from servers.models import ActionLog, CloudAccount

PAGE_SIZE = 25


@dataclass(frozen=True)
class ActivityFilters:
    server: str = ""
    user: str = ""
    action: str = ""

    @classmethod
    def from_query(cls, query, *, server: str | None = None) -> ActivityFilters:
        """From the page's GET parameters; `server` fixes the server (a server's own page)."""

        def value(name: str, longest: int) -> str:
            # Longer than the column could hold matches nothing anyway: cut, don't fail.
            return str(query.get(name) or "").strip()[:longest]

        return cls(
            server=str(server) if server is not None else value("server", 40),
            user=value("user", 150),
            action=value("action", 40),
        )

    @property
    def active(self) -> bool:
        return bool(self.server or self.user or self.action)


def activity(account: CloudAccount, filters: ActivityFilters) -> QuerySet[ActionLog]:
    rows = ActionLog.objects.filter(account=account)
    if filters.server:
        rows = rows.filter(server_id=filters.server)
    if filters.user:
        rows = rows.filter(user_name=filters.user)
    if filters.action:
        rows = rows.filter(action=filters.action)
    return rows.order_by("-started_at", "-id")


def page_of(rows: QuerySet[ActionLog], number) -> Page:
    return Paginator(rows, PAGE_SIZE).get_page(number)


@dataclass(frozen=True)
class FilterChoices:
    servers: list[tuple[str, str]]  # (server id, its latest name)
    users: list[str]
    actions: list[str]


def filter_choices(account: CloudAccount, *, server: str | None = None) -> FilterChoices:
    """What the account's own rows hold: the filters offer nothing that would show no row."""
    rows = ActionLog.objects.filter(account=account).order_by()
    if server is not None:
        rows = rows.filter(server_id=str(server))
    names: dict[str, str] = {}
    pairs = (
        rows.exclude(server_id="")
        .values("server_id", "server_name")
        .annotate(last=Max("started_at"))
        .order_by("last")
    )
    for row in pairs:
        # Oldest first, so a renamed server ends up under the name it had most recently.
        if row["server_name"] or row["server_id"] not in names:
            names[row["server_id"]] = row["server_name"]
    servers = sorted(
        ((sid, name or sid) for sid, name in names.items()),
        key=lambda pair: (pair[1].lower(), pair[0]),
    )
    users = sorted(
        rows.exclude(user_name="").values_list("user_name", flat=True).distinct(), key=str.lower
    )
    actions = sorted(rows.values_list("action", flat=True).distinct())
    return FilterChoices(servers=servers, users=users, actions=actions)
