"""Read the charts a page draws (templates/macros/charts.html) back into their figures."""
from __future__ import annotations

import html
import json
import re

CHART = re.compile(r'<figure class="tz-chart" id="([^"]+)">.*?<canvas data-chart=\'([^\']*)\'', re.S)


def chart_specs(page: str) -> dict[str, dict]:
    """Each chart's id and the figures its canvas is drawn from (the JSON in ``data-chart``)."""
    return {chart_id: json.loads(html.unescape(spec)) for chart_id, spec in CHART.findall(page)}
