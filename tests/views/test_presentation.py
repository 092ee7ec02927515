"""Badges read without colour; the filter and toasts live in app.js with no inline script."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from servers.cac.models import Server
from servers.templatetags import panel

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "servers"


@pytest.mark.parametrize(
    ("status", "css", "shape"),
    [
        ("Powered On", "badge-on", "●"),
        ("Powered Off", "badge-off", "■"),
        ("Installing", "badge-installing", "◐"),
        ("Pending On", "badge-pending", "◔"),
        ("Exploded", "badge-unknown", "?"),
    ],
)
def test_status_badge_has_words_a_shape_and_a_colour_class(status, css, shape):
    html = panel.status_badge(status)
    assert status in html and css in html and shape in html


def test_a_status_from_the_provider_is_escaped_in_its_badge():
    html = panel.status_badge("<b>Odd</b>")
    assert "<b>" not in html and "&lt;b&gt;Odd&lt;/b&gt;" in html


@pytest.mark.parametrize(
    ("value", "number", "percent"),
    [("41.6", "42", "42%"), (7, "7", "7%"), (None, "", ""), ("n/a", "", "")],
)
def test_numbers_from_the_provider_round_or_stay_blank(value, number, percent):
    assert panel.whole(value) == number
    assert panel.pct(value) == percent


def a_server(**fields):
    item = {"id": "7", "label": "web-01", "cpu": 4, "cpuusage": 261, "ram": 4096}
    return Server.from_api({**item, "ramusage": 1024, "storage": 20, "hdusage": 19, **fields})


def test_the_usage_cell_has_a_meter_and_a_percent_per_resource():
    html = panel.server_usage(a_server())
    assert html.count("<meter") == 3
    # CPU usage counts every core: 261 on 4 cores is 65 %.
    assert '<span class="usage-label">CPU 4</span>' in html
    assert (
        'value="65" high="85" optimum="10">65%</meter><span class="usage-value">65%</span>' in html
    )
    assert '<span class="usage-label">RAM 4096 MB</span>' in html and ">25%<" in html
    assert '<span class="usage-label">Disk 20 GB</span>' in html and 'value="95" high="90"' in html


def test_the_filter_looks_in_every_name_address_and_state_of_a_server():
    server = a_server(
        servername="c123-456",
        ip="10.0.0.7",
        hostname="web.example",
        template="Ubuntu 22",
        status="Powered On",
        rdns="",
        mode="safe",
    )
    # An empty field leaves no double space behind.
    assert server.search_text == "web-01 c123-456 10.0.0.7 web.example Ubuntu 22 Powered On Safe"


def test_age_is_short_and_human():
    now = timezone.now()
    assert panel.age(now - timedelta(seconds=5)) == "5 s"
    assert panel.age(now - timedelta(minutes=3)) == "3 min"
    assert panel.age(now - timedelta(hours=2)) == "2 h"
    assert panel.age(now - timedelta(days=4)) == "4 d"
    assert panel.age(None) == ""


def test_no_template_has_inline_script_or_style():
    """A strict Content-Security-Policy comes next: nothing inline may depend on it being lax."""
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert "<script" not in text, template
        assert "style=" not in text, template
        assert " on" + "click=" not in text and "hx-on" not in text, template
