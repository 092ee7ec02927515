"""Badges read without colour; the filter and toasts live in app.js with no inline script."""

import re
import zoneinfo
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from django.utils.translation import gettext_lazy

from servers.cac.models import Server
from servers.templatetags import panel

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "servers"
STYLESHEET = Path(__file__).resolve().parents[2] / "static" / "catcpanel" / "app.css"


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


def test_the_usage_cell_has_a_percent_and_a_bar_per_resource():
    html = panel.server_usage(a_server())
    # No <meter>: one element a resource, its bar drawn by CSS (its length the u- class).
    assert "<meter" not in html
    assert html.count('<div class="usage-item') == 3
    # CPU usage counts every core: 261 on 4 cores is 65 %.
    assert '<div class="usage-item level-ok u-65">CPU <span class="usage-value">65%</span>' in html
    assert '<div class="usage-item level-ok u-25">RAM <span class="usage-value">25%</span>' in html
    assert (
        '<div class="usage-item level-bad u-95">Disk <span class="usage-value">95%</span>' in html
    )


@pytest.mark.parametrize(
    ("number", "step"),
    [
        ("0", 0),
        ("2", 0),
        ("3", 5),
        ("41", 40),
        ("43", 45),
        ("97", 95),
        ("98", 100),
        ("130", 100),
        ("-1", 0),
        ("", 0),
    ],
)
def test_a_bars_length_is_the_percent_to_the_nearest_5(number, step):
    assert panel.bar_step(number) == step


def test_every_bar_length_has_its_rule_in_the_stylesheet():
    css = STYLESHEET.read_text()
    for step in range(5, 101, 5):
        assert f".u-{step} {{ --u: {step}%; }}" in css


@pytest.mark.parametrize(
    ("percent", "level"),
    [(0, "ok"), (74, "ok"), (75, "warn"), (89, "warn"), (90, "bad"), (100, "bad"), ("", "ok")],
)
def test_usage_turns_amber_at_75_and_red_at_90(percent, level):
    assert panel.usage_level(percent) == level


def test_the_bars_colour_is_the_level_at_each_threshold():
    html = panel.server_usage(a_server(cpuusage=296, ramusage=3686, hdusage=19))
    assert 'level-ok u-75">CPU <span class="usage-value">74%' in html  # a bar of 75, still green
    assert 'level-bad u-90">RAM' in html  # 90 %
    html = panel.server_usage(a_server(cpuusage=300))
    assert 'level-warn u-75">CPU' in html  # 75 %


def test_the_server_pages_meter_agrees_with_the_level_at_each_threshold():
    # Chromium paints a meter amber once the value is above `low`, red above `high`.
    assert 'low="74" high="89" optimum="0" value="75"' in panel.usage_meter(75, "CPU")


def test_specs_read_as_cores_ram_and_disk():
    assert panel.specs(a_server()) == "4 vCPU · 4 GB · 20 GB"
    assert panel.specs(a_server(ram=1536, cpu=1)) == "1 vCPU · 1.5 GB · 20 GB"
    assert panel.specs(a_server(ram=512)) == "4 vCPU · 512 MB · 20 GB"


def test_ip_sort_key_orders_numerically():
    addresses = ["10.0.0.10", "10.0.0.9", "9.1.1.1"]
    assert sorted(addresses, key=panel.ip_key) == ["9.1.1.1", "10.0.0.9", "10.0.0.10"]


def test_a_copy_buttons_accessible_name_starts_with_copy():
    html = panel.copy_button("10.0.0.7", "IP address")
    assert html.startswith('<button type="button"')
    assert 'aria-label="Copy IP address"' in html and 'data-copy="10.0.0.7"' in html
    # Its icon is app.css's (a mask of copy.svg), not an <svg> in every button.
    assert 'data-testid="copy"></button>' in html and "<svg" not in html


def test_a_copy_button_escapes_what_it_copies_and_its_label():
    # A host name or password from the provider, a label that is lazy text: escaped like
    # format_html does, so nothing closes the attribute.
    html = panel.copy_button('x" onmouseover="alert(1)', gettext_lazy("<host> & name"))
    assert 'data-copy="x&quot; onmouseover=&quot;alert(1)"' in html
    assert 'aria-label="Copy &lt;host&gt; &amp; name"' in html
    assert 'onmouseover="' not in html


def test_the_copy_icons_url_is_hashed_by_collectstatic(tmp_path):
    # app.css refers to copy.svg by a relative url(), which the manifest storage rewrites to the
    # hashed name it writes (the image serves the hashed files, cached for good).
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
    (css,) = (tmp_path / "catcpanel").glob("app.*.css")
    names = set(re.findall(r'url\("(copy\.[0-9a-f]{12}\.svg)"\)', css.read_text()))
    assert len(names) == 1 and (tmp_path / "catcpanel" / names.pop()).is_file()


def test_a_time_names_the_viewers_zone_or_utc():
    moment = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    assert '2026-12-02 08:00:00</time> <span class="tz">UTC</span>' in panel.stamp(moment)
    with timezone.override(zoneinfo.ZoneInfo("Europe/Paris")):
        assert '09:00:00</time> <span class="tz">Europe/Paris</span>' in panel.stamp(moment)


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
    for template in TEMPLATES.parent.rglob("*.html"):
        text = template.read_text()
        # Scripts come from static files only: <script src=…>, never a body.
        assert "<script" not in text.replace("<script src=", ""), template
        assert "style=" not in text, template
        assert " on" + "click=" not in text and "hx-on" not in text, template
    # The tags built in Python follow the same rule.
    source = Path(panel.__file__).read_text()
    assert "style=" not in source and "<script" not in source
