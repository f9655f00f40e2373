"""Renderings of a :class:`~tokkit.results.ResultTable`: terminal (rich), Markdown, HTML.

Every rendering shows the same *views* of the tidy rows, built once by :func:`views`:

* per corpus, an overview: one row per metric (the corpus as a whole, lang ``"all"``,
  and for premiums the median over languages), one column per tokenizer;
* per corpus with languages, one table per per-language metric: languages as rows,
  tokenizers as columns, and a summary row (the median over languages).

In each row the best value is marked where the metric has a direction
(the metric registry's direction, :func:`tokkit.metrics.higher_is_better`); ties are all marked. Pairs that Petrov's rule
dropped are listed under the tables. The HTML report is one self-contained file: tables
and PNG plots embedded as base64 ``data:`` URIs, no scripts, no network.
"""

from __future__ import annotations

import base64
import html
import json
import statistics
from dataclasses import dataclass, field
from typing import Callable

from tokkit.checks import check_choice

from tokkit.metrics import Scope, get_metric, higher_is_better, metric_order
from tokkit.results import ALL, ResultTable, format_value

#: the per-language tables the terminal shows (files get every per-language metric)
TERMINAL_LANG_METRICS = ("premium",)

#: how an overview row that summarises the languages says so
OVER_LANGUAGES = "median over languages"


def _against_pivot(metric: str) -> bool:
    """Whether ``metric`` is relative to the pivot language (whose own value is trivial)."""
    found = get_metric(metric)
    return found is not None and found.scope is Scope.PIVOT


@dataclass
class View:
    """One table: a title, row labels, tokenizer columns, cells, and which cells are best."""

    title: str
    label: str  # the header of the row-label column
    columns: list[str]
    rows: list[tuple[str, list[float | None]]]
    summary: tuple[str, list[float | None]] | None = None
    directions: list[bool | None] = field(default_factory=list)  # per row: higher is better?

    def best(self, values: list[float | None], higher: bool | None) -> set[int]:
        present = [v for v in values if v is not None]
        if higher is None or len(present) < 2:
            return set()
        target = max(present) if higher else min(present)
        return {i for i, v in enumerate(values) if v is not None and v == target}


def views(table: ResultTable, lang_metrics: tuple[str, ...] | None = None) -> list[View]:
    """The overview and per-language views of every corpus in ``table``.

    ``lang_metrics`` limits the per-language tables to those metrics (``None``: all).
    """
    tokenizers = table.tokenizers()
    out = []
    for corpus in table.corpora():
        metrics = metric_order(r.metric for r in table.select(corpus=corpus))
        pivot = table.header.get("pivot")
        langs = [lang for lang in table.langs(corpus) if lang != ALL]
        overview = []
        directions = []
        for metric in metrics:
            grid = table.grid(corpus, metric)
            skip = pivot if _against_pivot(metric) and pivot in grid and len(grid) > 1 else None
            if ALL in grid:
                overview.append((metric, [grid[ALL].get(t) for t in tokenizers]))
                directions.append(higher_is_better(metric))
            elif langs and grid:
                only = list(grid)[0] if len(grid) == 1 else None
                overview.append((f"{metric} ({only or OVER_LANGUAGES})", [_median(grid, t, skip) for t in tokenizers]))
                directions.append(higher_is_better(metric))
        if overview:
            out.append(View(f"{corpus}: overview", "metric", tokenizers, overview, directions=directions))
        for metric in metrics:
            if lang_metrics is not None and metric not in lang_metrics:
                continue
            grid = table.grid(corpus, metric)
            rows = [(lang, [grid[lang].get(t) for t in tokenizers]) for lang in langs if lang in grid]
            if not rows:
                continue
            higher = higher_is_better(metric)
            skip = pivot if _against_pivot(metric) and pivot in grid and len(grid) > 1 else None
            summary = ("median" + (f" without {pivot}" if skip else ""), [_median(grid, t, skip) for t in tokenizers])
            out.append(View(f"{corpus}: {metric} per language", "lang", tokenizers, rows, summary, [higher] * len(rows)))
    return out


def _median(grid: dict[str, dict[str, float]], tokenizer: str, skip: str | None = None) -> float | None:
    """The median over languages; premiums leave out the pivot (1 by definition)."""
    values = [cells[tokenizer] for lang, cells in grid.items() if lang not in (ALL, skip) and tokenizer in cells]
    return statistics.median(values) if values else None


def _cell(value: float | None) -> str:
    return "–" if value is None else format_value(value)


def dropped_lines(table: ResultTable) -> list[str]:
    """One line per language-tokenizer pair whose premium Petrov's rule left out."""
    return [
        f"premium not reported for {d['tokenizer']} on {d['corpus']} {d['lang']}: "
        f"{d['reason']} ({d['unknown_share']:.1%})"
        for d in table.header.get("dropped", [])
    ]


# -- terminal ------------------------------------------------------------------------------
def rich_tables(table: ResultTable, lang_metrics: tuple[str, ...] | None = TERMINAL_LANG_METRICS) -> list:
    """rich renderables for the terminal, a titled table each; the best value per row is
    bold green with ``*``, which a line under the table explains."""
    return [_rich(view) for view in views(table, lang_metrics)]


def render_table(table: ResultTable, metric: str, title: str | None = None):
    """One metric as a rich Table: languages as rows (with the median as summary), or the
    whole-corpus value where the corpus has no languages; tokenizers as columns."""
    from tokkit.errors import TokkitError

    for view in views(table, (metric,)):
        if view.title.endswith(f": {metric} per language"):
            return _rich(view, title)
    for view in views(table, ()):
        rows = [(label, values) for label, values in view.rows if label.split(" (")[0] == metric]
        if rows:
            higher = higher_is_better(metric)
            return _rich(View(view.title, "metric", view.columns, rows, directions=[higher]), title)
    raise TokkitError(f"no {metric} in these results")


def _rich(view: View, title: str | None = None):
    """The table with its title above and its legend below, each on lines of their own
    (a table's own title and caption would wrap at the table's width)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    t = Table(show_footer=view.summary is not None)
    t.add_column(view.label, footer=view.summary[0] if view.summary else "", style="cyan")
    for i, column in enumerate(view.columns):
        footer = _cell(view.summary[1][i]) if view.summary else ""
        t.add_column(column, justify="right", footer=footer)
    for (label, values), higher in zip(view.rows, view.directions):
        best = view.best(values, higher)
        t.add_row(label, *(f"[bold green]{_cell(v)}*[/]" if i in best else _cell(v) for i, v in enumerate(values)))
    legend = _legend(view)
    parts = [Text(title or view.title, style="italic"), t] + ([Text(legend, style="dim")] if legend else [])
    return Group(*parts)


def _legend(view: View) -> str | None:
    """What the marks of a terminal table mean: ``*``, and the overview's language medians."""
    parts = []
    if any(view.best(values, higher) for (_, values), higher in zip(view.rows, view.directions)):
        parts.append("* the best value in its row (lowest or highest, as the metric is better)")
    if any(label.endswith(f"({OVER_LANGUAGES})") for label, _ in view.rows):
        parts.append(f"({OVER_LANGUAGES}): the median of the per-language values, premiums without the pivot")
    return "\n".join(parts) or None


# -- Markdown ----------------------------------------------------------------------------
def to_markdown(table: ResultTable, lang_metrics: tuple[str, ...] | None = None) -> str:
    """GitHub-flavoured Markdown: a header list and every view; the best value in **bold**."""
    lines = ["# tokkit evaluation", ""]
    lines += _header_lines(table, lambda s: s)
    for view in views(table, lang_metrics):
        lines += ["", f"## {view.title}", ""]
        lines.append("| " + " | ".join([view.label, *view.columns]) + " |")
        lines.append("|" + "---|" + "---:|" * len(view.columns))
        for (label, values), higher in zip(view.rows, view.directions):
            best = view.best(values, higher)
            cells = [f"**{_cell(v)}**" if i in best else _cell(v) for i, v in enumerate(values)]
            lines.append("| " + " | ".join([label, *cells]) + " |")
        if view.summary:
            lines.append("| " + " | ".join([f"*{view.summary[0]}*", *(_cell(v) for v in view.summary[1])]) + " |")
    dropped = dropped_lines(table)
    if dropped:
        lines += ["", "## Left out (Petrov et al. 2023: more than 10% unknown tokens)", ""]
        lines += [f"- {line}" for line in dropped]
    return "\n".join(lines) + "\n"


def _header_lines(table: ResultTable, escape) -> list[str]:
    header = table.header
    out = []
    if header.get("tokkit_version"):
        out.append(f"- tokkit {escape(str(header['tokkit_version']))}, {escape(str(header.get('created', '')))}")
    for tok in header.get("tokenizers", []):
        out.append(f"- tokenizer `{escape(str(tok.get('name')))}` ({escape(str(tok.get('format')))}, vocabulary {tok.get('vocab_size')})")
    for corpus in header.get("corpora", []):
        out.append(f"- corpus `{escape(str(corpus.get('spec')))}`: {len(corpus.get('langs', []))} language(s), "
                   f"{corpus.get('lines')} lines, sha256 {escape(str(corpus.get('sha256', ''))[:16])}…")
    if "pivot" in header:
        out.append(f"- premium pivot {escape(str(header['pivot']))}; Rényi α = {header.get('alpha')}")
    return out


def report_plots(table: ResultTable) -> tuple[dict[str, bytes], str | None]:
    """The plots an HTML report embeds ({caption: PNG}) and, when there are none because
    matplotlib is missing, a note saying how to get them."""
    from tokkit.errors import MissingExtraError

    try:
        from tokkit import plots

        found = {}
        for corpus in table.corpora():
            if any(r.lang != ALL for r in table.select(corpus=corpus, metric="premium")):
                found[f"premium per language on {corpus}"] = plots.premium_by_language(table, corpus)
        if table.select(metric="vocab_size") and table.select(metric="premium"):
            found["premium against vocabulary size"] = plots.sweep_curves(table, "premium")
        return found, None
    except MissingExtraError as exc:
        return {}, f"plots left out: {exc}"


# -- HTML --------------------------------------------------------------------------------
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0 2em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.best { font-weight: bold; background: #e3f5e1; }
tr.summary td { border-top: 2px solid #888; font-style: italic; }
img { max-width: 100%; border: 1px solid #ddd; }
"""


def to_html(table: ResultTable, plots: dict[str, bytes] | None = None, title: str = "tokkit evaluation",
            note: str | None = None) -> str:
    """One self-contained HTML page: header, every view, and ``plots`` ({caption: PNG
    bytes}) embedded as base64 images; ``note`` is shown under the header."""
    e = html.escape
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{e(title)}</title>",
             f"<style>{_STYLE}</style></head><body>", f"<h1>{e(title)}</h1>", "<ul>"]
    parts += [f"<li>{line[2:].replace('`', '')}</li>" for line in _header_lines(table, e)]
    parts.append("</ul>")
    if note:
        parts.append(f"<p><em>{e(note)}</em></p>")
    for caption, png in (plots or {}).items():
        data = base64.b64encode(png).decode("ascii")
        parts.append(f"<figure><img alt=\"{e(caption)}\" src=\"data:image/png;base64,{data}\"><figcaption>{e(caption)}</figcaption></figure>")
    for view in views(table):
        parts.append(f"<h2>{e(view.title)}</h2><table><thead><tr><th>{e(view.label)}</th>")
        parts += [f"<th>{e(c)}</th>" for c in view.columns]
        parts.append("</tr></thead><tbody>")
        for (label, values), higher in zip(view.rows, view.directions):
            best = view.best(values, higher)
            cells = "".join(f"<td class=\"num{' best' if i in best else ''}\">{e(_cell(v))}</td>" for i, v in enumerate(values))
            parts.append(f"<tr><td>{e(label)}</td>{cells}</tr>")
        if view.summary:
            cells = "".join(f"<td class=\"num\">{e(_cell(v))}</td>" for v in view.summary[1])
            parts.append(f"<tr class=\"summary\"><td>{e(view.summary[0])}</td>{cells}</tr>")
        parts.append("</tbody></table>")
    dropped = dropped_lines(table)
    if dropped:
        parts.append("<h2>Left out (Petrov et al. 2023: more than 10% unknown tokens)</h2><ul>")
        parts += [f"<li>{e(line)}</li>" for line in dropped]
        parts.append("</ul>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


# -- the file formats, by name ---------------------------------------------------------
def _json_text(table: ResultTable) -> str:
    return json.dumps(table.to_json(), indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def _html_with_plots(table: ResultTable) -> str:
    plots, note = report_plots(table)
    return to_html(table, plots, note=note)


#: every text format a result table renders to: name -> renderer
RENDERERS: dict[str, Callable[[ResultTable], str]] = {
    "md": to_markdown,
    "csv": ResultTable.to_csv,
    "html": _html_with_plots,
    "json": _json_text,
}


def render(table: ResultTable, fmt: str) -> str:
    """``table`` as text in format ``fmt`` (one of :data:`RENDERERS`)."""
    return RENDERERS[check_choice("fmt", fmt, RENDERERS)](table)
