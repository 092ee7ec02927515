"""Text from the provider, made storable: what a database column will take without raising."""

from __future__ import annotations


def storable(value, limit: int | None = None) -> str:
    """No NUL (PostgreSQL refuses it in text), no lone surrogate (no database can encode one,
    yet JSON may carry it), and at most `limit` characters."""
    text = "" if value is None else str(value)
    text = text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return text if limit is None else text[:limit]
