"""Small presentation helpers: status badges that read without colour, ages, percents."""

from django import template
from django.utils import timezone
from django.utils.html import format_html, format_html_join

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


# Built in Python rather than an included template: a list of a thousand servers has a thousand.
def _badge(kind: str, shape: str, text: str) -> str:
    return format_html(
        '<span class="badge badge-{}" data-testid="status">'
        '<span class="badge-shape" aria-hidden="true">{}</span> {}</span>',
        kind,
        shape,
        text,
    )


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


@register.simple_tag
def server_usage(server):
    """A server row's usage cell: CPU, RAM and disk, each with a meter and its percent. Built in
    Python for the same reason as the badges."""
    lines = (
        (f"CPU {server.cpu}", whole(server.cpu_percent), 85),
        (f"RAM {server.ram} MB", whole(server.ram_percent), 85),
        (f"Disk {server.storage} GB", whole(server.disk_percent), 90),
    )
    return format_html_join(
        "",
        '<div class="usage-line"><span class="usage-label">{}</span>'
        '<meter min="0" max="100" value="{}" high="{}" optimum="10">{}%</meter>'
        '<span class="usage-value">{}%</span></div>',
        ((label, number, high, number, number) for label, number, high in lines),
    )


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
