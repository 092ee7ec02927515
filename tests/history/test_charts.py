"""Charts and sparklines drawn from recorded samples: gaps stay gaps, the page stays accessible,
and a servers list costs one history query however many rows it has."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext

from history import sampling
from history.models import HourlyUsage, Sample, TrackedServer
from tests.history.conftest import at, sandbox_servers
from tests.sandbox_fixtures import sandbox_account

HTMX = {"HTTP_HX_REQUEST": "true"}


def rounds(minutes, customer=None, fail=()):
    for minute in minutes:
        cache.clear()
        if customer is not None:
            customer.maintenance = minute in fail
            customer.save()
        sampling.run_round(at(minute))


def chart(page: str, key: str) -> str:
    match = re.search(rf'data-testid="usage-chart-{key}">(.*?)</figure>', page, re.S)
    assert match, f"no {key} chart"
    return match.group(1)


def line(svg: str, metric: str) -> str:
    return re.search(rf'class="line line-{metric}" d="([^"]*)"', svg).group(1)


@pytest.fixture
def running_server(sandbox_customer):
    return next(s for s in sandbox_servers(sandbox_customer) if s.status == "Powered On")


def test_server_page_draws_three_charts_with_a_gap_where_the_provider_failed(
    owner, cac_account, sandbox_customer, running_server
):
    # Readings every 5 minutes, the provider down for three rounds in the middle.
    rounds(range(0, 50, 5), sandbox_customer, fail={20, 25, 30})
    page = owner.get(f"/accounts/{cac_account.pk}/servers/{running_server.sid}/").content.decode()
    day = chart(page, "24h")
    assert 'role="img"' in day and "<title" in day and "<desc" in day
    assert 'data-points="7"' in day and 'data-runs="2"' in day
    # Two separate stretches of line, not one line dipping to zero.
    for metric in ("cpu", "ram", "disk"):
        assert line(day, metric).count("M") == 2
    assert "no readings in 1 stretch" in day
    # The text summary matches the stored figures.
    tracked = TrackedServer.objects.get(account=cac_account, server_id=running_server.sid)
    cpu = [s.cpu / 10 for s in Sample.objects.filter(server=tracked).order_by("minute")]
    assert f"latest {cpu[-1]:.0f} %" in day
    assert f"highest {max(cpu):.0f} %" in day
    for key in ("7d", "30d"):
        assert 'role="img"' in chart(page, key)
    # No inline style anywhere in what the charts add (the CSP forbids it).
    section = page.split('data-testid="usage-history"')[1].split("</section>")[0]
    assert "style=" not in section


def test_long_spans_draw_the_hourly_rows_with_their_range(owner, cac_account, running_server):
    rounds(range(0, 130, 5))  # two complete hours, downsampled by the later rounds
    tracked = TrackedServer.objects.get(account=cac_account, server_id=running_server.sid)
    hours = list(HourlyUsage.objects.filter(server=tracked).order_by("hour"))
    assert len(hours) == 2
    page = owner.get(f"/accounts/{cac_account.pk}/servers/{running_server.sid}/").content.decode()
    week = chart(page, "7d")
    assert 'data-points="2"' in week and 'data-runs="1"' in week
    assert 'class="band band-cpu"' in week
    assert f"highest {max(h.cpu_max for h in hours) / 10:.0f} %" in week


def test_a_server_without_history_says_so(owner, cac_account, running_server):
    page = owner.get(f"/accounts/{cac_account.pk}/servers/{running_server.sid}/").content.decode()
    assert "No readings in the last 24 hours." in chart(page, "24h")


def test_each_row_of_the_servers_list_has_a_sparkline(owner, cac_account, sandbox_customer):
    rounds(range(0, 30, 5))
    response = owner.get(f"/accounts/{cac_account.pk}/servers/", **HTMX)
    page = response.content.decode()
    assert page.count('data-testid="sparkline"') == len(sandbox_servers(sandbox_customer))
    assert re.search(r'<svg class="sparkline"[^>]*role="img"[^>]*aria-label="CPU over', page)


def test_sparklines_cost_one_query_for_the_whole_list(cac_account, sandbox_customer):
    rounds(range(0, 30, 5))
    ids = [s.sid for s in sandbox_servers(sandbox_customer)]
    template = Template(
        "{% load history %}{% for id in ids %}{% usage_sparkline account id %}{% endfor %}"
    )
    with CaptureQueriesContext(connection) as queries:
        html = template.render(Context({"account": cac_account, "ids": ids}))
    assert html.count("<svg") == len(ids) > 1
    assert len(queries) == 1


def test_the_servers_page_reads_every_accounts_sparklines_in_one_query(
    owner, user, cac_account, sandbox_api_url
):
    other = sandbox_account(user, sandbox_api_url, "Bob")
    rounds(range(0, 30, 5))
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        page = b"".join(owner.get("/").streaming_content).decode()
    assert len([q for q in queries if "history_sample" in q["sql"]]) == 1
    # Each account's rows got their own servers' lines (a demo customer has eight).
    for account in (cac_account, other):
        block = page.split(f'id="account-{account.pk}"')[1].split("</section>")[0]
        assert block.count('data-testid="sparkline"') == 8
    # Rows already rendered for this copy of the lists read none.
    with CaptureQueriesContext(connection) as queries:
        again = b"".join(owner.get("/").streaming_content).decode()
    assert not [q for q in queries if "history_sample" in q["sql"]]
    assert again.count('data-testid="sparkline"') == 16


def test_a_sparkline_breaks_where_rounds_failed(cac_account, sandbox_customer, running_server):
    # Readings in the first and last half hours only: an hour without any in between.
    rounds([0, 5, 10, 15, 20, 25, 90, 95, 100], sandbox_customer)
    html = Template("{% load history %}{% usage_sparkline account id %}").render(
        Context({"account": cac_account, "id": running_server.sid})
    )
    assert 'data-runs="2"' in html
