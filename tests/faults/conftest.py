"""The cast for fault tests: the view tests' owner client, and real processes to break."""

import pytest

from tests.faults import stack as stacks
from tests.views.conftest import _fast_client, owner  # noqa: F401


@pytest.fixture(scope="session")
def provider(tmp_path_factory):
    """The sandbox as a provider process of its own, shared: each stack has its own customer."""
    made = stacks.Provider(tmp_path_factory.mktemp("provider"))
    yield made
    made.stop()


@pytest.fixture(scope="session")
def panel_template(tmp_path_factory):
    """A migrated panel database (SQLite, or on DATABASE_URL's PostgreSQL), copied per stack."""
    server = stacks.postgres_of_the_environment()
    made = stacks.Template(tmp_path_factory.mktemp("template"), server)
    yield made
    made.drop()


@pytest.fixture
def stack(tmp_path, provider, panel_template):
    made = stacks.build(tmp_path, provider, panel_template)
    try:
        yield made
    finally:
        made.stop()
