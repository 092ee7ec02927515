"""Checks of what a person typed: names, host names and build sizes, with their limits.

The forms show these errors and the services re-check them; pure functions, no database.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

POWER_ACTIONS = {"poweron": "Power on", "poweroff": "Power off", "reset": "Reset"}
RUN_MODES = {"normal": "Normal", "safe": "Safe"}

BUILD_LIMITS = {"cpu": (1, 16, 1), "ram": (512, 32768, 4), "storage": (10, 1000, 10)}

SERVER_NAME_MAX = 64
HOSTNAME_MAX = 253
HOSTNAME_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def clean_server_name(value: str) -> str:
    name = (value or "").strip()
    if not name:
        raise ValidationError("Enter a name.")
    if len(name) > SERVER_NAME_MAX:
        raise ValidationError(f"Use at most {SERVER_NAME_MAX} characters.")
    if not name.isprintable():
        raise ValidationError("Use printable characters only: no tabs, line breaks or controls.")
    return name


def clean_hostname(value: str) -> str:
    """An RFC 1123 host name with at least two labels, as reverse DNS needs."""
    hostname = (value or "").strip().rstrip(".").lower()
    if not hostname:
        raise ValidationError("Enter a host name.")
    if len(hostname) > HOSTNAME_MAX:
        raise ValidationError(f"A host name has at most {HOSTNAME_MAX} characters.")
    labels = hostname.split(".")
    if len(labels) < 2:
        raise ValidationError("Use a full host name with a dot, such as host.example.com.")
    for label in labels:
        if not HOSTNAME_LABEL.match(label):
            raise ValidationError(
                "Each part between dots must be 1 to 63 letters, digits or hyphens, "
                "not starting or ending with a hyphen."
            )
    return hostname


def build_value_errors(values: dict, resources=None) -> dict[str, str]:
    """Field -> message for build values outside the documented limits or the free resources."""
    errors: dict[str, str] = {}
    units = {"cpu": "CPU", "ram": "MB", "storage": "GB"}
    for field, (low, high, step) in BUILD_LIMITS.items():
        value = values.get(field)
        if not isinstance(value, int):
            errors[field] = "Enter a whole number."
        elif not low <= value <= high:
            errors[field] = f"Use {low} to {high} {units[field]}."
        elif value % step:
            errors[field] = f"Use a multiple of {step}."
    if resources is not None:
        free = {
            "cpu": resources.cpu_free,
            "ram": resources.ram_free,
            "storage": resources.storage_free,
        }
        for field, available in free.items():
            value = values.get(field)
            if field not in errors and isinstance(value, int) and value > available:
                errors[field] = f"Only {available} {units[field]} free on this account."
    return errors
