"""System checks with stable ids (documented in README and SECURITY.md)."""

from django.core.checks import Error, register

from servers import crypto


@register()
def check_encryption_keys(app_configs=None, **kwargs):
    try:
        keys = crypto.configured_keys()
    except OSError as exc:
        return [
            Error(
                f"Cannot read or create the encryption key file: {exc.strerror}.",
                id="catcpanel.E001",
            )
        ]
    if not keys:
        return [
            Error(
                "No encryption key for stored credentials.",
                hint="Set CATCPANEL_FERNET_KEYS (newest first); generate one with "
                "`python manage.py generate_fernet_key`.",
                id="catcpanel.E001",
            )
        ]
    try:
        crypto._multifernet(tuple(keys))
    except crypto.EncryptionKeyError as exc:
        return [Error(str(exc), id="catcpanel.E002")]
    return []
