"""``tokkit.evaluate``: tokenizers x corpora -> one :class:`~tokkit.results.ResultTable`.

Each corpus is read once, and each of its languages is encoded once per tokenizer with
``encode_batch``; every metric of :mod:`tokkit.metrics` is then computed from those same
ids with numpy (a vocabulary-sized array of per-id facts, ``np.bincount`` for token
frequencies), and ``roundtrip_rate`` decodes each line once. So an evaluation costs about
one batch encode and one decode of the text, whatever the number of metrics.

A corpus with languages (a parallel corpus such as ``flores200:devtest``) gives a row per
language and metric, plus rows with lang ``"all"`` for the corpus as a whole; the token
premium needs one (the pivot language's CTC is the denominator). A corpus without
languages gives only ``"all"`` rows.

Petrov et al. (2023) leave out language-tokenizer pairs where more than 10% of the
tokens are the unknown token, since an UNK swallows text and shortens the count. Their
premium is not reported; the header's ``dropped`` list names each such pair and its share
of unknown tokens. Byte-fallback pieces spell the text out exactly, so they count toward
``unk_rate`` but not toward this rule.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import chain
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from tokkit import metrics as M
from tokkit.corpora import Corpus, CorpusError
from tokkit.errors import TokkitError
from tokkit.progress import Progress
from tokkit.results import ALL, ResultTable
from tokkit.tokenizer import Tokenizer

#: metrics computed per language of a multilingual corpus (the rest are corpus-wide only)
_PER_LANG = set(M.METRICS) - {"throughput_mb_s"}
_PREMIUM = {"premium", "premium_median", "premium_iqr"}


@dataclass
class Source:
    """A corpus as the evaluation sees it: named lines per language.

    ``langs`` is ``[ALL]`` for a corpus without languages; ``parallel`` says whether the
    languages hold the same content (premium needs it), ``aligned`` whether line *i* is
    the same sentence in every language (the per-line premium needs that).
    """

    spec: str
    langs: list[str]
    lines: dict[str, list[str]]
    parallel: bool
    aligned: bool
    corpus: Any = None

    def fingerprint(self) -> str:
        """SHA-256 over each language code and its lines, NUL-separated."""
        digest = hashlib.sha256()
        for lang in self.langs:
            digest.update(lang.encode() + b"\0")
            for line in self.lines[lang]:
                digest.update(line.encode("utf-8", "surrogatepass") + b"\0")
        return digest.hexdigest()

    def check_aligned(self) -> None:
        """CorpusError naming the languages whose line counts differ (line-aligned corpora)."""
        if self.aligned:
            self.corpus.subset(self.langs).check_aligned()


def open_source(corpus: Any, *, langs: Sequence[str] | None = None, pivot: str | None = None,
                data_dir: str | Path | None = None) -> Source:
    """Read a corpus (a spec, a :class:`Corpus`, or a parallel corpus) into a :class:`Source`.

    A spec opens as a parallel corpus when it names a parallel data set
    (``flores200:devtest``, ``xquad``, ``udhr``, ``sample``, optionally ``:LANG,LANG``),
    is ``lang=path,lang=path``, or is a folder whose ``.txt`` files are all named by
    language codes (``eng_Latn.txt``, ``tur.txt``); anything else is read with
    ``open_corpus`` as one corpus without languages. ``langs`` keeps only those languages
    of a parallel corpus (and the pivot, which the premium needs).
    """
    if isinstance(corpus, (str, Path)):
        corpus = _open_spec(str(corpus), data_dir)
    if isinstance(corpus, Corpus):
        return Source(corpus.spec, [ALL], {ALL: list(corpus.texts())}, parallel=False, aligned=False, corpus=corpus)
    if not hasattr(corpus, "lines") or not hasattr(corpus, "langs"):
        raise TokkitError(f"cannot evaluate on {corpus!r}: give a corpus spec, a Corpus or a parallel corpus")
    keep = list(corpus.langs)
    if langs:
        missing = [lang for lang in langs if lang not in keep]
        if missing:
            raise TokkitError(f"{corpus.spec} has no language {', '.join(missing)} (it has {_few(keep)})")
        keep = [lang for lang in keep if lang in set(langs) or lang == pivot]
    aligned = bool(getattr(corpus, "aligned_by_line", False))
    lines = {lang: list(corpus.lines(lang)) for lang in keep}
    return Source(corpus.spec, keep, lines, parallel=True, aligned=aligned, corpus=corpus)


#: what ``--corpus`` accepts, for error messages and help
CORPUS_FORMS = (
    "a named corpus (flores200:devtest, flores200:dev, xquad, udhr, text:LANG, sample; parallel ones may add "
    ":LANG,LANG), a text file, a folder, a glob, FILE.jsonl:FIELD, or lang=path,lang=path"
)

_LANG_CODE = re.compile(r"^[a-z]{2,3}(_[A-Z][a-z]{3})?$")


def _open_spec(spec: str, data_dir):
    from tokkit.corpora import open_corpus, open_parallel
    from tokkit.corpora.named import split_named

    named = split_named(spec)
    folder = Path(spec).expanduser()
    if named is None and not folder.exists() and "=" not in spec and not any(c in spec for c in "*?["):
        raise CorpusError(f"no corpus at {spec}: give {CORPUS_FORMS}")
    stems = [p.stem for p in folder.glob("*.txt")] if named is None and folder.is_dir() else []
    if (
        (named is not None and (named[0].alignment is not None or (named[0].name == "sample" and not named[1])))
        or (named is None and "=" in spec and not folder.exists())
        or (stems and all(_LANG_CODE.match(stem) for stem in stems))
    ):
        return open_parallel(spec, data_dir=data_dir)
    return open_corpus(spec, data_dir=data_dir)


def _few(items: Sequence[str], n: int = 8) -> str:
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


def resolve_metrics(names: Iterable[str] | None) -> tuple[list[str], dict[str, M.LinguisticMetric]]:
    """Split requested names into built-in metrics and linguistic plugins (by name);
    ``"default"`` stands for every default metric."""
    if names is None:
        return list(M.DEFAULT_METRICS), {}
    names = list(dict.fromkeys(m for name in names for m in (M.DEFAULT_METRICS if name == "default" else [name])))
    builtin = [n for n in names if n in M.METRICS]
    others = [n for n in names if n not in M.METRICS]
    plugins = M.linguistic_metrics() if others else {}
    unknown = [n for n in others if n not in plugins]
    if unknown:
        known = [*M.METRICS, *sorted(plugins or M.linguistic_metrics())]
        raise TokkitError(f"unknown metric {', '.join(unknown)}: choose from {', '.join(known)}")
    return builtin, {n: plugins[n] for n in others}


@dataclass
class _Encoded:
    """One language's lines encoded by one tokenizer: flat ids and where each line ends."""

    texts: list[str]
    ids: list[list[int]]
    flat: np.ndarray
    ends: np.ndarray
    seconds: float

    @classmethod
    def of(cls, tokenizer: Tokenizer, texts: list[str]) -> "_Encoded":
        start = time.perf_counter()
        ids = tokenizer.encode_batch(texts)
        seconds = time.perf_counter() - start
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        ends = np.cumsum(lengths)
        total = int(ends[-1]) if len(ends) else 0
        flat = np.fromiter(chain.from_iterable(ids), dtype=np.int64, count=total)
        return cls(texts, ids, flat, ends, seconds)


class _Tally:
    """Corpus-wide sums over the languages of one tokenizer."""

    def __init__(self, vocab: int):
        self.counts = np.zeros(vocab, dtype=np.int64)
        self.tokens = self.bytes = self.chars = self.words = self.lines = self.unknown = 0
        self.same = self.seconds = 0.0


def evaluate(
    tokenizers: Sequence[Tokenizer | str] | Tokenizer | str,
    corpus: Any,
    metrics: Iterable[str] | None = None,
    pivot: str = "eng_Latn",
    *,
    langs: Sequence[str] | None = None,
    alpha: float = M.DEFAULT_ALPHA,
    data_dir: str | Path | None = None,
    progress: Progress | None = None,
) -> ResultTable:
    """Evaluate tokenizers on corpora; one tidy :class:`ResultTable` of every metric.

    ``tokenizers``: Tokenizer objects or specs for :func:`tokkit.load`. ``corpus``: a spec
    (``flores200:devtest``, a file, a folder), a Corpus, a parallel corpus, or a list of
    them. ``metrics``: names (built-in ones and those of installed linguistic plugins);
    ``None`` means :data:`tokkit.metrics.DEFAULT_METRICS`. ``pivot``: the language every
    premium is relative to. ``langs``: keep only these languages of parallel corpora.
    ``alpha``: the Rényi order.
    """
    plan = Evaluation(tokenizers, corpus, metrics, pivot, langs=langs, alpha=alpha, data_dir=data_dir)
    return plan.run(progress)


class Evaluation:
    """An evaluation whose inputs are loaded and checked: constructing it reads the
    corpora and raises every user error (bad spec, missing pivot, unaligned corpus) before
    any encoding starts; :meth:`run` does the work."""

    def __init__(self, tokenizers, corpus, metrics=None, pivot: str = "eng_Latn", *, langs=None,
                 alpha: float = M.DEFAULT_ALPHA, data_dir=None):
        from tokkit.loading import load

        explicit = metrics is not None
        self.builtin, self.plugins = resolve_metrics(metrics)
        self.wanted = set(self.builtin)
        self.tokenizers = [t if isinstance(t, Tokenizer) else load(t) for t in _as_list(tokenizers)]
        _check_names(self.tokenizers)
        self.sources = [open_source(c, langs=langs, pivot=pivot, data_dir=data_dir) for c in _as_list(corpus)]
        for source in self.sources:
            _check_premium(source, pivot, self.wanted & _PREMIUM, explicit)
        self.pivot, self.alpha = pivot, alpha

    def run(self, progress: Progress | None = None) -> ResultTable:
        from tokkit import __version__

        table = ResultTable(header={
            "tokkit_version": __version__,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "tokenizers": [{"name": t.name, "format": t.format, "vocab_size": t.vocab_size} for t in self.tokenizers],
            "corpora": [{"spec": s.spec, "sha256": s.fingerprint(), "langs": s.langs,
                         "lines": sum(len(v) for v in s.lines.values())} for s in self.sources],
            "metrics": self.builtin + list(self.plugins),
            "pivot": self.pivot,
            "alpha": self.alpha,
            "unknown_limit": M.UNKNOWN_LIMIT,
            "dropped": [],
        })
        total = len(self.tokenizers) * sum(len(s.langs) for s in self.sources)
        task = progress.add("evaluating", total=total) if progress else None
        for tok in self.tokenizers:
            facts = M.VocabFacts.of(tok)
            for source in self.sources:
                _evaluate_one(table, tok, facts, source, self.wanted, self.plugins, self.pivot, self.alpha, task)
        if task is not None:
            task.done()
        return table


def _as_list(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _check_names(toks: list[Tokenizer]) -> None:
    seen: dict[str, int] = {}
    for tok in toks:
        if tok.name in seen:
            seen[tok.name] += 1
            tok.name = f"{tok.name}#{seen[tok.name]}"
        else:
            seen[tok.name] = 1


def _check_premium(source: Source, pivot: str, premium: set[str], explicit: bool) -> None:
    """A premium needs a parallel corpus that holds the pivot (and aligned lines for the
    per-line distribution)."""
    if not premium:
        return
    if not source.parallel:
        if explicit:
            raise TokkitError(f"premium needs a parallel corpus with languages (such as flores200:devtest); {source.spec} has none")
        return
    if pivot not in source.langs:
        raise TokkitError(f"pivot language {pivot} is not in {source.spec} (it has {_few(source.langs)}); choose one with --pivot")
    source.check_aligned()


def _evaluate_one(table, tok, facts, source, wanted, plugins, pivot, alpha, task) -> None:
    name, spec = tok.name, source.spec
    tally = _Tally(facts.size)
    line_ctcs: dict[str, np.ndarray] = {}
    ctcs: dict[str, int] = {}
    unk_shares: dict[str, float] = {}
    multi = source.langs != [ALL]
    for lang in source.langs:
        if task is not None:
            task.update(description=f"{name} · {lang}")
        enc = _Encoded.of(tok, source.lines[lang])
        values, counts = _language_metrics(tok, facts, enc, lang, wanted, alpha, tally)
        ctcs[lang] = values["ctc"]
        line_ctcs[lang] = M.line_ctc(enc.flat, enc.ends, facts.special)
        unk = tok.specials.unk
        unk_shares[lang] = float(np.count_nonzero(enc.flat == unk)) / max(1, values["ctc"]) if unk is not None else 0.0
        if multi:
            for metric, value in values.items():
                if metric in wanted and metric in _PER_LANG:
                    table.add(name, spec, lang, metric, value)
        for metric in plugins.values():
            if metric.langs is None or lang in metric.langs:
                for key, value in metric.compute(tok, enc.texts, enc.ids).items():
                    if key in plugins:
                        table.add(name, spec, lang, key, float(value))
        if task is not None:
            task.advance()
    whole = _corpus_metrics(tally, facts, wanted, alpha, spaced=not multi)
    for metric, value in whole.items():
        table.add(name, spec, ALL, metric, value)
    if source.parallel and wanted & _PREMIUM and pivot in ctcs:
        _premium_rows(table, name, source, ctcs, line_ctcs, unk_shares, wanted, pivot)


def _language_metrics(tok, facts, enc, lang, wanted, alpha, tally) -> tuple[dict[str, float], np.ndarray]:
    """Every per-language metric from one encoding; adds the language to ``tally``."""
    n_bytes = sum(len(t.encode("utf-8", "surrogatepass")) for t in enc.texts)
    n_chars = sum(map(len, enc.texts))
    counts = M.token_counts(enc.flat, facts.special)
    n_tokens = M.ctc(enc.flat, facts.special)
    values: dict[str, float] = {"ctc": n_tokens}
    if n_tokens:
        values["bytes_per_token"] = M.bytes_per_token(n_bytes, n_tokens)
        values["chars_per_token"] = M.chars_per_token(n_chars, n_tokens)
        values["unk_rate"] = M.unk_rate(enc.flat, facts)
        values["entropy"] = M.shannon_entropy(counts)
        values["renyi_efficiency"] = M.renyi_efficiency(counts, alpha)
    values["vocab_utilisation"] = M.vocab_utilisation(counts, facts.special)
    if "fertility" in wanted and M.separates_words(lang):
        words = sum(len(t.split()) for t in enc.texts)
        tally.words += words
        if words:
            values["fertility"] = M.fertility(n_tokens, words)
    if "roundtrip_rate" in wanted and enc.texts:
        values["roundtrip_rate"] = M.roundtrip_rate(enc.texts, [tok.decode(line) for line in enc.ids])
        tally.same += values["roundtrip_rate"] * len(enc.texts)
    tally.counts += counts
    tally.tokens += n_tokens
    tally.bytes += n_bytes
    tally.chars += n_chars
    tally.lines += len(enc.texts)
    tally.unknown += int(np.count_nonzero(facts.unknown[enc.flat] & ~facts.special[enc.flat]))
    tally.seconds += enc.seconds
    return values, counts


def _corpus_metrics(tally: _Tally, facts, wanted, alpha, spaced: bool) -> dict[str, float]:
    """The ``"all"`` rows: the same metrics over all languages together (fertility only
    for a corpus without languages: across languages it would mix spaced and unspaced
    scripts)."""
    values: dict[str, float] = {"ctc": tally.tokens}
    if tally.tokens:
        values["bytes_per_token"] = M.bytes_per_token(tally.bytes, tally.tokens)
        values["chars_per_token"] = M.chars_per_token(tally.chars, tally.tokens)
        values["unk_rate"] = tally.unknown / tally.tokens
        values["entropy"] = M.shannon_entropy(tally.counts)
        values["renyi_efficiency"] = M.renyi_efficiency(tally.counts, alpha)
    values["vocab_utilisation"] = M.vocab_utilisation(tally.counts, facts.special)
    if spaced and tally.words:
        values["fertility"] = M.fertility(tally.tokens, tally.words)
    if tally.lines and "roundtrip_rate" in wanted:
        values["roundtrip_rate"] = tally.same / tally.lines
    if tally.bytes:
        values["throughput_mb_s"] = M.throughput_mb_s(tally.bytes, tally.seconds)
    return {k: v for k, v in values.items() if k in wanted}


def _premium_rows(table, name, source, ctcs, line_ctcs, unk_shares, wanted, pivot) -> None:
    """Premium (and its per-line spread) per language, after Petrov's unknown-token rule."""
    pivot_bad = unk_shares[pivot] > M.UNKNOWN_LIMIT
    for lang in source.langs:
        if pivot_bad or unk_shares[lang] > M.UNKNOWN_LIMIT:
            table.header["dropped"].append({
                "tokenizer": name, "corpus": source.spec, "lang": lang,
                "unknown_share": round(unk_shares[pivot if pivot_bad else lang], 6),
                "reason": f"more than {M.UNKNOWN_LIMIT:.0%} unknown tokens" + (f" in the pivot {pivot}" if pivot_bad else ""),
            })
            continue
        if ctcs[pivot] == 0:
            continue
        if "premium" in wanted:
            table.add(name, source.spec, lang, "premium", M.premium(ctcs[lang], ctcs[pivot]))
        if source.aligned and wanted & {"premium_median", "premium_iqr"}:
            per_line = M.line_premiums(line_ctcs[lang], line_ctcs[pivot])
            if len(per_line):
                median, iqr = M.premium_spread(per_line)
                if "premium_median" in wanted:
                    table.add(name, source.spec, lang, "premium_median", median)
                if "premium_iqr" in wanted:
                    table.add(name, source.spec, lang, "premium_iqr", iqr)
