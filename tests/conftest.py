import pytest
from cryptography.fernet import Fernet
from django.core.cache import cache

from servers import crypto

pytest_plugins = ["tests.sandbox_fixtures"]


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Every test gets its own encryption key and an empty cache."""
    settings.CATCPANEL_FERNET_KEYS = [Fernet.generate_key().decode()]
    settings.CATCPANEL_FERNET_KEY_FILE = tmp_path / "fernet.key"
    crypto._multifernet.cache_clear()
    cache.clear()
    yield
    crypto._multifernet.cache_clear()
