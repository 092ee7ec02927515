"""Badges read without colour; the filter and toasts live in app.js with no inline script."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

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
