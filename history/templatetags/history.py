"""{% usage_charts account server_id %} for the server page, {% usage_sparkline account server_id %}
for a servers-list row. Both read the database only, never the provider."""

import math

from django import template
from django.utils.safestring import mark_safe

from history import charts, series
from history.sampling import interval_minutes

register = template.Library()


@register.inclusion_tag("history/_usage_charts.html")
def usage_charts(account, server):
    server_id = getattr(server, "id", server)
    tracked = series.tracked_server(account, server_id)
    name = tracked.name if tracked and tracked.name else f"server {server_id}"
    items = []
    for span in series.SPANS:
        data = series.series_for(tracked, span)
        chart_id = f"usage-{span.key}-{server_id}"
        items.append(
            {
                "span": span,
                "id": chart_id,
                "svg": mark_safe(  # noqa: S308 - built from numbers and escaped text
                    charts.chart_svg(
                        data,
                        chart_id=chart_id,
                        title=f"CPU, RAM and disk usage of {name}, last {span.label}",
                    )
                ),
                "summary": charts.summary(data),
            }
        )
    return {"charts": items, "tracked": tracked, "sample_minutes": interval_minutes()}


@register.simple_tag
def usage_sparkline(account, server_id):
    lines = series.sparklines_for(account)
    first = account.__dict__["_history_sparkline_first_slot"]
    gap = max(1.0, math.ceil(interval_minutes() / series.SPARK_SLOT_MINUTES)) * 1.5
    return mark_safe(  # noqa: S308 - built from numbers and escaped text
        charts.sparkline_svg(lines.get(str(server_id), []), first, gap)
    )
