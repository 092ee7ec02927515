"""Small presentation helpers: status badges that read without colour, ages, percents."""

import html

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeData, SafeString, mark_safe

register = template.Library()

# (css modifier, shape) per provider status: the shape tells them apart without colour.
STATUS_STYLES = {
    "powered on": ("on", "●"),
    "powered off": ("off", "■"),
    "installing": ("installing", "◐"),
    "pending on": ("pending", "◔"),
    "pending": ("pending", "◔"),
    "completed": ("on", "✓"),
}
OUTCOME_STYLES = {
    "success": ("on", "✓"),
    "failure": ("error", "✕"),
    "pending": ("pending", "◔"),
    "unknown": ("unknown", "?"),
}


def _escaped(value) -> str:
    """`value` escaped as `format_html` escapes it (safe HTML stays as it is), without its
    checks for lazy text: the helpers below run several times for every row of the servers list,
    and `format_html` took 40 µs of a row (docs/performance.md)."""
    return value if isinstance(value, SafeData) else html.escape(str(value))


# Built in Python rather than an included template: a list of a thousand servers has a thousand.
_BADGE = (
    '<span class="badge badge-{}" data-testid="status">'
    '<span class="badge-shape" aria-hidden="true">{}</span> {}</span>'
)


def _badge(kind: str, shape: str, text: str) -> SafeString:
    return mark_safe(_BADGE.format(kind, shape, _escaped(text)))  # noqa: S308 - escaped


@register.simple_tag
def status_badge(status: str):
    kind, shape = STATUS_STYLES.get((status or "").lower(), ("unknown", "?"))
    return _badge(kind, shape, status or "Unknown")


@register.simple_tag
def outcome_badge(log):
    kind, shape = OUTCOME_STYLES.get(log.outcome, ("unknown", "?"))
    return _badge(kind, shape, log.get_outcome_display())


@register.filter
def whole(value) -> str:
    """A number rounded to a whole one ('42'), or '' if it is not a number."""
    try:
        return f"{float(value):.0f}"
    except (TypeError, ValueError):
        return ""


# Usage turns amber at USAGE_WARN % and red at USAGE_BAD % (docs/ui.md): below 75 % a server
# has room; from 90 % it is about to run out (a full disk stops it, a full RAM swaps).
USAGE_WARN = 75
USAGE_BAD = 90


def usage_level(percent) -> str:
    """'ok', 'warn' or 'bad' for a usage percent (the meter's colour, and the text's)."""
    try:
        value = float(percent)
    except (TypeError, ValueError):
        return "ok"
    if value >= USAGE_BAD:
        return "bad"
    return "warn" if value >= USAGE_WARN else "ok"


# The list's usage bars are drawn by CSS (app.css, "usage"): a <meter> per resource made each row
# heavy for the browser (three shadow trees a row). The class `u-N` gives the bar's length in 5 %
# steps, `level-*` its colour; the text ("CPU 41%") is the reading, the bar is decoration.
_BAR = '<div class="usage-item level-{} u-{}">{} <span class="usage-value">{}%</span></div>'


def bar_step(number: str) -> int:
    """A whole percent rounded to the nearest 5 (half up), within 0-100: the bar's `u-` class."""
    try:
        value = int(number)
    except (TypeError, ValueError):
        return 0
    return min(100, max(0, (value + 2) // 5 * 5))


@register.simple_tag
def server_usage(server):
    """A server row's usage cell: CPU, RAM and disk, each its percent over a small bar. Built in
    Python for the same reason as the badges."""
    lines = (
        ("CPU", whole(server.cpu_percent) or "0"),
        ("RAM", whole(server.ram_percent) or "0"),
        ("Disk", whole(server.disk_percent) or "0"),
    )
    # Each number is a float formatted by `whole` (digits, a sign, "inf", "nan"): nothing to escape.
    items = "".join(_BAR.format(usage_level(n), bar_step(n), label, n) for label, n in lines)
    return mark_safe(f'<div class="usage-mini">{items}</div>')  # noqa: S308 - digits and labels


@register.filter
def level(percent) -> str:
    return usage_level(percent)


@register.simple_tag
def usage_meter(percent, label):
    """One meter on the server page, with the same colours as the list's."""
    number = whole(percent) or "0"
    return format_html(
        '<meter class="level-{}" min="0" max="100" low="{}" high="{}" optimum="0" value="{}" '
        'aria-label="{} usage">{}%</meter>',
        usage_level(number),
        USAGE_WARN - 1,
        USAGE_BAD - 1,
        number,
        label,
        number,
    )


def memory(megabytes) -> str:
    """RAM for people: '512 MB', '4 GB', '1.5 GB'."""
    try:
        value = int(megabytes)
    except (TypeError, ValueError):
        return ""
    if value < 1024:
        return f"{value} MB"
    gigabytes = value / 1024
    return f"{gigabytes:.0f} GB" if gigabytes == int(gigabytes) else f"{gigabytes:.1f} GB"


@register.filter
def specs(server) -> str:
    """'4 vCPU · 4 GB · 20 GB': cores, RAM and disk in one short line."""
    parts = []
    if server.cpu:
        parts.append(f"{server.cpu} vCPU")
    if server.ram:
        parts.append(memory(server.ram))
    if server.storage:
        parts.append(f"{server.storage} GB")
    return " · ".join(parts)


@register.filter
def pct(value) -> str:
    number = whole(value)
    return f"{number}%" if number else ""


@register.filter
def age(moment) -> str:
    """'12 s', '5 min', '3 h', '2 d' since `moment`."""
    if not moment:
        return ""
    seconds = int((timezone.now() - moment).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{max(seconds, 0)} s"


@register.filter
def hexid(account) -> str:
    return account.pk.hex


ACTION_LABELS = {
    "poweron": "Power on",
    "poweroff": "Power off",
    "reset": "Reset",
    "runmode": "Run mode",
    "rename": "Rename",
    "rdns": "Reverse DNS",
    "console": "Console",
    "build": "Build",
    "delete": "Delete server",
    "account.add": "Account added",
    "account.update": "Account changed",
    "account.delete": "Account deleted",
    "reveal_password": "Passwords revealed",
    "member_added": "Member added",
    "member_role_changed": "Member's role changed",
    "member_removed": "Member removed",
    "member_left": "Member left",
    "two_factor_required": "Two-factor sign-in required",
    "two_factor_optional": "Two-factor sign-in made optional",
    "ownership_transferred": "Ownership transferred",
    "invitation_created": "Invitation created",
    "invitation_revoked": "Invitation revoked",
    "invitation_accepted": "Invitation accepted",
    "invitation_declined": "Invitation declined",
}


@register.filter
def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    if label is None:
        # An action recorded before it got a label still reads as words, not as a code.
        label = " ".join(str(action).replace(".", " ").replace("_", " ").split()).capitalize()
    return label or "—"


@register.filter
def params(values) -> str:
    """An ActionLog's parameters as `key=value` pairs (they never hold secrets)."""
    if not values:
        return ""
    if isinstance(values, dict):
        return ", ".join(
            f"{key}={', '.join(map(str, value)) if isinstance(value, list) else value}"
            for key, value in values.items()
        )
    return str(values)


@register.filter
def ip_key(ip: str) -> str:
    """An IPv4 address as a string that sorts in numeric order ('10.0.0.9' before '10.0.0.10')."""
    parts = (ip or "").split(".")
    if len(parts) == 4 and all(part.isdigit() for part in parts):
        return ".".join(f"{int(part):03d}" for part in parts)
    return ip or ""


@register.filter
def peak_usage(server) -> int:
    """The highest of CPU, RAM and disk usage: what the list sorts 'Usage' by."""
    return round(max(server.cpu_percent, server.ram_percent, server.disk_percent))


@register.simple_tag
def copy_button(value, what: str):
    """A button that copies `value` (app.js); its accessible name starts with "Copy". Its icon is
    drawn by app.css (.copy-btn::before, masked by copy.svg) rather than an inline <svg>: the
    servers list has one a row."""
    value, what = _escaped(value), _escaped(what)
    return mark_safe(  # noqa: S308 - escaped
        f'<button type="button" class="btn btn-icon copy-btn" data-copy="{value}"'
        f' aria-label="Copy {what}" title="Copy {what}" data-testid="copy"></button>'
    )


@register.simple_tag(takes_context=True)
def can_operate_any(context, accounts) -> bool:
    """Whether the signed-in user may power servers on at least one of `accounts` (bulk bar)."""
    from servers import permissions

    user = context["request"].user
    return any(
        permissions.has_capability(user, account, permissions.OPERATE) for account in accounts
    )


@register.filter
def stamp(moment):
    """A time in the viewer's zone, with the zone's name: '2026-12-02 09:14:03 Europe/Paris'."""
    if not moment:
        return ""
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    return format_html(
        '<time datetime="{}">{}</time> <span class="tz">{}</span>',
        moment.isoformat(),
        local.strftime("%Y-%m-%d %H:%M:%S"),
        timezone.get_current_timezone_name(),
    )


@register.simple_tag
def first_pending(tasks):
    """The first of a server's tasks that the provider still reports pending, or None."""
    return next((task for task in tasks or [] if getattr(task, "is_pending", False)), None)
