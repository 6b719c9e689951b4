"""The assessment report as one self-contained HTML page: inline CSS and JS, nothing fetched from the network
(documentation links are plain hyperlinks), so it opens offline and can be mailed around."""

from __future__ import annotations

from importlib import resources

from ..schema.issue_types import CATEGORY_TITLES, Category
from ..yb_versions import series_of
from .report_model import AssessmentReport

TEMPLATE = "assessment_report.html.j2"


def render_html(report: AssessmentReport) -> str:
    from jinja2 import Environment

    source = resources.files(__package__).joinpath("templates", TEMPLATE).read_text(encoding="utf-8")
    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    counts = report.impact_counts()
    by_category = [(c.value, sum(1 for i in report.issues if i.category is c)) for c in Category]
    perf = [i for i in report.issues if i.category is Category.PERFORMANCE_OPTIMIZATIONS]
    return env.from_string(source).render(
        r=report, counts=counts, by_category=by_category, perf=perf,
        titles={c.value: t for c, t in CATEGORY_TITLES.items()},
        impact_rank={"LEVEL_3": 3, "LEVEL_2": 2, "LEVEL_1": 1}, target_series=series_of(report.target_db_version))
