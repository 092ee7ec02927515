"""Encryption at rest of the stored Cloud at Cost credentials.

A MultiFernet over `CATCPANEL_FERNET_KEYS` (newest first), independent of SECRET_KEY, so that a
leaked SECRET_KEY does not open the credentials and a rotated SECRET_KEY does not lose them. A value
that cannot be decrypted raises: ciphertext is never handed back as if it were the secret.
"""

import logging
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.views.decorators.debug import sensitive_variables

logger = logging.getLogger(__name__)


class EncryptionKeyError(ImproperlyConfigured):
    """No usable key, or a key that is not a Fernet key."""

    # A template showing a login renders it empty instead of failing the whole page (a list of
    # accounts); a provider call raises, and catcpanel/middleware.py shows which account.
    silent_variable_failure = True


class DecryptionError(Exception):
    """A stored value was not encrypted under any of the configured keys."""

    silent_variable_failure = True

    def __init__(self):
        super().__init__(
            "A stored credential cannot be decrypted with the configured CATCPANEL_FERNET_KEYS: "
            "the key it was encrypted with is missing."
        )


@sensitive_variables()
def configured_keys() -> list[str]:
    """The keys from the environment, else the generated key file where that is allowed."""
    keys = [key.strip() for key in settings.CATCPANEL_FERNET_KEYS if key.strip()]
    if keys:
        return keys
    key_file = settings.CATCPANEL_FERNET_KEY_FILE
    if key_file.exists():
        return [key_file.read_text().strip()]
    if not settings.CATCPANEL_GENERATE_KEY:
        return []
    if held := stored_credentials():
        # The key file was lost (or the data folder moved): a new key would open none of these
        # and would be taken for the right one. No key: their pages say how to restore it.
        _refuse_once(key_file, held)
        return []
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    # O_EXCL: two workers starting together must not both write a different key.
    try:
        with open(key_file, "x", opener=_private_opener) as handle:
            handle.write(key + "\n")
    except FileExistsError:
        return [key_file.read_text().strip()]
    logger.warning(
        "No CATCPANEL_FERNET_KEYS set: generated an encryption key in %s. Back it up: the stored "
        "API keys cannot be read without it.",
        key_file,
    )
    return [key]


_refused: set[str] = set()

LOST_KEY_HINT = (
    "restore the key they were saved with in CATCPANEL_FERNET_KEYS (newest first) or the "
    "key file, then restart the panel"
)


def _refuse_once(key_file, held: list[str]) -> None:
    if str(key_file) in _refused:
        return
    _refused.add(str(key_file))
    logger.error(
        "The encryption key file %s is missing, but the database holds the encrypted credentials "
        "of %d account(s) (%s): no new key was generated. To read them, %s.",
        key_file,
        len(held),
        ", ".join(held),
        LOST_KEY_HINT,
    )


def stored_credentials() -> list[str]:
    """The names of the accounts whose credentials are stored (encrypted) in the database.

    Before the first migration there are none. A database that cannot be asked counts as holding
    some: generating a key over credentials would be the one mistake that cannot be undone.
    """
    from django.db import DatabaseError, connection

    from servers.models import CloudAccount

    try:
        held = list(CloudAccount.objects.order_by("name").values_list("name", flat=True))
        # allauth's two-factor secrets are encrypted with the same key (catcpanel/adapters.py).
        from allauth.mfa.models import Authenticator

        if people := Authenticator.objects.values("user").distinct().count():
            held.append(f"the two-factor secrets of {people} user(s)")
        return held
    except DatabaseError:
        try:
            tables = connection.introspection.table_names()
        except DatabaseError:
            return ["(the database could not be asked)"]
        if CloudAccount._meta.db_table in tables:
            return ["(the database could not be asked)"]
        return []


def readable(account) -> bool:
    try:
        decrypt(account.login_encrypted)
        decrypt(account.api_key_encrypted)
    except (DecryptionError, EncryptionKeyError):
        return False
    return True


def unreadable_accounts() -> list:
    """The accounts whose stored credentials none of the configured keys opens."""
    from servers.models import CloudAccount

    accounts = CloudAccount.objects.only("id", "name", "login_encrypted", "api_key_encrypted")
    return [account for account in accounts.order_by("name") if not readable(account)]


def _private_opener(path, flags):
    import os

    return os.open(path, flags, 0o600)


@lru_cache(maxsize=4)
@sensitive_variables()
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise EncryptionKeyError(
            "No encryption key: set CATCPANEL_FERNET_KEYS (generate one with "
            "`python manage.py generate_fernet_key`)."
        )
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError:
        raise EncryptionKeyError(
            "CATCPANEL_FERNET_KEYS holds a value that is not a Fernet key "
            "(32 url-safe base64-encoded bytes)."
        ) from None


@sensitive_variables()
def fernet() -> MultiFernet:
    return _multifernet(tuple(configured_keys()))


@sensitive_variables()
def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


@sensitive_variables()
def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError() from None


@sensitive_variables()
def rotate(token: str) -> str:
    """Re-encrypt under the newest key; raises DecryptionError when no key opens it."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError() from None
