"""``tokkit.evaluate``: tokenizers x corpora -> one :class:`~tokkit.results.ResultTable`.

The work is cut into **units**: one tokenizer on one language of one corpus
(:class:`EvalUnit`, a plain value; :func:`count_unit` does it). A unit streams its
language's lines in chunks of about :data:`CHUNK_CHARS` characters; each chunk is
encoded once with ``encode_batch`` (a :class:`~tokkit.metrics.Reading`), the counts the
requested metrics need are collected off it (each kind once, with numpy: a
vocabulary-sized array of per-id facts, ``np.bincount`` for token frequencies;
``roundtrip_rate`` decodes each line once) and added to the unit's counts. So an
evaluation costs about one batch encode and one decode of the text, whatever the number
of metrics, and its memory is a chunk's, whatever the size of the corpus: what a unit
keeps are sums, plus 8 bytes a line for the per-line premium on line-aligned corpora.
The whole corpus's counts are the sum of its languages'.

Units run on an executor (:mod:`tokkit.executors`): ``local`` (in this process, where
the tokenizers' own batch threads use the cores), ``process`` (a pool of worker
processes, units side by side) or ``ray``. Counts are put back in the units' order, so
every executor gives the same rows. A line longer than
:data:`~tokkit.metrics.counts.MAX_PIECE_CHARS` is encoded in pieces cut at white space
(:func:`~tokkit.metrics.counts.pieces`): it still counts as one line, with the tokens
of its pieces, which can differ from the whole line's by a token or two at each cut.

The corpus fingerprint in the header is hashed while the units read the text: a corpus
without languages has :meth:`~tokkit.corpora.Corpus.fingerprint` (the value tokkit.json
records for a training corpus), a corpus with languages the SHA-256 over each language
code and that language's fingerprint. Every tokenizer's units must see the same text.

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
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from tokkit import metrics as M
from tokkit.checks import check_number
from tokkit.metrics.formulas import dropped, over_unknown_limit
from tokkit.corpora import Corpus, CorpusError, as_corpus
from tokkit.corpora.base import Fingerprint
from tokkit.corpora.opening import names_corpus
from tokkit.errors import InvalidValue, TokkitError
from tokkit.executors import Executor, executor_for
from tokkit.interrupts import deferred_interrupts
from tokkit.progress import Progress
from tokkit.results import ALL, ResultTable
from tokkit.tokenizer import Tokenizer

#: a unit reads its lines in chunks of at least this many characters (the last may be less)
CHUNK_CHARS = 1 << 20


@dataclass
class Source:
    """A corpus as the evaluation sees it: each language's texts, streamed.

    ``langs`` is ``[ALL]`` for a corpus without languages; ``parallel`` says whether the
    languages hold the same content (premium needs it), ``aligned`` whether line *i* is
    the same sentence in every language (the per-line premium needs that).
    """

    spec: str
    langs: list[str]
    texts: dict[str, Corpus]
    parallel: bool
    aligned: bool
    corpus: Any = None

    def fingerprint(self, digests: dict[str, str]) -> str:
        """The corpus's fingerprint from its languages' (see the module docstring)."""
        if self.langs == [ALL]:
            return digests[ALL]
        digest = hashlib.sha256()
        for lang in self.langs:
            digest.update(f"{lang}\0{digests[lang]}\0".encode())
        return digest.hexdigest()

    def check_aligned(self) -> None:
        """CorpusError naming the languages whose line counts differ (line-aligned corpora)."""
        if self.aligned:
            self.corpus.subset(self.langs).check_aligned()

    def check_not_empty(self) -> None:
        """TokkitError naming a language (or the corpus) without any text: its counts would
        all be zero, and its premium a division by nothing."""
        for lang in self.langs:
            if self.texts[lang].is_empty():
                where = self.spec if lang == ALL else f"{self.spec} {lang}"
                raise TokkitError(f"{where} holds no text to evaluate (no line with a character in it)")


def open_source(corpus: Any, *, langs: Sequence[str] | None = None, pivot: str | None = None,
                data_dir: str | Path | None = None, errors: str = "strict") -> Source:
    """Open a corpus (a spec, a :class:`Corpus`, or a parallel corpus) as a :class:`Source`
    (a Source is returned as it is).

    A spec opens as a parallel corpus when it names a parallel data set
    (``flores200:devtest``, ``xquad``, ``udhr``, ``sample``, optionally ``:LANG,LANG``),
    is ``lang=path,lang=path``, or is a folder whose ``.txt`` files are all named by
    language codes (``eng_Latn.txt``, ``tur.txt``); anything else is read with
    ``open_corpus`` as one corpus without languages. ``langs`` keeps only those languages
    of a parallel corpus (and the pivot, which the premium needs). ``errors`` says what a
    spec's files do with invalid UTF-8 (``strict``, ``replace`` or ``skip``). Nothing is read here.
    """
    if isinstance(corpus, Source):
        return corpus
    if isinstance(corpus, (str, Path)):
        corpus = _open_spec(str(corpus), data_dir, errors)
    elif not (hasattr(corpus, "corpus") and hasattr(corpus, "langs")):
        corpus = as_corpus(corpus, data_dir=data_dir)  # a Corpus, or texts: an iterable, a dataset
    if isinstance(corpus, Corpus):
        return Source(corpus.spec, [ALL], {ALL: corpus}, parallel=False, aligned=False, corpus=corpus)
    keep = list(corpus.langs)
    if langs:
        missing = [lang for lang in langs if lang not in keep]
        if missing:
            raise TokkitError(f"{corpus.spec} has no language {', '.join(missing)} (it has {_few(keep)})")
        keep = [lang for lang in keep if lang in set(langs) or lang == pivot]
    aligned = bool(getattr(corpus, "aligned_by_line", False))
    texts = {lang: corpus.corpus(lang) for lang in keep}
    return Source(corpus.spec, keep, texts, parallel=True, aligned=aligned, corpus=corpus)


@dataclass(frozen=True)
class EvalUnit:
    """One tokenizer on one language of one corpus, as a plain value that any executor can
    send to a worker; :func:`count_unit` does it.

    ``tokenizer`` indexes the run's shared context (the tokenizers and their
    :class:`~tokkit.metrics.VocabFacts`, sent to each worker once); ``texts`` is the
    language's corpus, read by whoever runs the unit (a file path must hold the same
    file there); ``metrics`` are names, looked up in the worker's registry;
    ``per_line``: keep each line's token count (the per-line premium of an aligned
    corpus). ``chunk_chars`` and ``piece_chars`` bound what is encoded at once.
    """

    tokenizer: int
    texts: Corpus
    lang: str
    metrics: tuple[str, ...]
    per_line: bool
    chunk_chars: int = CHUNK_CHARS
    piece_chars: int = M.counts.MAX_PIECE_CHARS


@dataclass
class UnitCounts:
    """What a unit found: its lines, its text's fingerprint, and the counts of each
    collection (by :func:`collection_keys`), with the tokkit version that counted them."""

    lines: int
    fingerprint: str
    counts: dict[str, Any]
    tokkit_version: str


def collection_keys(metrics: Iterable[M.Metric]) -> dict[str, str]:
    """Each metric's collection, named by the first metric that reads the same one (a
    key that means the same in every process, where the functions are not the same
    objects)."""
    first: dict[Callable, str] = {}
    return {metric.name: first.setdefault(metric.collect, metric.name) for metric in metrics}


def count_unit(context: Sequence[tuple[Tokenizer, M.VocabFacts]], unit: EvalUnit,
               on_chunk: Callable[[EvalUnit, int], None] | None = None) -> UnitCounts:
    """Stream ``unit``'s text in chunks, encode each, add up the counts its metrics need.

    A language no requested metric applies to is read (for its fingerprint and lines)
    but not encoded. ``on_chunk(unit, characters)`` is called after each chunk (progress,
    when the unit runs in this process). Ctrl-C stops it between chunks.
    """
    from tokkit import __version__

    tokenizer, facts = context[unit.tokenizer]
    metrics = M.resolve(unit.metrics)
    keys = collection_keys(metrics)
    wanted = {keys[m.name]: m.collect for m in metrics if m.applies_to(unit.lang)}
    fingerprint, lines, totals = Fingerprint(), 0, {}
    with deferred_interrupts() as interrupts:
        for chunk in _chunks(unit.texts.texts(), fingerprint, unit.chunk_chars):
            if wanted:
                reading = M.Reading.of(tokenizer, facts, unit.lang, chunk, per_line=unit.per_line, limit=unit.piece_chars)
                for key, collect in wanted.items():
                    part = collect(reading)
                    totals[key] = part if key not in totals else totals[key] + part
            lines += len(chunk)
            if on_chunk is not None:
                on_chunk(unit, sum(map(len, chunk)))
            interrupts.check()
    return UnitCounts(lines, fingerprint.hexdigest(), totals, __version__)


def _chunks(texts: Iterable[str], fingerprint: Fingerprint, size: int) -> Iterator[list[str]]:
    """Lists of whole lines of at least ``size`` characters (the last: what is left), each
    line fed to ``fingerprint`` on the way."""
    chunk: list[str] = []
    chars = 0
    for text in texts:
        fingerprint.add(text)
        chunk.append(text)
        chars += len(text)
        if chars >= size:
            yield chunk
            chunk, chars = [], 0
    if chunk:
        yield chunk


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
    executor: str | Executor = "local",
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
    besides the rows (see :meth:`Evaluation.run`). ``executor``: where the units run, by
    name (``local``, ``process``, ``ray``) or an :class:`~tokkit.executors.Executor`
    (``RayExecutor(address="auto")``).
    """
    plan = Evaluation(tokenizers, corpus, metrics, pivot, langs=langs, alpha=alpha, data_dir=data_dir, errors=errors)
    return plan.run(progress, samples=samples, vocabulary=vocabulary, executor=executor)


class Evaluation:
    """An evaluation whose inputs are loaded and checked: constructing it opens the
    corpora and raises every user error (bad spec, missing pivot, unaligned or empty
    corpus) before any encoding starts; :meth:`run` does the work."""

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
            source.check_not_empty()
        self.pivot, self.alpha = pivot, alpha

    def units(self) -> list[EvalUnit]:
        """Every (tokenizer, corpus, language) unit, tokenizer by tokenizer."""
        names = tuple(m.name for m in self.metrics)
        return [EvalUnit(t, source.texts[lang], lang, names, source.aligned, CHUNK_CHARS, M.counts.MAX_PIECE_CHARS)
                for t in range(len(self.tokenizers)) for source in self.sources for lang in source.langs]

    def run(self, progress: Progress | None = None, *, samples: int = 0, vocabulary: bool = False,
            executor: str | Executor = "local") -> ResultTable:
        """Count every unit on ``executor`` (a name or an Executor), then compute the rows.
        The header also keeps, for the HTML report, what only the tokenizers can tell: with
        ``samples`` > 0 that many lines of each language as each tokenizer cuts them
        (:mod:`tokkit.samples`), with ``vocabulary`` each tokenizer's vocabulary profile
        and their overlaps (:mod:`tokkit.vocabulary`)."""
        from tokkit import __version__

        check_number("samples", samples, at_least=0, whole=True)
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        units = self.units()
        context = [(tok, M.VocabFacts.of(tok)) for tok in self.tokenizers]
        found = self._count(units, context, executor, progress)
        table = ResultTable(header={
            "tokkit_version": __version__,
            "created": created,
            "tokenizers": [{"name": name, "format": t.format, "vocab_size": t.vocab_size}
                           for name, t in zip(self.names, self.tokenizers)],
            "corpora": [],
            "metrics": [m.name for m in self.metrics],
            "pivot": self.pivot,
            "alpha": self.alpha,
            "unknown_limit": M.UNKNOWN_LIMIT,
            "dropped": [],
        })
        # the units go tokenizer by tokenizer, corpus by corpus, language by language
        counted = iter(found)
        per = [[{lang: next(counted) for lang in source.langs} for source in self.sources] for _ in self.tokenizers]
        for s, source in enumerate(self.sources):
            digests = _same_text(source, [per[t][s] for t in range(len(self.tokenizers))])
            table.header["corpora"].append({"spec": source.spec, "sha256": source.fingerprint(digests),
                                            "langs": source.langs, "lines": sum(per[0][s][lang].lines for lang in source.langs)})
        for t, (name, (tok, facts)) in enumerate(zip(self.names, context)):
            for s, source in enumerate(self.sources):
                counts = {lang: unit.counts for lang, unit in per[t][s].items()}
                self._rows(_Rows(table, name, source.spec), tok, facts, source, counts)
        if samples:
            from tokkit.samples import sample_tokenizations

            table.header["samples"] = sample_tokenizations(self.tokenizers, self.names, self.sources, samples, self.pivot)
        if vocabulary:
            from tokkit.vocabulary import analyse

            table.header["vocabulary"] = analyse(self.tokenizers, self.names).to_json()
        return table

    def _count(self, units: list[EvalUnit], context, executor, progress: Progress | None) -> list[UnitCounts]:
        """Every unit's counts, in the units' order."""
        from tokkit import __version__

        task = progress.add("evaluating", total=len(units)) if progress else None
        found: list[UnitCounts | None] = [None] * len(units)
        with executor_for(executor) as running:
            work = count_unit
            if task is not None and running.in_process:
                work = partial(count_unit, on_chunk=_ReadingProgress(task, self.names))
            for index, counts in running.map(work, units, context):
                if counts.tokkit_version != __version__:
                    raise TokkitError(f"a worker counted with tokkit {counts.tokkit_version}, this is tokkit {__version__}: "
                                      f"install the same version wherever units run")
                found[index] = counts
                if task is not None:
                    task.advance()
        if task is not None:
            task.done()
        return found

    def _rows(self, rows: _Rows, tok: Tokenizer, facts: M.VocabFacts, source: Source, per_lang: dict[str, dict]) -> None:
        """Every metric of one tokenizer on one corpus, from its languages' counts; the
        whole corpus's counts are their sum."""
        multi = source.langs != [ALL]
        key_of = collection_keys(self.metrics)
        for lang in source.langs:
            ctx = M.Context(tok, facts, lang, multi, self.alpha)
            for metric in self.metrics:
                per_language = metric.scope is M.Scope.LANGUAGE or (multi and metric.scope is M.Scope.TEXT)
                if per_language and metric.applies_to(lang):
                    rows.add(lang, metric, per_lang[lang][key_of[metric.name]], ctx)
        whole = {key: _sum(per_lang[lang][key] for lang in source.langs if key in per_lang[lang])
                 for key in set(key_of.values())}
        ctx = M.Context(tok, facts, ALL, multi, self.alpha)
        for metric in self.metrics:
            if metric.scope in (M.Scope.TEXT, M.Scope.CORPUS) and whole[key_of[metric.name]] is not None:
                rows.add(ALL, metric, whole[key_of[metric.name]], ctx)
        pivoted = [m for m in self.metrics if m.scope is M.Scope.PIVOT]
        if source.parallel and pivoted and self.pivot in per_lang:
            self._pivot_rows(rows, facts, source, per_lang, pivoted, key_of, tok)

    def _pivot_rows(self, rows: _Rows, facts, source: Source, per_lang, pivoted, key_of, tok) -> None:
        """Premiums per language, after Petrov's unknown-token rule: a language (or a
        pivot) with more than :data:`~tokkit.metrics.UNKNOWN_LIMIT` unknown tokens gets
        none, and the header's ``dropped`` list says why."""
        tokens = key_of[pivoted[0].name]  # the premiums read TokenCounts
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


class _ReadingProgress:
    """The progress line of units run in this process: the unit being read, and how much
    of its text (the bar counts units)."""

    def __init__(self, task, names: list[str]):
        self.task, self.names = task, names
        self.unit: EvalUnit | None = None
        self.chars = 0

    def __call__(self, unit: EvalUnit, chars: int) -> None:
        if unit is not self.unit:
            self.unit, self.chars = unit, 0
        self.chars += chars
        self.task.update(description=f"{self.names[unit.tokenizer]} · {unit.lang} · {self.chars / 1e6:.1f}M characters")


def _same_text(source: Source, per_tokenizer: list[dict[str, UnitCounts]]) -> dict[str, str]:
    """Each language's fingerprint, after checking that every tokenizer's units read the
    same text (a file changed during the run, or different on another machine, is not)."""
    digests = {lang: found.fingerprint for lang, found in per_tokenizer[0].items()}
    for counted in per_tokenizer[1:]:
        changed = [lang for lang, found in counted.items() if found.fingerprint != digests[lang]]
        if changed:
            where = source.spec if changed == [ALL] else f"{source.spec} {', '.join(changed)}"
            raise TokkitError(f"the text of {where} changed while it was evaluated (or differs between the machines "
                              f"that read it): evaluate it again, or on one machine")
    return digests


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
