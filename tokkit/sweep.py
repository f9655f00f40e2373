"""Vocabulary-size sweeps: one tokenizer per language and size, evaluated on parallel text.

Arnett et al. (2025, "Explaining and Mitigating Crosslingual Tokenizer Inequities")
trained monolingual tokenizers at many vocabulary sizes and compared their token counts
on parallel text, finding that the size a language needs to match English's compression
differs from language to language. A sweep does that here:

* a **unit** is one language: one multi-size training (``tokkit.train(algo, corpus,
  sizes)``, so BPE learns its merges once for all sizes), then an evaluation of each
  size on that language's side of the parallel corpus. Its rows are written to
  ``OUT/units/<id>.json`` atomically when it finishes, and its tokenizers to
  ``OUT/tokenizers/<lang>-<size>/``. The id hashes everything the unit depends on, so a
  rerun with the same settings skips finished units and a changed setting recomputes.
  A unit is a plain picklable value with a top-level :func:`run_unit`, so units run on
  any executor (:mod:`tokkit.executors`: one by one here, in a process pool, or as Ray
  tasks on a cluster) unchanged; a sweep folder holds the units of one tokkit version.
  Language codes are checked (letters, then ``_Script`` or ``-Region`` parts), and no
  path a unit writes can leave the sweep folder.
* the **pivot** language (``eng_Latn``) is a unit too: the premium of language L at size
  V is the CTC of L's tokenizer of size V on L over the CTC of the pivot's tokenizer of
  size V on the pivot's side of the same parallel text.
* the report gives, per language, the smallest size whose premium is within a tolerance
  of the language's best premium over the sizes tried.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import string
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

from tokkit.metrics import formulas as F
from tokkit.checks import check_number
from tokkit.errors import InvalidValue, TokkitError
from tokkit.executors import Executor, executor_for
from tokkit.progress import Progress
from tokkit.results import ALL, ResultTable

#: what a unit measures for each size (the premium is computed across units afterwards)
UNIT_METRICS = ("ctc", "bytes_per_token", "chars_per_token", "fertility", "unk_rate", "byte_fallback_rate",
                "vocab_utilisation", "renyi_efficiency", "roundtrip_rate")


#: a language code: letters, then parts such as a script or a region (eng_Latn, tur, en, pt-BR)
LANG_CODE = re.compile(r"[A-Za-z]{2,8}(?:[_-][A-Za-z0-9]{1,8})*")

#: the fields a training-corpus template may name
TEMPLATE_FIELDS = ("lang", "iso")


def check_lang(parameter: str, lang: str) -> str:
    """``lang`` itself, after checking it is a language code (it names files in the sweep folder)."""
    if not isinstance(lang, str) or not LANG_CODE.fullmatch(lang):
        raise InvalidValue(parameter, f"names {lang!r}, which is not a language code (letters, then _Script or "
                                      f"-Region parts: eng_Latn, tur, en, pt-BR)")
    return lang


def fill_template(template: str, lang: str) -> str | None:
    """``template`` with ``{lang}`` and ``{iso}`` (the code before ``_``) filled in; ``None``
    when it names no field. Any other field, an attribute or index of one, a format spec
    or an unbalanced brace is refused."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise InvalidValue("train_corpus", f"{template!r} is not a template ({exc}); write {{lang}} or {{iso}}") from None
    fields = [(name, spec, conversion) for _, name, spec, conversion in parsed if name is not None]
    bad = [name for name, spec, conversion in fields if name not in TEMPLATE_FIELDS or spec or conversion]
    if bad:
        raise InvalidValue("train_corpus", f"{template!r} names {{{bad[0]}}}: the allowed fields are "
                                           + " and ".join(f"{{{f}}}" for f in TEMPLATE_FIELDS))
    if not fields:
        return None
    return template.format(lang=lang, iso=lang.partition("_")[0])


def inside(folder: Path, *parts: str) -> Path:
    """``folder / parts``, refused if its parts lead out of ``folder`` (``..``, an absolute
    path); links the user made inside the folder are the user's."""
    path = folder.joinpath(*parts)
    if not Path(os.path.normpath(path)).is_relative_to(os.path.normpath(folder)):
        raise TokkitError(f"{'/'.join(parts)} would be written outside the sweep folder {folder}")
    return path


@dataclass(frozen=True)
class Unit:
    """One language of a sweep: train at every size, evaluate each, write the rows."""

    algorithm: str
    lang: str
    sizes: tuple[int, ...]
    train_corpus: str
    eval_corpus: str
    seed: int = 0
    data_dir: str | None = None

    @property
    def id(self) -> str:
        settings = {k: v for k, v in asdict(self).items() if k != "data_dir"}
        digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
        return f"{self.lang}-{self.algorithm}-{digest}"

    def training_corpus(self):
        """The unit's training text: ``train_corpus`` with ``{lang}`` (and ``{iso}``, the
        code before ``_``) filled in, or else that language of a parallel corpus."""
        from tokkit.corpora import open_corpus, open_parallel

        spec = fill_template(self.train_corpus, self.lang)
        if spec is not None:
            return open_corpus(spec, data_dir=self.data_dir)
        return open_parallel(self.train_corpus, data_dir=self.data_dir, langs=[self.lang]).corpus(self.lang)


def run_unit(unit: Unit, out: str | Path) -> Path:
    """Train, save and evaluate one unit; write ``out/units/<id>.json``; return its path."""
    import tokkit
    from tokkit.corpora import open_parallel
    from tokkit.evaluation import evaluate

    out = Path(out)
    result = inside(out, "units", f"{unit.id}.json")
    folders = {size: inside(out, "tokenizers", f"{unit.lang}-{size}") for size in unit.sizes}
    trained = tokkit.train(unit.algorithm, unit.training_corpus(), list(unit.sizes), seed=unit.seed)
    for size, tok in trained.items():
        tok.name = f"{unit.algorithm}-{size}"
        tok.save(folders[size], force=True)
    corpus = open_parallel(unit.eval_corpus, data_dir=unit.data_dir, langs=[unit.lang])
    table = evaluate([trained[s] for s in sorted(trained)], corpus, metrics=UNIT_METRICS, pivot=unit.lang)
    for size, tok in trained.items():
        table.add(tok.name, corpus.spec, ALL, "vocab_size", tok.vocab_size)
    table.header["unit"] = {**asdict(unit), "id": unit.id}
    return table.write_json(result, force=True)


def sweep_unit(out: str, unit: Unit) -> Path:
    """:func:`run_unit` as an executor's work (the sweep folder is the run's context)."""
    return run_unit(unit, out)


class Sweep:
    """A sweep's settings, its units, and how their rows combine into one table."""

    def __init__(self, algorithm: str, langs: Sequence[str], sizes: Sequence[int], train_corpus: str,
                 eval_corpus: str, *, pivot: str = "eng_Latn", seed: int = 0, data_dir: str | None = None,
                 tolerance: float = 0.02):
        from tokkit.trainers import get_trainer

        get_trainer(algorithm)  # an unknown algorithm fails here, before any work
        if not langs:
            raise InvalidValue("langs", "names no language to sweep")
        if not sizes:
            raise TokkitError("give at least one vocabulary size")
        for lang in langs:
            check_lang("langs", lang)
        check_lang("pivot", pivot)
        fill_template(train_corpus, pivot)  # a bad template fails here, before any work
        self.algorithm, self.pivot, self.eval_corpus = algorithm, pivot, eval_corpus
        self.tolerance = check_number("tolerance", tolerance, at_least=0)
        self.langs = list(dict.fromkeys([*langs, pivot]))
        self.sizes = tuple(sorted(set(sizes)))
        self._check_langs(data_dir)
        data_dir = str(Path(data_dir).resolve()) if data_dir else None  # the same folder for a worker elsewhere
        self.units = [Unit(algorithm, lang, self.sizes, train_corpus, eval_corpus, seed, data_dir) for lang in self.langs]

    def _check_langs(self, data_dir) -> None:
        from tokkit.corpora import open_parallel

        corpus = open_parallel(self.eval_corpus, data_dir=data_dir)
        missing = [lang for lang in self.langs if lang not in corpus.langs]
        if missing:
            raise TokkitError(f"{self.eval_corpus} has no language {', '.join(missing)}"
                              + (" (the pivot; choose another with --pivot)" if missing == [self.pivot] else ""))

    def pending(self, out: Path) -> list[Unit]:
        """The units without a finished result file in ``out/units``."""
        return [u for u in self.units if not (out / "units" / f"{u.id}.json").is_file()]

    def run(self, out: str | Path, jobs: int | None = None, progress: Progress | None = None,
            executor: str | Executor | None = None) -> ResultTable:
        """Run every unfinished unit, then combine all units' rows.

        ``executor``: where the units run, by name (``local``, ``process``, ``ray``) or an
        :class:`~tokkit.executors.Executor`; by default ``local``, or ``process`` with
        ``jobs`` processes when ``jobs`` is more than 1.
        """
        out = Path(out)
        try:
            (out / "units").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TokkitError(f"cannot write the sweep folder {out}: {exc.strerror or exc}") from exc
        for unit in self.units:
            self._finished(out, unit)  # a folder of another tokkit version fails here, before any work
        todo = self.pending(out)
        task = progress.add(f"sweep {self.algorithm}", total=len(self.units), unit="units") if progress else None
        if task is not None:
            task.advance(len(self.units) - len(todo))
        with executor_for(executor, jobs=jobs) as running:
            for index, _ in running.map(sweep_unit, todo, str(out)):
                if task is not None:
                    task.update(description=f"sweep {self.algorithm} · {todo[index].lang} done")
                    task.advance()
        return self.collect(out)

    def _finished(self, out: Path, unit: Unit) -> ResultTable | None:
        """The unit's finished rows in ``out`` (``None`` if it has none); units written by
        another tokkit version are refused: their rows could differ from this one's."""
        from tokkit import __version__

        path = out / "units" / f"{unit.id}.json"
        if not path.is_file():
            return None
        part = ResultTable.read_json(path)
        version = part.header.get("tokkit_version")
        if version != __version__:
            raise TokkitError(f"{out} holds units of tokkit {version}, and this is tokkit {__version__}: sweep into "
                              f"another folder, or delete {out / 'units'} to start again")
        return part

    def collect(self, out: str | Path) -> ResultTable:
        """All units' rows in one table, plus each language's premium at each size (after
        Petrov's unknown-token rule, as in :func:`tokkit.evaluate`: a language or pivot
        with too many unknown tokens at a size gets no premium there, and ``dropped`` in
        the header says so)."""
        from tokkit import __version__

        table = ResultTable(header={
            "tokkit_version": __version__, "sweep": self.algorithm, "pivot": self.pivot,
            "sizes": list(self.sizes), "langs": self.langs, "units": [u.id for u in self.units],
            "tokenizers": [], "corpora": [], "dropped": [],
        })
        for unit in self.units:
            part = self._finished(Path(out), unit)
            if part is None:
                raise TokkitError(f"{out} has no result for {unit.lang} yet: run the sweep to finish it")
            table.extend(part)
            table.header["corpora"] += [c for c in part.header.get("corpora", []) if c not in table.header["corpora"]]
        pivot_ctc = {r.tokenizer: r.value for r in table.select(lang=self.pivot, metric="ctc")}
        unknown = {(r.tokenizer, r.lang): r.value for r in table.select(metric="unk_rate")}
        for row in table.select(metric="ctc"):
            if row.lang == ALL or not pivot_ctc.get(row.tokenizer):
                continue
            bad = [lang for lang in (self.pivot, row.lang) if F.over_unknown_limit(unknown.get((row.tokenizer, lang), 0.0))]
            if bad:
                pivot = self.pivot if bad[0] == self.pivot else None
                table.header["dropped"].append(F.dropped(row.tokenizer, row.corpus, row.lang, unknown[row.tokenizer, bad[0]], pivot))
                continue
            table.add(row.tokenizer, row.corpus, row.lang, "premium", F.premium(row.value, pivot_ctc[row.tokenizer]))
        return table

    def smallest_good_sizes(self, table: ResultTable) -> dict[str, tuple[int, float, float]]:
        """Per language (not the pivot): (the smallest size whose premium is at most
        ``(1 + tolerance)`` times the best, its premium, the best premium)."""
        tolerance = self.tolerance
        sizes = {r.tokenizer: int(r.value) for r in table.select(metric="vocab_size")}
        found = {}
        for lang in self.langs:
            if lang == self.pivot:
                continue
            curve = sorted((sizes[r.tokenizer], r.value) for r in table.select(lang=lang, metric="premium"))
            if curve:
                best = min(value for _, value in curve)
                size, value = next((s, v) for s, v in curve if v <= best * (1 + tolerance))
                found[lang] = (size, value, best)
        return found

    def write_outputs(self, table: ResultTable, out: str | Path) -> None:
        """``results.json``, ``report.md`` (tables + smallest good sizes), ``curves.png``
        (when matplotlib is installed)."""
        from tokkit import reports
        from tokkit.atomic import atomic_file
        from tokkit.errors import MissingExtraError

        out = Path(out)
        tolerance = self.tolerance
        best = self.smallest_good_sizes(table)
        table.header["smallest_good_size"] = {lang: {"size": s, "premium": v, "best_premium": b, "tolerance": tolerance}
                                              for lang, (s, v, b) in best.items()}
        table.write_json(out / "results.json", force=True)
        lines = [f"\n## Smallest size within {tolerance:.0%} of the best premium\n", "| lang | size | premium | best |",
                 "|---|---:|---:|---:|"]
        lines += [f"| {lang} | {s} | {v:.4g} | {b:.4g} |" for lang, (s, v, b) in best.items()]
        with atomic_file(out / "report.md", force=True) as handle:
            handle.write(reports.to_markdown(table, lang_metrics=("premium", "ctc")) + "\n".join(lines) + "\n")
        try:
            from tokkit import plots

            plots.write_png(plots.sweep_curves(table, "premium"), out / "curves.png", force=True)
        except MissingExtraError:
            pass
