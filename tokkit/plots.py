"""PNG plots of a :class:`~tokkit.results.ResultTable` (matplotlib, the ``plots`` extra).

* :func:`premium_by_language`: the token premium of every language of a parallel corpus
  (all 204 of FLORES-200), languages grouped by script (shaded bands, labels coloured by
  script), one series per tokenizer, on a log axis (1 = the pivot's cost).
* :func:`sweep_curves`: a metric (premium or CTC) against vocabulary size, one curve per
  language, for the tables :mod:`tokkit.sweep` writes.

matplotlib is imported only inside these functions, and only through its object API
(``matplotlib.figure.Figure``), so plotting never touches a user's pyplot state or needs
a display. Each function returns the PNG bytes; :func:`write_png` saves them atomically.
"""

from __future__ import annotations

import io
from pathlib import Path

from tokkit.errors import TokkitError, require
from tokkit.results import ALL, ResultTable


def script_of(lang: str) -> str:
    """The script part of a FLORES-200 code (``tur_Latn`` -> ``Latn``); ``?`` without one."""
    return lang.partition("_")[2] or "?"


def _figure(width: float, height: float):
    require("matplotlib", "plots")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def premium_by_language(table: ResultTable, corpus: str | None = None, metric: str = "premium") -> bytes:
    """Premium per language, grouped and coloured by script, one series per tokenizer."""
    corpus = corpus or _corpus_with(table, metric)
    grid = table.grid(corpus, metric)
    langs = sorted((lang for lang in grid if lang != ALL), key=lambda lang: (script_of(lang), lang))
    if not langs:
        raise TokkitError(f"no per-language {metric} in the results to plot")
    tokenizers = [t for t in table.tokenizers() if any(t in grid[lang] for lang in langs)]
    scripts = list(dict.fromkeys(script_of(lang) for lang in langs))

    fig = _figure(max(8.0, 0.12 * len(langs) + 2), 7.0)  # checks that matplotlib is installed
    from matplotlib import colormaps
    from matplotlib.ticker import ScalarFormatter

    script_colour = {s: colormaps["tab10"](i % 10) for i, s in enumerate(scripts)}
    ax = fig.add_subplot()
    xs = range(len(langs))
    for i, s in enumerate(scripts):  # one shaded band per script group
        members = [x for x, lang in zip(xs, langs) if script_of(lang) == s]
        ax.axvspan(members[0] - 0.5, members[-1] + 0.5, color=script_colour[s], alpha=0.06 if i % 2 else 0.14, lw=0)
        ax.text((members[0] + members[-1]) / 2, 1.0, s, transform=ax.get_xaxis_transform(), ha="center",
                va="bottom", fontsize=6, rotation=90, color=script_colour[s])
    markers = "o^sDvP*X<>"
    for k, tok in enumerate(tokenizers):
        points = [(x, grid[lang][tok]) for x, lang in zip(xs, langs) if tok in grid[lang]]
        ax.plot([p[0] for p in points], [p[1] for p in points], marker=markers[k % len(markers)], ms=3, lw=0.6,
                label=tok)
    ax.axhline(1.0, color="#444", lw=0.8, ls="--")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_minor_formatter(ScalarFormatter())
    ax.set_xlim(-0.5, len(langs) - 0.5)
    ax.set_xticks(list(xs), langs, rotation=90, fontsize=5)
    for label, lang in zip(ax.get_xticklabels(), langs):
        label.set_color(script_colour[script_of(lang)])
    ax.set_ylabel(f"{metric} (pivot = 1, log scale)")
    ax.set_title(f"{metric} per language on {corpus}, grouped by script", fontsize=10, pad=24)
    ax.legend(fontsize=7, loc="upper left")
    return _png(fig)


def sweep_curves(table: ResultTable, metric: str = "premium") -> bytes:
    """``metric`` against vocabulary size: one curve per language (log-scaled sizes)."""
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
    ax.set_title(f"{metric} against vocabulary size", fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    return _png(fig)


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
