"""The HTML report: one self-contained page that answers "which tokenizer is fairest to
my languages, and why" before any long table.

Python gathers what the page shows into one JSON object (:func:`report_data`): the tidy
rows as a grid per metric and language, the script of each language (from its code's
suffix, :func:`tokkit.scripts.script_of_lang`), each metric's definition and direction
from the metric registry, the whole-corpus overview of :func:`tokkit.reports.views`, and
what the results header keeps besides the rows (sample tokenizations,
:mod:`tokkit.samples`; vocabulary profiles, :mod:`tokkit.vocabulary`). The page's own
script (``report_assets/report.js``) draws every section from it, so its controls (your
languages, a baseline tokenizer, the metric shown) recompute the summary, the charts and
the tables in the browser:

1. a verdict and a summary per tokenizer (median premium, worst language, compression,
   round trip, byte tokens, tokens against the baseline), then the same per script;
2. charts that name the language on hover: per script a strip of dots, one per language;
   every language sorted; the token counts against the baseline;
3. each sample sentence as every tokenizer cuts it, token by token;
4. a sortable, filterable table of every language for any metric, and the whole corpus;
5. the vocabularies: token lengths, scripts, shared tokens; the metric definitions.

Everything is inlined (``report.js``, ``report.css``, the data; a sweep's PNG as a
``data:`` URI), so the file opens anywhere with no network. The charts are hand-written
SVG rather than a charting library: they are dots, bars and a tooltip, and vendoring a
library would put far more code than that into every report.
"""

from __future__ import annotations

import base64
import html
import json
from importlib import resources

from tokkit.metrics import Scope, get_metric, metric_order
from tokkit.reports import dropped_lines, header_lines, views
from tokkit.results import ALL, ResultTable
from tokkit.scripts import SCRIPT_NAMES, script_of_lang
from tokkit.segments import VISIBLE

TITLE = "tokkit evaluation"

#: the sections of the page, in order: (id, heading, its link in the bar at the top)
SECTIONS = (
    ("summary", "Which tokenizer is fairest", "summary"),
    ("scripts", "By script", "scripts"),
    ("charts", "Languages at a glance", "charts"),
    ("baseline", "Against the baseline", "baseline"),
    ("sentences", "How they cut a sentence", "sentences"),
    ("languages", "Every language", "languages"),
    ("overview", "The whole corpus", "whole corpus"),
    ("vocabulary", "Vocabularies", "vocabularies"),
    ("definitions", "What the metrics mean", "definitions"),
)


def report_data(table: ResultTable) -> dict:
    """Everything the page draws, as plain JSON values (see the module docstring)."""
    tokenizers = table.tokenizers()
    names = metric_order(table.metrics())
    overviews = {view.title: view for view in views(table, ())}
    corpora = []
    for corpus in table.corpora():
        langs = [lang for lang in table.langs(corpus) if lang != ALL]
        values = {}
        for metric in names:
            grid = table.grid(corpus, metric)
            if grid:
                values[metric] = {lang: [cells.get(t) for t in tokenizers] for lang, cells in grid.items()}
        overview = overviews.get(f"{corpus}: overview")
        corpora.append({
            "spec": corpus, "langs": langs, "scripts": {lang: script_of_lang(lang) for lang in langs}, "values": values,
            "overview": [{"label": label, "metric": label.split(" (")[0], "values": cells, "higher": higher}
                         for (label, cells), higher in zip(overview.rows, overview.directions)] if overview else [],
        })
    header = table.header
    return {
        "tokenizers": tokenizers,
        "vocab_sizes": {t.get("name"): t.get("vocab_size") for t in header.get("tokenizers", []) if isinstance(t, dict)},
        "pivot": header.get("pivot"),
        "metrics": [_definition(name) for name in names],
        "corpora": corpora,
        "script_names": SCRIPT_NAMES,
        "visible": VISIBLE,
        "dropped": [{"tokenizer": d.get("tokenizer"), "corpus": d.get("corpus"), "lang": d.get("lang")}
                    for d in header.get("dropped", []) if isinstance(d, dict)],
        "samples": header.get("samples"),
        "vocabulary": header.get("vocabulary"),
    }


def _definition(name: str) -> dict:
    metric = get_metric(name)
    if metric is None:
        return {"name": name, "about": "", "higher": None, "pivot": False}
    return {"name": name, "about": metric.about, "higher": metric.higher_is_better, "pivot": metric.scope is Scope.PIVOT}


def _asset(name: str) -> str:
    return resources.files("tokkit").joinpath("report_assets", name).read_text(encoding="utf-8")


def _script_json(payload: dict) -> str:
    """JSON safe inside a ``<script>`` element: no ``<`` can close it or open a comment."""
    return json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":")).replace("<", "\\u003c")


def sweep_plots(table: ResultTable) -> tuple[dict[str, bytes], str | None]:
    """The PNG plots the report embeds besides what it draws itself ({caption: PNG}: a
    sweep's premium against vocabulary size) and, when matplotlib is missing, a note
    saying how to get them."""
    from tokkit.errors import MissingExtraError

    if not (table.select(metric="vocab_size") and table.select(metric="premium")):
        return {}, None
    try:
        from tokkit import plots

        return {"premium against vocabulary size": plots.sweep_curves(table, "premium")}, None
    except MissingExtraError as exc:
        return {}, f"plots left out: {exc}"


def render_html(table: ResultTable) -> str:
    """The report of ``table`` with its plots: the renderer ``tokkit.reports.RENDERERS["html"]``."""
    plots, note = sweep_plots(table)
    return to_html(table, plots, note=note)


def to_html(table: ResultTable, plots: dict[str, bytes] | None = None, title: str = TITLE, note: str | None = None) -> str:
    """The report as one self-contained HTML page; ``plots`` ({caption: PNG}) are embedded
    as images, ``note`` is shown under the run's facts."""
    e = html.escape
    data = report_data(table)
    nav = "".join(f'<a href="#{sid}">{e(link)}</a>' for sid, _, link in SECTIONS)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)}</title><style>{_asset('report.css')}</style></head><body>",
        f'<div id="controls"><div id="controls-body" style="display:contents"></div><nav>{nav}</nav></div>',
        f"<main><h1>{e(title)}</h1>",
        '<p class="facts">' + " · ".join(e(line[2:].replace("`", "")) for line in header_lines(table)) + "</p>",
    ]
    if note:
        parts.append(f'<p class="note">{e(note)}</p>')
    parts.append("<noscript><p>This report draws its tables and charts with JavaScript; "
                 "tokkit report RESULTS.json --format md gives the same tables as text.</p></noscript>")
    for sid, heading, _ in SECTIONS:
        parts.append(f'<section id="{sid}"><h2>{e(heading)}</h2><div id="{sid}-body"></div></section>')
        if sid == "summary":
            for caption, png in (plots or {}).items():
                src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
                parts.append(f'<figure><img alt="{e(caption)}" src="{src}" style="max-width:100%">'
                             f"<figcaption>{e(caption)}</figcaption></figure>")
    dropped = dropped_lines(table)
    if dropped:
        parts.append('<section id="dropped"><h2>Left out (Petrov et al. 2023: more than 10% unknown tokens)</h2><ul>')
        parts += [f"<li>{e(line)}</li>" for line in dropped]
        parts.append("</ul></section>")
    parts += [
        "</main>",
        f'<script type="application/json" id="tokkit-data">{_script_json(data)}</script>',
        f"<script>{_asset('report.js')}</script>",
        "</body></html>\n",
    ]
    return "\n".join(parts)
