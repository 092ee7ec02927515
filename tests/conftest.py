import pytest
from cryptography.fernet import Fernet
from django.core.cache import cache

from servers import crypto

pytest_plugins = ["tests.sandbox_fixtures"]

BENCHMARK_TABLE = "benchmark_table"


def pytest_terminal_summary(terminalreporter):
    """Print the quick benchmark's table, which a test recorded as a property of its report."""
    for report in terminalreporter.stats.get("passed", []):
        for name, value in getattr(report, "user_properties", []):
            if name == BENCHMARK_TABLE:
                terminalreporter.write_sep("-", "quick benchmark")
                terminalreporter.write_line(value.rstrip())


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Every test gets its own encryption key and an empty cache."""
    settings.CATCPANEL_FERNET_KEYS = [Fernet.generate_key().decode()]
    settings.CATCPANEL_FERNET_KEY_FILE = tmp_path / "fernet.key"
    crypto._multifernet.cache_clear()
    cache.clear()
    yield
    crypto._multifernet.cache_clear()
