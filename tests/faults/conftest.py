"""The cast for fault tests: the view tests' owner client, and real processes to break."""

import pytest

from tests.faults import stack as stacks
from tests.views.conftest import _fast_client, owner  # noqa: F401


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory):
    """One migrated SQLite database, copied by the provider and by SQLite panels."""
    return stacks.migrated_sqlite(tmp_path_factory.mktemp("migrated"))


@pytest.fixture(scope="session")
def provider(tmp_path_factory, migrated_sqlite):
    """The sandbox as a provider process of its own, shared: each stack has its own customer."""
    made = stacks.Provider(tmp_path_factory.mktemp("provider"), migrated_sqlite)
    yield made
    made.stop()


@pytest.fixture(scope="session")
def panel_template(tmp_path_factory, migrated_sqlite):
    """A migrated panel database (SQLite, or on DATABASE_URL's PostgreSQL), copied per stack."""
    server = stacks.postgres_of_the_environment()
    made = stacks.Template(tmp_path_factory.mktemp("template"), server, migrated_sqlite)
    yield made
    made.drop()


@pytest.fixture
def stack(tmp_path, provider, panel_template):
    made = stacks.build(tmp_path, provider, panel_template)
    try:
        yield made
    finally:
        made.stop()
