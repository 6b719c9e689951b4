"""The schema analysis report as one self-contained HTML page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import catalog

if TYPE_CHECKING:
    from .analyze import SchemaAnalysis

_HTML = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Schema analysis for YugabyteDB {{ a.target_db_version }}</title>
<style>
 body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em; color: #1d2330; }
 h1 { font-size: 1.5em; margin-bottom: .2em; } h2 { margin-top: 1.6em; }
 .meta { color: #5a6473; }
 .cards { display: flex; flex-wrap: wrap; gap: .8em; margin: 1em 0; }
 .card { border: 1px solid #d7dce3; border-radius: 6px; padding: .6em 1em; min-width: 8em; }
 .card b { display: block; font-size: 1.6em; }
 .LEVEL_3 { color: #b3261e; } .LEVEL_2 { color: #b26a00; } .LEVEL_1 { color: #2c6e2f; }
 table { border-collapse: collapse; width: 100%; }
 th, td { border-bottom: 1px solid #e3e7ed; padding: .35em .5em; text-align: left; vertical-align: top; }
 th { background: #f3f5f8; position: sticky; top: 0; }
 th.sortable { cursor: pointer; user-select: none; } th.sortable:after { content: " \2195"; color: #9aa3af; }
 pre { white-space: pre-wrap; background: #f6f8fa; padding: .5em; margin: .3em 0; font-size: 12px; }
 .filters { display: flex; gap: .6em; flex-wrap: wrap; margin: .6em 0; }
 .filters input, .filters select { padding: .3em; }
 details summary { cursor: pointer; color: #2456a6; }
 .small { font-size: 12px; color: #5a6473; }
</style>
</head>
<body>
{% macro issue_table(rows, id) %}
<table id="{{ id }}" class="issues">
 <thead><tr>
  <th class="sortable" data-key="impact">Impact</th><th class="sortable">Category</th>
  <th class="sortable">Issue</th><th class="sortable">Object type</th><th class="sortable">Object</th>
  <th>Details</th>
 </tr></thead>
 <tbody>
 {% for i in rows %}
 <tr data-cat="{{ i.category.value }}" data-imp="{{ i.impact.value }}">
  <td class="{{ i.impact.value }}">{{ i.impact.value }}</td>
  <td>{{ titles[i.category.value] }}</td>
  <td><b>{{ i.name }}</b><div class="small">{{ i.issue_type }}</div></td>
  <td>{{ i.object_type }}</td>
  <td>{{ i.object_name }}{% for k, v in i.details|dictsort %}<div class="small">{{ k }}: {{ v }}</div>{% endfor %}</td>
  <td><details><summary>SQL, workaround, versions</summary>
   <pre>{{ i.sql_statement }}</pre>
   <p>{{ i.description }}{% if i.preview_note %} <em>{{ i.preview_note }}</em>{% endif %}</p>
   <p><b>Workaround:</b> {{ i.workaround }}</p>
   <p><b>Fixed in:</b> {% if i.fixed_in %}{{ i.fixed_in.values()|join(", ") }}{% else %}not yet{% endif %}
   &middot; <a href="{{ i.docs_link }}">docs</a>
   {% if i.gh_issue %}&middot; <a href="{{ i.gh_issue }}">issue</a>{% endif %}
   {% if i.file %}&middot; file {{ i.file }}{% endif %}</p>
  </details></td>
 </tr>
 {% endfor %}
 </tbody>
</table>
{% endmacro %}
<h1>Schema analysis</h1>
<p class="meta">Target YugabyteDB {{ a.target_db_version }} (PostgreSQL {{ a.target_pg_base }} based)
{% if a.source_version %} &middot; source {{ a.source_version }}{% endif %}
&middot; generated {{ a.generated_at.strftime("%Y-%m-%d %H:%M:%S UTC") }}</p>

<div class="cards">
 <div class="card"><b>{{ a.summary.total_issues }}</b>issues</div>
 <div class="card LEVEL_3"><b>{{ a.summary.by_impact.LEVEL_3 }}</b>Level 3</div>
 <div class="card LEVEL_2"><b>{{ a.summary.by_impact.LEVEL_2 }}</b>Level 2</div>
 <div class="card LEVEL_1"><b>{{ a.summary.by_impact.LEVEL_1 }}</b>Level 1</div>
 <div class="card"><b>{{ a.summary.resolved_by_target }}</b>supported by this version</div>
 {% if a.parse_errors %}<div class="card"><b>{{ a.parse_errors|length }}</b>statements not parsed</div>{% endif %}
</div>

<h2>Summary</h2>
<table style="width:auto">
 <tr><th>Category</th><th>Issues</th></tr>
 {% for cat, n in a.summary.by_category.items() %}<tr><td>{{ titles[cat] }}</td><td>{{ n }}</td></tr>{% endfor %}
</table>
<h3>Objects</h3>
<table style="width:auto">
 <tr><th>Object type</th><th>Total</th><th>With issues</th></tr>
 {% for t, c in a.summary.by_object_type|dictsort %}<tr><td>{{ t }}</td><td>{{ c.total }}</td>
 <td>{{ c.with_issues }}</td></tr>{% endfor %}
</table>

<h2>Issues</h2>
<div class="filters">
 <input id="q" type="search" placeholder="Filter (object, issue, SQL)&hellip;" size="40">
 <select id="cat"><option value="">All categories</option>
  {% for cat, n in a.summary.by_category.items() if n %}<option value="{{ cat }}">{{ titles[cat] }}</option>{% endfor %}
 </select>
 <select id="imp"><option value="">All impacts</option>
  <option>LEVEL_3</option><option>LEVEL_2</option><option>LEVEL_1</option></select>
 <span id="shown" class="small"></span>
</div>
{{ issue_table(a.issues, "issues") }}

{% if a.resolved_by_target %}
<h2>Supported by YugabyteDB {{ a.target_db_version }}</h2>
<p class="small">Found in the schema, but this target version supports them; an older target would report them.</p>
{{ issue_table(a.resolved_by_target, "resolved") }}
{% endif %}

{% if a.parse_errors %}
<h2>Statements that could not be parsed</h2>
<table><tr><th>Object</th><th>Error</th><th>SQL</th></tr>
{% for p in a.parse_errors %}<tr><td>{{ p.object_type }} {{ p.object_name }}</td><td>{{ p.error }}</td>
<td><pre>{{ p.sql_statement }}</pre></td></tr>{% endfor %}
</table>
{% endif %}


<script>
(function () {
  var order = {LEVEL_3: 3, LEVEL_2: 2, LEVEL_1: 1};
  document.querySelectorAll("table.issues").forEach(function (table) {
    table.querySelectorAll("th.sortable").forEach(function (th, col) {
      var asc = false;
      th.addEventListener("click", function () {
        asc = !asc;
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col].textContent.trim(), y = b.cells[col].textContent.trim();
          if (th.dataset.key === "impact") { x = order[x] || 0; y = order[y] || 0; }
          var r = x < y ? -1 : x > y ? 1 : 0;
          return asc ? r : -r;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  var q = document.getElementById("q"), cat = document.getElementById("cat"), imp = document.getElementById("imp");
  function apply() {
    var text = q.value.toLowerCase(), shown = 0, rows = document.querySelectorAll("#issues tbody tr");
    rows.forEach(function (r) {
      var ok = (!text || r.textContent.toLowerCase().indexOf(text) >= 0) &&
               (!cat.value || r.dataset.cat === cat.value) && (!imp.value || r.dataset.imp === imp.value);
      r.style.display = ok ? "" : "none";
      if (ok) { shown++; }
    });
    document.getElementById("shown").textContent = shown + " of " + rows.length + " shown";
  }
  [q, cat, imp].forEach(function (el) { el.addEventListener("input", apply); });
  apply();
})();
</script>
</body>
</html>
"""


def render_html(analysis: SchemaAnalysis) -> str:
    """One self-contained page (inline CSS and JS, no network) with the summary and a sortable,
    filterable issue table."""
    from jinja2 import Environment

    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    template = env.from_string(_HTML)
    titles = {c.value: t for c, t in catalog.CATEGORY_TITLES.items()}
    return template.render(a=analysis, titles=titles)
