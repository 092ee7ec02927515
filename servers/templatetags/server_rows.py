"""{% server_rows %}: the servers list's rows, built in Python.

A section's rows are the page's largest part, and they are rendered whenever a new copy of the
list comes from the provider. Django's template engine spent about 1.2 ms on a row (an include, a
dozen tags and filters); this builds the same markup in about a tenth of that, so a cold page of 25
accounts is not held up by its own rendering (docs/performance.md). Every value from the provider
or a person is escaped with `escape` (the standard library's, which Django's own calls; format_html
spent most of a row's time checking each value for lazy text). The fragments built by the other
tags are safe HTML already. The data-* attributes are what app.js sorts and filters by. A row's
cells have no data-label: on a phone the servers table is a card with no cell labels (app.css).
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from history.templatetags.history import usage_sparkline
from servers.templatetags.panel import (
    copy_button,
    ip_key,
    peak_usage,
    server_usage,
    specs,
    status_badge,
)

register = template.Library()

_ROW = (
    '<tr class="server-row" data-testid="server-row" data-server-id="{id}"'
    ' data-server-name="{name}"'
    ' data-account="{account}" data-search="{search}" data-status="{status}" data-type="{type}"'
    ' data-sort-ip="{sort_ip}" data-sort-usage="{sort_usage}">\n'
    "  {select}"
    '<td class="name-cell"><div class="name-line"><a class="server-link" href="{detail}">{name}</a>'
    "{chips}</div>{sub}</td>\n"
    '  <td class="status-cell">{badge}{pending}</td>\n'
    '  <td class="ip-cell"><span class="mono">{ip}</span>{copy}</td>\n'
    '  <td class="template-cell col-secondary" title="{template}"><div class="template-name">'
    '{template}</div><div class="row-sub">{specs}</div></td>\n'
    '  <td class="usage">{usage}{sparkline}</td>\n'
    "  {power}"
    "</tr>\n"
)
_SELECT = (
    '<td class="col-select"><input type="checkbox" class="row-select" form="bulk-form"'
    ' name="servers" value="{}:{}" data-name="{}" data-account-label="{}"'
    ' aria-label="Select {}"></td>\n'
)
# The action that makes sense now is a real submit button of the page's power form (works
# without JavaScript). The menu holds a link to the server page, which has all three buttons;
# app.js swaps in the other two from the page's template (_power_menu_template.html) when the
# menu is first opened, so a row does not carry them.
POWER_FORM = "power-form"  # templates/servers/_power_form.html

_POWER_OFF = (
    '<button type="submit" form="{form}" formaction="{url}" class="btn btn-small" name="action"'
    ' value="poweroff" data-testid="power-off" hx-post="{url}" hx-swap="none"'
    ' hx-disabled-elt="this" hx-confirm="Power off {name}? Anything running on it stops."'
    ' data-confirm-ok="Power off">Power off</button>'
)
_POWER_ON = (
    '<button type="submit" form="{form}" formaction="{url}" class="btn btn-small" name="action"'
    ' value="poweron" data-testid="power-on" hx-post="{url}" hx-swap="none"'
    ' hx-disabled-elt="this">Power on</button>'
)
_POWER = (
    '<td class="row-actions"><div class="power" role="group" aria-label="Power for {name}">\n'
    "  {button}\n"
    '  <details class="menu">\n'
    '    <summary class="btn btn-small btn-quiet" data-testid="power-menu"'
    ' aria-label="More power actions for {name}">⋯</summary>\n'
    '    <div class="menu-items"><a class="btn btn-small" href="{detail}"'
    ' data-testid="power-page">All power actions…</a></div>\n'
    "  </details>\n"
    "</div>\n</td>\n"
)
_PRO_CHIP = ' <span class="chip chip-pro">Cloud Pro</span>'
_SAFE_CHIP = ' <span class="chip chip-pending">safe mode</span>'
_PENDING_CHIP = ' <span class="chip chip-pending">task pending</span>'


# Any id the URL patterns accept; a row's URLs are these with the server's id in its place, one
# reverse() a section instead of two a row.
_ID = "0123456789"


@register.simple_tag(takes_context=True)
def server_rows(context) -> SafeString:
    """The rows of `servers` for the section in `context` (account, can_operate, pending_ids)."""
    account = context["account"]
    section = {
        "account": escape(str(account.pk)),
        "account_name": escape(account.name),
        "can_operate": context["can_operate"],
        "pending_ids": context["pending_ids"],
        "detail": reverse("server_detail", args=[account.pk, _ID]),
        "power": reverse("power", args=[account.pk, _ID]),
    }
    return mark_safe(  # noqa: S308 - every value in a row is escaped or safe HTML
        "".join(_row(server, account, section) for server in context["servers"])
    )


def _row(server, account, section: dict) -> str:
    server_id = escape(server.id)
    name = escape(server.name)
    detail = escape(section["detail"].replace(_ID, quote(server.id, safe="")))
    select = (
        _SELECT.format(section["account"], server_id, name, section["account_name"], name)
        if section["can_operate"]
        else ""
    )
    chips = (_PRO_CHIP if server.is_cloudpro else "") + (
        _SAFE_CHIP if server.mode == "Safe" else ""
    )
    power = ""
    if section["can_operate"]:
        url = escape(section["power"].replace(_ID, quote(server.id, safe="")))
        button = (_POWER_OFF if server.is_on else _POWER_ON).format(
            form=POWER_FORM, url=url, name=name
        )
        power = _POWER.format(name=name, button=button, detail=detail)
    template_name = escape(server.template)
    return _ROW.format(
        id=server_id,
        name=name,
        account=section["account"],
        search=escape(server.search_text),
        status=escape((server.status or "").lower()),
        type="cloudpro" if server.is_cloudpro else "other",
        sort_ip=escape(ip_key(server.ip)),
        sort_usage=f"{peak_usage(server):03d}",
        select=select,
        detail=detail,
        chips=chips,
        sub=_sub_line(server),
        badge=status_badge(server.status),
        pending=_PENDING_CHIP if server.id in section["pending_ids"] else "",
        ip=escape(server.ip),
        copy=copy_button(server.ip, "IP address") if server.ip else "",
        template=template_name,
        specs=escape(specs(server)),
        usage=server_usage(server),
        sparkline=usage_sparkline(account, server.id),
        power=power,
    )


def _sub_line(server) -> str:
    if server.hostname and server.hostname != "Not Assigned":
        hostname = escape(server.hostname)
        return f'<div class="row-sub" title="{hostname}">{hostname}</div>'
    if server.servername and server.servername != server.name:
        return f'<div class="row-sub mono">{escape(server.servername)}</div>'
    return ""
