"""The metric registry: one :class:`~tokkit.metrics.definition.Metric` per name, built-in
or from a plugin.

The evaluation, the sweep and every report read these definitions and nothing else, so
adding a metric is adding one definition. Built-in metrics are listed in
:mod:`tokkit.metrics.builtin`. A package adds its own through the ``tokkit.metrics``
entry-point group: the entry point's object is a function that returns its metric
definitions (the morphology package's %TR, %Pure and boundary alignment come this way,
so the core never imports it). Plugin metrics, and built-in ones that are not
``default`` (those that encode the text a second time: words one by one, perturbed
copies), are computed only when named.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Iterable

from tokkit.errors import InvalidValue, TokkitError
from tokkit.metrics.builtin import BUILTIN
from tokkit.metrics.definition import Metric

def builtin_metrics() -> dict[str, Metric]:
    """The built-in metrics, in the order tables show them."""
    return {m.name: m for m in BUILTIN}


@lru_cache(maxsize=None)
def plugin_metrics() -> dict[str, Metric]:
    """The metrics of every installed plugin (entry-point group ``tokkit.metrics``)."""
    from tokkit.plugins import load_plugin, plugins

    found: dict[str, Metric] = {}
    for entry in sorted(plugins("tokkit.metrics")):
        for metric in load_plugin("tokkit.metrics", entry)():
            found.setdefault(metric.name, metric)
    return found


#: the metrics computed when none are named: the built-in ones marked ``default``
DEFAULT_METRICS = tuple(m.name for m in BUILTIN if m.default)


def get_metric(name: str) -> Metric | None:
    """The metric called ``name``, built-in or from a plugin; ``None`` if there is none."""
    return builtin_metrics().get(name) or plugin_metrics().get(name)


def higher_is_better(name: str) -> bool | None:
    """Which way ``name`` is better (``None``: neither, or an unknown name)."""
    builtin = builtin_metrics().get(name)
    if builtin is not None:
        return builtin.higher_is_better
    metric = plugin_metrics().get(name)
    return metric.higher_is_better if metric else None


def metric_order(names: Iterable[str]) -> list[str]:
    """``names`` in the registry's order (built-in ones first), unknown ones last."""
    names = list(dict.fromkeys(names))
    known = [m for m in builtin_metrics() if m in names]
    return known + [m for m in names if m not in known]


def resolve(names: Iterable[str] | None) -> list[Metric]:
    """The metrics named (``None``: the defaults; ``"default"`` stands for them)."""
    if names is None:
        names = DEFAULT_METRICS
    names = list(dict.fromkeys(m for name in names for m in (DEFAULT_METRICS if name == "default" else [name])))
    if not names:
        raise InvalidValue("metrics", "names no metric (leave it out for the default ones)")
    unknown = [n for n in names if get_metric(n) is None]
    if unknown:
        known = [*builtin_metrics(), *plugin_metrics()]
        raise TokkitError(f"unknown metric {', '.join(unknown)}: choose from {', '.join(known)}")
    return [get_metric(n) for n in names]
