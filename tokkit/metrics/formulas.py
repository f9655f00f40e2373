"""The formulas behind the metrics: pure functions over token ids and counts.

Each takes numpy arrays or plain numbers, so a whole FLORES-200 run costs little beyond
the encoding itself, and each is tested against an independent computation. The
registry (:mod:`tokkit.metrics.builtin`) says what every metric means and which of these
computes it.
"""

from __future__ import annotations

import numpy as np

#: Petrov et al. (2023) leave out language-tokenizer pairs with more than 10% unknown tokens
UNKNOWN_LIMIT = 0.10

#: the Rényi order Zouhar et al. (2023) found to correlate best with BLEU
DEFAULT_ALPHA = 2.5


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


def over_unknown_limit(unknown_share: float) -> bool:
    """Petrov et al.'s rule: a language-tokenizer pair whose share of unknown tokens is above
    :data:`UNKNOWN_LIMIT` gets no premium (an unknown token swallows text and shortens the
    count)."""
    return unknown_share > UNKNOWN_LIMIT


def dropped(tokenizer: str, corpus: str, lang: str, unknown_share: float, pivot: str | None = None) -> dict:
    """The results header's record of a pair Petrov's rule left out (``pivot``: the pivot's
    share was over the limit, not the language's)."""
    return {
        "tokenizer": tokenizer, "corpus": corpus, "lang": lang, "unknown_share": round(unknown_share, 6),
        "reason": f"more than {UNKNOWN_LIMIT:.0%} unknown tokens" + (f" in the pivot {pivot}" if pivot else ""),
    }


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


def throughput_mb_s(n_bytes: int, seconds: float) -> float:
    """Megabytes (10^6 bytes) of UTF-8 text per second."""
    return n_bytes / 1e6 / max(seconds, 1e-9)
