"""The marks of a service page's charts (``studio/services/_chart.html``).

A chart has a few hundred marks; drawing each through template tags costs several
milliseconds per chart, so the marks are joined here, every value escaped by
``format_html``. The geometry comes from ``studio.services.charts``.
"""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from studio.services.charts import Chart

register = template.Library()


@register.simple_tag
def chart_bars(chart: Chart) -> SafeString:
    return format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" data-status="{}" data-count="{}"><title>{}</title></rect>',
        ((r.x, r.y, r.width, r.height, r.color, r.status, r.count, r.title) for r in chart.rects),
    )


@register.simple_tag
def chart_lines(chart: Chart) -> SafeString:
    groups = []
    for series in chart.series:
        lines = format_html_join(
            "",
            '<polyline points="{}" fill="none" stroke="{}" stroke-width="2" stroke-linejoin="round"/>',
            ((" ".join(f"{x},{y}" for x, y in segment), series.color) for segment in series.segments),
        )
        dots = format_html_join(
            "",
            '<circle cx="{}" cy="{}" r="2.5" fill="{}"><title>{}</title></circle>',
            ((x, y, series.color, title) for x, y, title in series.dots),
        )
        groups.append(format_html('<g data-series="{}">{}{}</g>', series.name, lines, dots))
    return format_html_join("", "{}", ((g,) for g in groups))
