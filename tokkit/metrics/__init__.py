"""Tokenizer metrics: what each one is (:mod:`~tokkit.metrics.builtin`, and plugins through
:mod:`~tokkit.metrics.registry`), what they are computed from
(:mod:`~tokkit.metrics.counts`), and the formulas (:mod:`~tokkit.metrics.formulas`).

:func:`tokkit.evaluate` reads each text once per tokenizer, collects the counts the
requested metrics need, and computes every metric from them; docs/metrics.md has the
definitions and the decisions behind them.
"""

from tokkit.metrics.counts import Reading, RoundTripCounts, TokenCounts, VocabFacts, WordCounts
from tokkit.metrics.definition import Context, Metric, Scope
from tokkit.metrics.formulas import DEFAULT_ALPHA, UNKNOWN_LIMIT
from tokkit.metrics.registry import DEFAULT_METRICS, get_metric, higher_is_better, metric_order, resolve

__all__ = [
    "Context", "DEFAULT_ALPHA", "DEFAULT_METRICS", "Metric", "Reading", "RoundTripCounts", "Scope", "TokenCounts",
    "UNKNOWN_LIMIT", "VocabFacts", "WordCounts", "get_metric", "higher_is_better", "metric_order", "resolve",
]
