"""CloudAccount changes: add, update (credentials re-encrypted, old cached lists set aside),
delete, and a connection check. No provider write; each change gets a finished activity row.
"""

from __future__ import annotations

from django.views.decorators.debug import sensitive_variables

from servers import cache as shared_cache
from servers import selectors
from servers.models import CloudAccount
from servers.services.actionlog import _record
from servers.services.errors import ServiceError


@sensitive_variables("login", "api_key")
def add_account(user, *, name: str, login: str, api_key: str, base_url: str) -> CloudAccount:
    account = CloudAccount(name=name, owner=user, base_url=base_url)
    account.set_credentials(login=login, api_key=api_key)
    account.save()
    _record(account, user, "account.add", {"name": name, "base_url": base_url})
    return account


@sensitive_variables("login", "api_key")
def update_account(
    account: CloudAccount,
    user,
    *,
    name: str,
    login: str,
    api_key: str | None,
    base_url: str,
) -> CloudAccount:
    """Save changes; a blank (None) API key keeps the stored one.

    A new address or login needs the key typed with it: otherwise the stored key would be sent
    to an address that nobody who knows it chose.
    """
    if not api_key and (base_url != account.base_url or login != account.login):
        raise ServiceError("Type the API key to change the API address or the login.")
    changed = []
    if name != account.name:
        changed.append("name")
    if base_url != account.base_url:
        changed.append("base_url")
    if login != account.login:
        changed.append("login")
    if api_key:
        changed.append("api_key")
    new_source = bool({"base_url", "login", "api_key"} & set(changed))
    if new_source and not shared_cache.available():
        # The cached lists could not be marked as the old credentials': refuse rather than show
        # them as the new ones' once the cache is back.
        raise ServiceError(
            "The panel's shared cache is not answering, so the old credentials' cached lists "
            "cannot be set aside: nothing was changed. Try again in a minute."
        )
    account.name = name
    account.base_url = base_url
    account.set_credentials(login=login, api_key=api_key or None)
    account.save()
    if new_source:
        # Lists fetched with the old credentials must not be shown as this account's.
        selectors.forget_account(account)
    _record(account, user, "account.update", {"changed": changed})
    return account


def delete_account(account: CloudAccount, user) -> None:
    _record(account, user, "account.delete", {"name": account.name})
    selectors.forget_account(account)
    account.delete()


def check_connection(account: CloudAccount) -> int:
    """The number of servers the provider lists for the account; raises CacError on failure."""
    fetched = selectors.servers_for(account, refresh=True)
    if fetched.error is not None:
        raise fetched.error
    return len(fetched.data or [])
