"""Renderings of a :class:`~tokkit.results.ResultTable`: terminal (rich), Markdown, CSV,
JSON, and the HTML report (:mod:`tokkit.report_html`), by name in :data:`RENDERERS`.

The text renderings show the same *views* of the tidy rows, built once by :func:`views`:

* per corpus, an overview: one row per metric (the corpus as a whole, lang ``"all"``,
  and for premiums the median over languages), one column per tokenizer;
* per corpus with languages, one table per per-language metric: languages as rows,
  tokenizers as columns, and a summary row (the median over languages).

In each row the best value is marked where the metric has a direction
(the metric registry's direction, :func:`tokkit.metrics.higher_is_better`); ties are all marked. Pairs that Petrov's rule
dropped are listed under the tables. The HTML report reads the same rows (and the overview
view) and draws its summary, charts and tables in the page.
"""

from __future__ import annotations

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
    lines += header_lines(table)
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


def header_lines(table: ResultTable) -> list[str]:
    """The run's facts as Markdown list items: tokkit version, tokenizers, corpora, pivot."""
    header = table.header
    out = []
    if header.get("tokkit_version"):
        out.append(f"- tokkit {header['tokkit_version']}, {header.get('created', '')}")
    for tok in header.get("tokenizers", []):
        out.append(f"- tokenizer `{tok.get('name')}` ({tok.get('format')}, vocabulary {tok.get('vocab_size')})")
    for corpus in header.get("corpora", []):
        out.append(f"- corpus `{corpus.get('spec')}`: {len(corpus.get('langs', []))} language(s), "
                   f"{corpus.get('lines')} lines, sha256 {str(corpus.get('sha256', ''))[:16]}…")
    if "pivot" in header:
        out.append(f"- premium pivot {header['pivot']}; Rényi α = {header.get('alpha')}")
    return out


# -- the file formats, by name ---------------------------------------------------------
def _json_text(table: ResultTable) -> str:
    return json.dumps(table.to_json(), indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def _html(table: ResultTable) -> str:
    from tokkit.report_html import render_html

    return render_html(table)


#: every text format a result table renders to: name -> renderer
RENDERERS: dict[str, Callable[[ResultTable], str]] = {
    "md": to_markdown,
    "csv": ResultTable.to_csv,
    "html": _html,
    "json": _json_text,
}


def render(table: ResultTable, fmt: str) -> str:
    """``table`` as text in format ``fmt`` (one of :data:`RENDERERS`)."""
    return RENDERERS[check_choice("fmt", fmt, RENDERERS)](table)
