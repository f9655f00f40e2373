"""PNG plots of a :class:`~tokkit.results.ResultTable` (matplotlib, the ``plots`` extra).

* :func:`premium_by_script`: the token premium of every language of a parallel corpus
  (all 204 of FLORES-200) as strips: one column of dots per script and tokenizer, a dot
  per language, a bar at the median, on a log axis (1 = the pivot's cost). Languages are
  not joined by lines: neighbours on the axis are unrelated languages. Scripts are
  ordered by their number of languages, and the figure widens with the number of
  scripts, so every label keeps a readable size at the default resolution.
* :func:`sweep_curves`: a metric (premium or CTC) against vocabulary size, one curve per
  language, for the tables :mod:`tokkit.sweep` writes.

matplotlib is imported only inside these functions, and only through its object API
(``matplotlib.figure.Figure``), so plotting never touches a user's pyplot state or needs
a display. Each ``*_figure`` function returns the Figure, and the function without the
suffix its PNG bytes; :func:`write_png` saves them atomically.
"""

from __future__ import annotations

import io
import statistics
from collections import Counter
from pathlib import Path

from tokkit.errors import TokkitError, require
from tokkit.metrics import Scope, get_metric
from tokkit.results import ALL, ResultTable
from tokkit.scripts import script_of_lang

#: points of every label on a plot: readable at the default 100 dpi
FONT_SIZE = 10


def _figure(width: float, height: float):
    require("matplotlib", "plots")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def premium_by_script_figure(table: ResultTable, corpus: str | None = None, metric: str = "premium"):
    """The Figure of :func:`premium_by_script`."""
    corpus = corpus or _corpus_with(table, metric)
    grid = table.grid(corpus, metric)
    found = get_metric(metric)
    pivot = table.header.get("pivot") if found is not None and found.scope is Scope.PIVOT else None
    langs = sorted(lang for lang in grid if lang not in (ALL, pivot))
    if not langs:
        raise TokkitError(f"no per-language {metric} in the results to plot")
    tokenizers = [t for t in table.tokenizers() if any(t in grid[lang] for lang in langs)]
    counts = Counter(map(script_of_lang, langs))
    scripts = sorted(counts, key=lambda s: (-counts[s], s))

    per_script = max(0.45, 0.14 * len(tokenizers))  # inches: room for a label, and for each tokenizer's strip
    fig = _figure(max(8.0, per_script * len(scripts) + 2.0), 6.0)  # checks that matplotlib is installed
    from matplotlib import colormaps
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    colours = [colormaps["tab10"](k % 10) for k in range(len(tokenizers))]
    ax = fig.add_subplot()
    width = 0.8 / len(tokenizers)
    for i, script in enumerate(scripts):
        if i % 2:
            ax.axvspan(i - 0.5, i + 0.5, color="#f2f2f2", lw=0, zorder=0)
        members = [lang for lang in langs if script_of_lang(lang) == script]
        for k, tok in enumerate(tokenizers):
            centre = i + (k - (len(tokenizers) - 1) / 2) * width
            values = [grid[lang][tok] for lang in members if tok in grid[lang]]
            if not values:
                continue
            spread = [0.0] if len(values) == 1 else [((n * 0.618034) % 1 - 0.5) * width * 0.7 for n in range(len(values))]
            ax.scatter([centre + d for d in spread], values, s=16, color=colours[k], edgecolors="white", linewidths=0.4,
                       zorder=3, label=tok if i == 0 else None)
            if len(values) > 1:
                ax.hlines(statistics.median(values), centre - width * 0.45, centre + width * 0.45, colors=[colours[k]],
                          linewidths=2.2, zorder=4)
    if pivot:
        ax.axhline(1.0, color="#444", lw=0.8, ls="--", zorder=1)
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlim(-0.5, len(scripts) - 0.5)
    ax.set_xticks(range(len(scripts)), [f"{s}\n{counts[s]}" for s in scripts], fontsize=FONT_SIZE)
    ax.tick_params(axis="y", labelsize=FONT_SIZE)
    ax.set_xlabel("script (ISO 15924) and its number of languages", fontsize=FONT_SIZE)
    ax.set_ylabel(f"{metric}" + (f" ({pivot} = 1, log scale)" if pivot else " (log scale)"), fontsize=FONT_SIZE)
    ax.set_title(f"{metric} per language on {corpus}, by script: a dot per language, a bar at the median",
                 fontsize=FONT_SIZE + 1, loc="left")
    ax.legend(fontsize=FONT_SIZE, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=len(tokenizers), frameon=False,
              borderaxespad=0.2)
    return fig


def premium_by_script(table: ResultTable, corpus: str | None = None, metric: str = "premium") -> bytes:
    """Premium per language, as strips by script and tokenizer (see the module docstring)."""
    return _png(premium_by_script_figure(table, corpus, metric))


def sweep_curves_figure(table: ResultTable, metric: str = "premium"):
    """The Figure of :func:`sweep_curves`."""
    sizes = {r.tokenizer: r.value for r in table.select(metric="vocab_size")}
    curves: dict[str, list[tuple[float, float]]] = {}
    for row in table.select(metric=metric):
        if row.lang != ALL and row.tokenizer in sizes:
            curves.setdefault(row.lang, []).append((sizes[row.tokenizer], row.value))
    if not curves:
        raise TokkitError(f"no {metric} by vocabulary size in the results to plot")
    fig = _figure(8.0, 5.0)
    ax = fig.add_subplot()
    for lang, points in sorted(curves.items()):
        points.sort()
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", ms=3, label=lang)
    ax.set_xscale("log")
    ax.set_xlabel("vocabulary size")
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} against vocabulary size", fontsize=FONT_SIZE + 1)
    ax.legend(fontsize=FONT_SIZE - 1, ncol=2)
    return fig


def sweep_curves(table: ResultTable, metric: str = "premium") -> bytes:
    """``metric`` against vocabulary size: one curve per language (log-scaled sizes)."""
    return _png(sweep_curves_figure(table, metric))


def _corpus_with(table: ResultTable, metric: str) -> str:
    for corpus in table.corpora():
        if any(r.lang != ALL for r in table.select(corpus=corpus, metric=metric)):
            return corpus
    raise TokkitError(f"no per-language {metric} in the results to plot (it needs a parallel corpus)")


def write_png(png: bytes, path: str | Path, force: bool = False) -> Path:
    """Write PNG bytes to ``path`` atomically (refusing an existing file without ``force``)."""
    from tokkit.atomic import atomic_file

    with atomic_file(path, force=force, mode="wb") as handle:
        handle.write(png)
    return Path(path)
