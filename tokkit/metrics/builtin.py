"""The built-in metrics, one definition each, in the order tables show them.

Their names are stable (they are the ``metric`` column of every result table). Each is
computed from the counts of :mod:`tokkit.metrics.counts` by a formula of
:mod:`tokkit.metrics.formulas`; docs/metrics.md explains the decisions behind them
(which languages get a fertility, Petrov's unknown-token rule, summary rows).

Two kinds cost a second encoding of the text, so they are computed only when named:
``continued_word_rate`` encodes every distinct word on its own, and the ``ctc_change_*``
metrics, one per perturbation of :mod:`tokkit.perturbations`, a perturbed copy of it.
"""

from __future__ import annotations

import numpy as np

from tokkit.metrics import formulas as F
from tokkit.metrics.counts import ContinuedWordCounts, PerturbedCounts, RoundTripCounts, TokenCounts, WordCounts
from tokkit.metrics.definition import Context, Metric, Scope
from tokkit.perturbations import PERTURBATIONS
from tokkit.results import ALL

LOWER, HIGHER, NEITHER = False, True, None


def _per_token(amount: int, counts: TokenCounts) -> float | None:
    return amount / counts.tokens if counts.tokens else None


def _fertility(counts: WordCounts, ctx: Context) -> float | None:
    """Only where words are whitespace-separated; across the languages of a corpus it
    would mix spaced and unspaced scripts, so a multilingual corpus's whole has none."""
    if (ctx.lang == ALL and ctx.multilingual) or not F.separates_words(ctx.lang) or not counts.words:
        return None
    return F.fertility(counts.tokens, counts.words)


def _line_premiums(counts: TokenCounts, ctx: Context):
    """The per-line premiums of a line-aligned corpus (empty when it is not aligned)."""
    if not ctx.aligned:
        return []
    return F.line_premiums(counts.line_tokens, ctx.pivot.line_tokens)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _premium_spread(counts: TokenCounts, ctx: Context, which: int) -> float | None:
    per_line = _line_premiums(counts, ctx)
    return F.premium_spread(per_line)[which] if len(per_line) else None


BUILTIN = (
    Metric("ctc", "Corpus token count: tokens of the text, special (control) tokens excluded. Encoding adds no BOS/EOS.",
           LOWER, Scope.TEXT, TokenCounts.collect, lambda c, ctx: c.tokens),
    Metric("premium", "Token premium (Petrov et al. 2023; Arnett et al. 2025): CTC of a language over the CTC of the "
           "pivot language on the same parallel text; the pivot's premium is 1.",
           LOWER, Scope.PIVOT, TokenCounts.collect,
           lambda c, ctx: F.premium(c.tokens, ctx.pivot.tokens) if ctx.pivot.tokens else None),
    Metric("premium_median", "On a line-aligned corpus, the median over lines of ctc(line) / ctc(pivot line), for "
           "lines whose pivot line has tokens.",
           LOWER, Scope.PIVOT, TokenCounts.collect, lambda c, ctx: _premium_spread(c, ctx, 0)),
    Metric("premium_iqr", "The interquartile range (p75 - p25) of the same per-line premiums.",
           LOWER, Scope.PIVOT, TokenCounts.collect, lambda c, ctx: _premium_spread(c, ctx, 1)),
    Metric("bytes_per_token", "UTF-8 bytes of the text per token (compression).",
           HIGHER, Scope.TEXT, TokenCounts.collect, lambda c, ctx: _per_token(c.bytes, c)),
    Metric("chars_per_token", "Unicode code points of the text per token.",
           HIGHER, Scope.TEXT, TokenCounts.collect, lambda c, ctx: _per_token(c.chars, c)),
    Metric("fertility", "Tokens per whitespace-separated word, for languages whose script separates words with spaces.",
           LOWER, Scope.TEXT, WordCounts.collect, _fertility),
    Metric("unk_rate", "Share of tokens that are the unknown token: text the tokenizer loses.",
           LOWER, Scope.TEXT, TokenCounts.collect, lambda c, ctx: _per_token(ctx.facts.unknown(c.frequencies), c)),
    Metric("byte_fallback_rate", "Share of tokens that hold part of a character (bytes that are not UTF-8 alone): "
           "byte-fallback pieces, or a byte-level BPE's byte tokens, for characters the vocabulary lacks.",
           LOWER, Scope.TEXT, TokenCounts.collect,
           lambda c, ctx: _per_token(int(c.frequencies[ctx.facts.partial].sum()), c)),
    Metric("vocab_utilisation", "Share of the ordinary (non-special) vocabulary that occurs at least once in the text.",
           NEITHER, Scope.TEXT, TokenCounts.collect, lambda c, ctx: F.vocab_utilisation(c.frequencies, ctx.facts.special)),
    Metric("unique_tokens", "Distinct tokens that occur in the text (tokka-bench's unique-token coverage: how much of "
           "the vocabulary serves this language).",
           HIGHER, Scope.TEXT, TokenCounts.collect, lambda c, ctx: int(np.count_nonzero(c.frequencies))),
    Metric("continued_word_rate", "Share of words that take more than one token, each word encoded on its own "
           "(tokka-bench); words are whitespace-separated, or characters in scripts written without spaces.",
           LOWER, Scope.TEXT, ContinuedWordCounts.collect, lambda c, ctx: _share(c.continued, c.words), default=False),
    Metric("inner_whitespace_rate", "Share of tokens whose text holds whitespace between other characters once its "
           "ends are stripped (tokka-bench): tokens that run across words.",
           NEITHER, Scope.TEXT, TokenCounts.collect,
           lambda c, ctx: _per_token(int(c.frequencies[ctx.facts.inner_space].sum()), c)),
    Metric("entropy", "Shannon entropy, in bits, of the unigram distribution of the tokens in the text.",
           NEITHER, Scope.TEXT, TokenCounts.collect,
           lambda c, ctx: F.shannon_entropy(c.frequencies) if c.tokens else None),
    Metric("renyi_efficiency", "Rényi efficiency (Zouhar et al. 2023): the Rényi entropy of order α (2.5 by default) of "
           "the token unigram distribution over log2 of the number of distinct tokens that occur.",
           HIGHER, Scope.TEXT, TokenCounts.collect,
           lambda c, ctx: F.renyi_efficiency(c.frequencies, ctx.alpha) if c.tokens else None),
    Metric("roundtrip_rate", "Share of lines for which decode(encode(line)) == line.",
           HIGHER, Scope.TEXT, RoundTripCounts.collect, lambda c, ctx: c.same / c.lines if c.lines else None),
    Metric("throughput_mb_s", "Megabytes (10^6 bytes) of UTF-8 text encoded per second by encode_batch.",
           HIGHER, Scope.CORPUS, TokenCounts.collect,
           lambda c, ctx: F.throughput_mb_s(c.bytes, c.seconds) if c.bytes else None),
    *(Metric(f"ctc_change_{p.name}", f"How far the token count moves when the text is perturbed ({p.about}; "
             "TokSuite-style robustness): the sum over lines of |ctc(perturbed line) - ctc(line)| over the text's ctc; "
             "0 = unmoved.",
             LOWER, Scope.TEXT, PerturbedCounts.collector(p.name), lambda c, ctx: _share(c.moved, c.tokens), default=False)
      for p in PERTURBATIONS.values()),
)
