"""Tokenizer metrics: pure functions over tokenized text, and the slot for linguistic metrics.

Every metric here is computed from the token ids a tokenizer gives a list of lines and
from per-id facts of its vocabulary (how many bytes each token holds, which ids are
special, unknown or byte fallback). :mod:`tokkit.evaluation` encodes each corpus once per
tokenizer and feeds the same ids to all of them; the functions take numpy arrays so that
a whole FLORES-200 run costs little beyond the encoding itself.

Names are stable (they are the ``metric`` column of every result table):

``ctc``
    Corpus token count: the number of tokens of the text, special (control) tokens
    excluded. Encoding adds no BOS/EOS, so only specials written literally in the text
    could appear.
``premium``
    Token premium (Petrov et al. 2023, "Language Model Tokenizers Introduce Unfairness
    Between Languages"; Arnett et al. 2025): CTC of a language over the CTC of the pivot
    language (``eng_Latn`` by default) on the same parallel text. The pivot's premium is 1;
    2.0 means the language costs twice the tokens for the same content.
``premium_median``, ``premium_iqr``
    The per-line premium distribution on a line-aligned corpus: for every line *i* whose
    pivot line has tokens, ``ctc(line_i) / ctc(pivot line_i)``; its median and its
    interquartile range (75th minus 25th percentile).
``bytes_per_token``, ``chars_per_token``
    UTF-8 bytes (Unicode code points) of the text per token: higher is more compression.
``fertility``
    Tokens per whitespace-separated word (``str.split``), only for languages whose script
    separates words with spaces (see :func:`separates_words`).
``unk_rate``
    Share of tokens that lose or spell out the text: the unknown token (role ``unk``) and
    byte-fallback pieces (``<0x41>``-style vocabulary strings that stand for one byte).
``vocab_utilisation``
    Share of the ordinary (non-special) vocabulary that occurs at least once in the text.
``entropy``
    Shannon entropy, in bits, of the unigram distribution of the tokens in the text.
``renyi_efficiency``
    Rényi efficiency (Zouhar et al. 2023, "Tokenization and the Noiseless Channel"):
    the Rényi entropy of order α (2.5 by default) of the token unigram distribution over
    the log of the number of token types, ``H_α(p) / log |V|`` with
    ``H_α(p) = log(Σ p_i^α) / (1 - α)``. As in the ``tokenization-scorer`` package, |V| is
    the number of distinct tokens that occur (so a uniform use of the types scores 1).
``roundtrip_rate``
    Share of lines for which ``decode(encode(line)) == line``.
``throughput_mb_s``
    Megabytes (10^6 bytes) of UTF-8 text encoded per second by ``encode_batch``.

Linguistic metrics (%TR and %Pure, from an analyzer) come from plugins: see
:class:`LinguisticMetric`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol, Sequence, runtime_checkable

import numpy as np

#: every built-in metric, in the order tables show them
METRICS = (
    "ctc",
    "premium",
    "premium_median",
    "premium_iqr",
    "bytes_per_token",
    "chars_per_token",
    "fertility",
    "unk_rate",
    "vocab_utilisation",
    "entropy",
    "renyi_efficiency",
    "roundtrip_rate",
    "throughput_mb_s",
)

#: the metrics ``tokkit eval`` computes when none are named: all built-in ones
DEFAULT_METRICS = METRICS

#: which way is better, for marking the best tokenizer in a table (absent: neither)
HIGHER_IS_BETTER = {
    "ctc": False,
    "premium": False,
    "premium_median": False,
    "premium_iqr": False,
    "bytes_per_token": True,
    "chars_per_token": True,
    "fertility": False,
    "unk_rate": False,
    "renyi_efficiency": True,
    "roundtrip_rate": True,
    "throughput_mb_s": True,
    # linguistic metrics of the morphology package (DESIGN.md names tr_percent, pure_percent)
    "tr_percent": True,
    "pure_percent": True,
    "tr_percent_tokens": True,
    "pure_percent_tokens": True,
    "morph_alignment": True,
    "morph_recall": True,
}

#: Petrov et al. (2023) leave out language-tokenizer pairs with more than 10% unknown tokens
UNKNOWN_LIMIT = 0.10

#: the Rényi order Zouhar et al. (2023) found to correlate best with BLEU
DEFAULT_ALPHA = 2.5


# -- the linguistic-metric slot ----------------------------------------------------------
@runtime_checkable
class LinguisticMetric(Protocol):
    """A metric that needs more than token ids: a morphological analyzer, a lexicon.

    Packages provide these through the ``tokkit.metrics`` entry-point group; the entry
    point's object is a *factory*: calling it with no arguments returns an object with

    ``names: tuple[str, ...]``
        the metric names it produces (e.g. ``("tr_percent", "pure_percent")``);
    ``langs: set[str] | None``
        the FLORES-style language codes it applies to (``{"tur_Latn"}``), ``None`` for any;
    ``compute(tokenizer, texts, ids) -> dict[str, float]``
        given a :class:`~tokkit.tokenizer.Tokenizer`, the lines of one language and the ids
        ``tokenizer.encode_batch(texts)`` gave them, a value for each of ``names`` (a name
        may be left out when it is undefined on this text).

    The evaluation calls ``compute`` once per tokenizer and language it applies to, with
    the ids it already has, and writes each value as a row ``{tokenizer, corpus, lang,
    metric, value}``. A corpus without languages (a plain file) is passed with lang
    ``"all"``; a metric with a ``langs`` set is not computed on it.
    """

    names: tuple[str, ...]
    langs: set[str] | None

    def compute(self, tokenizer, texts: list[str], ids: list[list[int]]) -> dict[str, float]: ...


def linguistic_metrics() -> dict[str, LinguisticMetric]:
    """Every installed linguistic metric, keyed by each metric name it produces."""
    from tokkit.plugins import load_plugin, plugins

    found: dict[str, LinguisticMetric] = {}
    for entry in sorted(plugins("tokkit.metrics")):
        metric = load_plugin("tokkit.metrics", entry)()
        for name in metric.names:
            found.setdefault(name, metric)
    return found


# -- what the metrics need to know about a vocabulary -------------------------------------
_BYTE_PIECE = re.compile(r"^<0x[0-9A-Fa-f]{2}>$")


@dataclass(frozen=True)
class VocabFacts:
    """Per-id arrays for one tokenizer, built once and shared by every metric.

    ``special[i]``: id *i* is a control token; ``unknown[i]``: id *i* is the unknown token
    or a byte-fallback piece.
    """

    special: np.ndarray
    unknown: np.ndarray

    @property
    def size(self) -> int:
        return len(self.special)

    @classmethod
    def of(cls, tokenizer) -> "VocabFacts":
        """Read the facts off a :class:`~tokkit.tokenizer.Tokenizer`.

        A byte-fallback piece is an id whose vocabulary string is ``<0xNN>`` and whose
        bytes are that one byte (a byte-level BPE's single-byte tokens are ordinary).
        """
        table = tokenizer.all_token_bytes()
        special = np.fromiter((b is None for b in table), dtype=bool, count=len(table))
        special[list(tokenizer.special_ids)] = True
        unknown = np.zeros(len(table), dtype=bool)
        for i, raw in enumerate(table):
            if raw is not None and len(raw) == 1 and _BYTE_PIECE.match(tokenizer.id_to_token(i)):
                unknown[i] = True
        unk = tokenizer.specials.unk
        if unk is not None:
            unknown[unk] = True
            special[unk] = False  # an unknown token stands for text: it counts as a token
        return cls(special=special, unknown=unknown)


# -- the metric functions ---------------------------------------------------------------
def ctc(ids: np.ndarray, special: np.ndarray) -> int:
    """Corpus token count: the ids that are not special tokens."""
    return int(np.count_nonzero(~special[ids]))


def line_ctc(ids: np.ndarray, line_ends: np.ndarray, special: np.ndarray) -> np.ndarray:
    """CTC of each line, where ``ids`` is all lines' ids end to end and line *i* ends at
    ``line_ends[i]`` (exclusive)."""
    running = np.concatenate(([0], np.cumsum(~special[ids])))
    starts = np.concatenate(([0], line_ends[:-1]))
    return running[line_ends] - running[starts]


def premium(ctc_lang: int, ctc_pivot: int) -> float:
    """Token premium: ``ctc_lang / ctc_pivot`` on the same parallel text."""
    return ctc_lang / ctc_pivot


def line_premiums(lang_line_ctc: np.ndarray, pivot_line_ctc: np.ndarray) -> np.ndarray:
    """Per-line premiums of a line-aligned pair; lines whose pivot line has no tokens are
    left out (an empty line has no premium)."""
    keep = pivot_line_ctc > 0
    return lang_line_ctc[keep] / pivot_line_ctc[keep]


def premium_spread(premiums: np.ndarray) -> tuple[float, float]:
    """Median and interquartile range (p75 - p25) of per-line premiums."""
    p25, p50, p75 = np.percentile(premiums, [25, 50, 75])
    return float(p50), float(p75 - p25)


def bytes_per_token(n_bytes: int, n_tokens: int) -> float:
    """UTF-8 bytes of the text per token."""
    return n_bytes / n_tokens


def chars_per_token(n_chars: int, n_tokens: int) -> float:
    """Unicode code points of the text per token."""
    return n_chars / n_tokens


#: scripts (ISO 15924) whose writing does not put spaces between words
_UNSPACED_SCRIPTS = {"Hans", "Hant", "Hani", "Jpan", "Hira", "Kana", "Thai", "Laoo", "Khmr", "Mymr", "Tibt"}
#: the same languages by ISO 639-3 code, for corpora that name languages without a script
_UNSPACED_LANGS = {"zho", "cmn", "yue", "jpn", "tha", "lao", "khm", "mya", "bod", "dzo"}


def separates_words(lang: str | None) -> bool:
    """Whether ``lang`` (``tur_Latn``, ``zho_Hans``, ``jpn``) writes spaces between words.

    Decided by script: Chinese (Hans, Hant), Japanese (Jpan), Thai, Lao, Khmer, Myanmar
    and Tibetan scripts write words without spaces (Tibetan separates syllables with a
    tsheg), so whitespace words there are phrases or sentences and fertility would
    mislead. Every other script (Latin, Cyrillic, Arabic, Devanagari, Hangul, Ethiopic,
    ...) separates words with spaces. A corpus without a language counts as spaced.
    """
    if not lang or lang == "all":
        return True
    base, _, script = lang.partition("_")
    if script:
        return script not in _UNSPACED_SCRIPTS
    return base not in _UNSPACED_LANGS


def fertility(n_tokens: int, n_words: int) -> float:
    """Tokens per whitespace-separated word."""
    return n_tokens / n_words


def unk_rate(ids: np.ndarray, facts: VocabFacts) -> float:
    """Share of the (non-special) tokens that are unknown or byte-fallback pieces."""
    regular = ~facts.special[ids]
    return float(np.count_nonzero(facts.unknown[ids] & regular) / max(1, np.count_nonzero(regular)))


def token_counts(ids: np.ndarray, special: np.ndarray) -> np.ndarray:
    """How often each non-special id occurs (index = id), via ``np.bincount``."""
    return np.bincount(ids[~special[ids]], minlength=len(special))


def vocab_utilisation(counts: np.ndarray, special: np.ndarray) -> float:
    """Share of the non-special vocabulary with a non-zero count."""
    return float(np.count_nonzero(counts[~special]) / max(1, np.count_nonzero(~special)))


def _probabilities(counts: np.ndarray) -> np.ndarray:
    used = counts[counts > 0].astype(np.float64)
    return used / used.sum()


def shannon_entropy(counts: np.ndarray) -> float:
    """Shannon entropy in bits of the distribution ``counts / counts.sum()``."""
    p = _probabilities(counts)
    return float(-(p * np.log2(p)).sum())


def renyi_efficiency(counts: np.ndarray, alpha: float = DEFAULT_ALPHA) -> float:
    """Rényi efficiency ``H_α(p) / log2(types)`` (Zouhar et al. 2023); α = 1 is Shannon's.

    Written here rather than calling ``tokenization-scorer`` because that package works on
    whitespace-joined token strings and prints to stderr; the definition is the same
    (it divides by the number of types that occur), and the tests check the two agree.
    A text of a single token type has no uncertainty to spread: its efficiency is 0.
    """
    p = _probabilities(counts)
    if len(p) < 2:
        return 0.0
    if alpha == 1.0:
        entropy = float(-(p * np.log2(p)).sum())
    else:
        entropy = float(np.log2((p**alpha).sum()) / (1.0 - alpha))
    return entropy / float(np.log2(len(p)))


def roundtrip_rate(texts: Sequence[str], decoded: Sequence[str]) -> float:
    """Share of lines whose decoded ids give back the line exactly."""
    return sum(a == b for a, b in zip(texts, decoded)) / max(1, len(texts))


def throughput_mb_s(n_bytes: int, seconds: float) -> float:
    """Megabytes (10^6 bytes) of UTF-8 text per second."""
    return n_bytes / 1e6 / max(seconds, 1e-9)
