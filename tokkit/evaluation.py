"""``tokkit.evaluate``: tokenizers x corpora -> one :class:`~tokkit.results.ResultTable`.

Each corpus is read once, and each of its languages is encoded once per tokenizer with
``encode_batch`` (a :class:`~tokkit.metrics.Reading`). The requested metrics (from the
registry, :mod:`tokkit.metrics`) say which counts they are computed from; each kind of
counts is collected once per reading, with numpy (a vocabulary-sized array of per-id
facts, ``np.bincount`` for token frequencies), and ``roundtrip_rate``'s decodes each line
once. So an evaluation costs about one batch encode and one decode of the text, whatever
the number of metrics. The whole corpus's counts are the sum of its languages'.

A corpus with languages (a parallel corpus such as ``flores200:devtest``) gives a row per
language and metric, plus rows with lang ``"all"`` for the corpus as a whole; the token
premium needs one (the pivot language's CTC is the denominator). A corpus without
languages gives only ``"all"`` rows.

Petrov et al. (2023) leave out language-tokenizer pairs where more than 10% of the
tokens are the unknown token (``unk_rate``), since an UNK swallows text and shortens the
count. Their premium is not reported; the header's ``dropped`` list names each such pair
and its share of unknown tokens. Byte-fallback pieces spell the text out exactly, so they
count toward ``byte_fallback_rate``, not toward this rule.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

from tokkit import metrics as M
from tokkit.checks import check_number
from tokkit.metrics.formulas import dropped, over_unknown_limit
from tokkit.corpora import Corpus, CorpusError, as_corpus
from tokkit.corpora.opening import names_corpus
from tokkit.errors import InvalidValue, TokkitError
from tokkit.progress import Progress
from tokkit.results import ALL, ResultTable
from tokkit.tokenizer import Tokenizer


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
                data_dir: str | Path | None = None, errors: str = "strict") -> Source:
    """Read a corpus (a spec, a :class:`Corpus`, or a parallel corpus) into a :class:`Source`
    (a Source is returned as it is).

    A spec opens as a parallel corpus when it names a parallel data set
    (``flores200:devtest``, ``xquad``, ``udhr``, ``sample``, optionally ``:LANG,LANG``),
    is ``lang=path,lang=path``, or is a folder whose ``.txt`` files are all named by
    language codes (``eng_Latn.txt``, ``tur.txt``); anything else is read with
    ``open_corpus`` as one corpus without languages. ``langs`` keeps only those languages
    of a parallel corpus (and the pivot, which the premium needs). ``errors`` says what a
    spec's files do with invalid UTF-8 (``strict``, ``replace`` or ``skip``).
    """
    if isinstance(corpus, Source):
        return corpus
    if isinstance(corpus, (str, Path)):
        corpus = _open_spec(str(corpus), data_dir, errors)
    elif not (hasattr(corpus, "lines") and hasattr(corpus, "langs")):
        corpus = as_corpus(corpus, data_dir=data_dir)  # a Corpus, or texts: an iterable, a dataset
    if isinstance(corpus, Corpus):
        return Source(corpus.spec, [ALL], {ALL: list(corpus.texts())}, parallel=False, aligned=False, corpus=corpus)
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
#: ``lang=path,lang=path``: a parallel corpus from files
_PARALLEL_PAIRS = re.compile(r"^[\w-]+=[^\s,=]+(,[\w-]+=[^\s,=]+)*$")


def _open_spec(spec: str, data_dir, errors: str):
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
        return open_parallel(spec, data_dir=data_dir, errors=errors)
    return open_corpus(spec, data_dir=data_dir, errors=errors)


def _few(items: Sequence[str], n: int = 8) -> str:
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


@dataclass
class _Rows:
    """The rows of one evaluation, named by the evaluation (the tokenizers keep their names)."""

    table: ResultTable
    tokenizer: str
    corpus: str

    def add(self, lang: str, metric: M.Metric, counts, ctx: M.Context) -> None:
        value = metric.compute(counts, ctx)
        if value is not None:
            self.table.add(self.tokenizer, self.corpus, lang, metric.name, value)


def evaluate(
    tokenizers: Sequence[Tokenizer | str] | Tokenizer | str,
    corpus: Any,
    metrics: Iterable[str] | None = None,
    pivot: str = "eng_Latn",
    *,
    langs: Sequence[str] | None = None,
    alpha: float = M.DEFAULT_ALPHA,
    data_dir: str | Path | None = None,
    errors: str = "strict",
    progress: Progress | None = None,
    samples: int = 0,
    vocabulary: bool = False,
) -> ResultTable:
    """Evaluate tokenizers on corpora; one tidy :class:`ResultTable` of every metric.

    ``tokenizers``: Tokenizer objects or specs for :func:`tokkit.load`. ``corpus``: a spec
    (``flores200:devtest``, a file, a folder), a Corpus, a parallel corpus, or a list of
    them; or the texts themselves: a list of strings (one that does not start with a
    corpus spec), a generator, a ``datasets`` dataset (:func:`tokkit.corpora.as_corpus`). ``metrics``: names (built-in ones and those of installed plugins); ``None``
    means :data:`tokkit.metrics.DEFAULT_METRICS`. ``pivot``: the language every premium
    is relative to. ``langs``: keep only these languages of parallel corpora. ``alpha``:
    the Rényi order. ``errors``: what the corpus files do with invalid UTF-8 (``strict``,
    ``replace`` or ``skip``). ``samples`` and ``vocabulary``: what the HTML report shows
    besides the rows (see :meth:`Evaluation.run`).
    """
    plan = Evaluation(tokenizers, corpus, metrics, pivot, langs=langs, alpha=alpha, data_dir=data_dir, errors=errors)
    return plan.run(progress, samples=samples, vocabulary=vocabulary)


class Evaluation:
    """An evaluation whose inputs are loaded and checked: constructing it reads the
    corpora and raises every user error (bad spec, missing pivot, unaligned corpus) before
    any encoding starts; :meth:`run` does the work."""

    def __init__(self, tokenizers, corpus, metrics=None, pivot: str = "eng_Latn", *, langs=None,
                 alpha: float = M.DEFAULT_ALPHA, data_dir=None, errors: str = "strict"):
        from tokkit.loading import load

        check_number("alpha", alpha, above=0)
        explicit = metrics is not None
        self.metrics = M.resolve(metrics)
        self.tokenizers = [t if isinstance(t, Tokenizer) else load(t) for t in _as_list(tokenizers)]
        self.names = distinct_names([t.name for t in self.tokenizers])
        self.sources = [open_source(c, langs=langs, pivot=pivot, data_dir=data_dir, errors=errors) for c in _corpora(corpus)]
        pivoted = [m.name for m in self.metrics if m.scope is M.Scope.PIVOT]
        for source in self.sources:
            _check_pivot(source, pivot, pivoted, explicit)
        self.pivot, self.alpha = pivot, alpha

    def run(self, progress: Progress | None = None, *, samples: int = 0, vocabulary: bool = False) -> ResultTable:
        """Every metric of every tokenizer on every corpus. The header also keeps, for the
        HTML report, what only the tokenizers can tell: with ``samples`` > 0 that many
        lines of each language as each tokenizer cuts them (:mod:`tokkit.samples`), with
        ``vocabulary`` each tokenizer's vocabulary profile and their overlaps
        (:mod:`tokkit.vocabulary`)."""
        from tokkit import __version__

        check_number("samples", samples, at_least=0, whole=True)

        table = ResultTable(header={
            "tokkit_version": __version__,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "tokenizers": [{"name": name, "format": t.format, "vocab_size": t.vocab_size}
                           for name, t in zip(self.names, self.tokenizers)],
            "corpora": [{"spec": s.spec, "sha256": s.fingerprint(), "langs": s.langs,
                         "lines": sum(len(v) for v in s.lines.values())} for s in self.sources],
            "metrics": [m.name for m in self.metrics],
            "pivot": self.pivot,
            "alpha": self.alpha,
            "unknown_limit": M.UNKNOWN_LIMIT,
            "dropped": [],
        })
        total = len(self.tokenizers) * sum(len(s.langs) for s in self.sources)
        task = progress.add("evaluating", total=total, unit="languages") if progress else None
        for name, tok in zip(self.names, self.tokenizers):
            facts = M.VocabFacts.of(tok)
            for source in self.sources:
                self._evaluate_one(_Rows(table, name, source.spec), tok, facts, source, task)
        if task is not None:
            task.done()
        if samples:
            from tokkit.samples import sample_tokenizations

            table.header["samples"] = sample_tokenizations(self.tokenizers, self.names, self.sources, samples, self.pivot)
        if vocabulary:
            from tokkit.vocabulary import analyse

            table.header["vocabulary"] = analyse(self.tokenizers, self.names).to_json()
        return table

    def _evaluate_one(self, rows: _Rows, tok: Tokenizer, facts: M.VocabFacts, source: Source, task) -> None:
        """Every metric of one tokenizer on one corpus: each language is read once, the
        counts its metrics need are collected, and the whole corpus is their sum."""
        multi = source.langs != [ALL]
        collectors = list(dict.fromkeys(m.collect for m in self.metrics))
        per_lang: dict[str, dict] = {}
        for lang in source.langs:
            if task is not None:
                task.update(description=f"{rows.tokenizer} · {lang}")
            reading = M.Reading.of(tok, facts, lang, source.lines[lang])
            wanted = {m.collect for m in self.metrics if m.applies_to(lang)}
            counts = per_lang[lang] = {c: c(reading) for c in collectors if c in wanted}
            ctx = M.Context(tok, facts, lang, multi, self.alpha)
            for metric in self.metrics:
                per_language = metric.scope is M.Scope.LANGUAGE or (multi and metric.scope is M.Scope.TEXT)
                if per_language and metric.applies_to(lang):
                    rows.add(lang, metric, counts[metric.collect], ctx)
            if task is not None:
                task.advance()
        whole = {c: _sum(per_lang[lang][c] for lang in source.langs if c in per_lang[lang]) for c in collectors}
        ctx = M.Context(tok, facts, ALL, multi, self.alpha)
        for metric in self.metrics:
            if metric.scope in (M.Scope.TEXT, M.Scope.CORPUS) and whole[metric.collect] is not None:
                rows.add(ALL, metric, whole[metric.collect], ctx)
        pivoted = [m for m in self.metrics if m.scope is M.Scope.PIVOT]
        if source.parallel and pivoted and self.pivot in per_lang:
            self._pivot_rows(rows, facts, source, per_lang, pivoted, tok)

    def _pivot_rows(self, rows: _Rows, facts, source: Source, per_lang, pivoted, tok) -> None:
        """Premiums per language, after Petrov's unknown-token rule: a language (or a
        pivot) with more than :data:`~tokkit.metrics.UNKNOWN_LIMIT` unknown tokens gets
        none, and the header's ``dropped`` list says why."""
        tokens = M.TokenCounts.collect
        share = {lang: facts.unknown(per_lang[lang][tokens].frequencies) / max(1, per_lang[lang][tokens].tokens)
                 for lang in source.langs}
        pivot = per_lang[self.pivot][tokens]
        pivot_bad = over_unknown_limit(share[self.pivot])
        for lang in source.langs:
            counts = per_lang[lang][tokens]
            if pivot_bad or over_unknown_limit(share[lang]):
                which = self.pivot if pivot_bad else lang
                rows.table.header["dropped"].append(dropped(rows.tokenizer, rows.corpus, lang, share[which], self.pivot if pivot_bad else None))
                continue
            ctx = M.Context(tok, facts, lang, True, self.alpha, pivot=pivot, aligned=source.aligned)
            for metric in pivoted:
                rows.add(lang, metric, counts, ctx)


def _sum(parts):
    """The sum of counts (``None`` for none)."""
    total = None
    for part in parts:
        total = part if total is None else total + part
    return total


def _as_list(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _corpora(corpus) -> list:
    """The corpora an evaluation reads: one, or a list of them; a list of strings that does
    not start with a corpus spec is the texts of one corpus."""
    if isinstance(corpus, (list, tuple)) and corpus and all(isinstance(c, str) for c in corpus):
        first = corpus[0]
        if not (names_corpus(first) or _PARALLEL_PAIRS.match(first)):
            return [corpus]
    return _as_list(corpus)


def distinct_names(names: list[str]) -> list[str]:
    """The tokenizers' names, a second ``bpe`` as ``bpe#2`` and so on."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return out


def _check_pivot(source: Source, pivot: str, pivoted: list[str], explicit: bool) -> None:
    """A premium needs a parallel corpus that holds the pivot (and aligned lines for the
    per-line distribution)."""
    if not pivoted:
        return
    if not source.parallel:
        if explicit:
            raise TokkitError(f"{pivoted[0]} needs a parallel corpus with languages (such as flores200:devtest); {source.spec} has none")
        return
    if pivot not in source.langs:
        raise InvalidValue("pivot", f"{pivot} is not a language of {source.spec} (it has {_few(source.langs)}); choose one of them")
    source.check_aligned()
