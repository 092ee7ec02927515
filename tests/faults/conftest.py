"""The cast for fault tests: the view tests' owner client, reused."""

from tests.views.conftest import _fast_client, owner  # noqa: F401
