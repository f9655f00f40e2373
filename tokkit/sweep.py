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
  A unit is a plain picklable value with a top-level :func:`run_unit`, so units run in a
  process pool here and could be dispatched elsewhere unchanged.
* the **pivot** language (``eng_Latn``) is a unit too: the premium of language L at size
  V is the CTC of L's tokenizer of size V on L over the CTC of the pivot's tokenizer of
  size V on the pivot's side of the same parallel text.
* the report gives, per language, the smallest size whose premium is within a tolerance
  of the language's best premium over the sizes tried.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Sequence

from tokkit.metrics import formulas as F
from tokkit.checks import check_number
from tokkit.errors import InvalidValue, TokkitError
from tokkit.progress import Progress
from tokkit.results import ALL, ResultTable

#: what a unit measures for each size (the premium is computed across units afterwards)
UNIT_METRICS = ("ctc", "bytes_per_token", "chars_per_token", "fertility", "unk_rate", "byte_fallback_rate",
                "vocab_utilisation", "renyi_efficiency", "roundtrip_rate")


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

        if "{lang}" in self.train_corpus or "{iso}" in self.train_corpus:
            spec = self.train_corpus.format(lang=self.lang, iso=self.lang.partition("_")[0])
            return open_corpus(spec, data_dir=self.data_dir)
        return open_parallel(self.train_corpus, data_dir=self.data_dir, langs=[self.lang]).corpus(self.lang)


def run_unit(unit: Unit, out: str | Path) -> Path:
    """Train, save and evaluate one unit; write ``out/units/<id>.json``; return its path."""
    import tokkit
    from tokkit.corpora import open_parallel
    from tokkit.evaluation import evaluate

    out = Path(out)
    trained = tokkit.train(unit.algorithm, unit.training_corpus(), list(unit.sizes), seed=unit.seed)
    for size, tok in trained.items():
        tok.name = f"{unit.algorithm}-{size}"
        tok.save(out / "tokenizers" / f"{unit.lang}-{size}", force=True)
    corpus = open_parallel(unit.eval_corpus, data_dir=unit.data_dir, langs=[unit.lang])
    table = evaluate([trained[s] for s in sorted(trained)], corpus, metrics=UNIT_METRICS, pivot=unit.lang)
    for size, tok in trained.items():
        table.add(tok.name, corpus.spec, ALL, "vocab_size", tok.vocab_size)
    table.header["unit"] = {**asdict(unit), "id": unit.id}
    return table.write_json(out / "units" / f"{unit.id}.json", force=True)


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
        self.algorithm, self.pivot, self.eval_corpus = algorithm, pivot, eval_corpus
        self.tolerance = check_number("tolerance", tolerance, at_least=0)
        self.langs = list(dict.fromkeys([*langs, pivot]))
        self.sizes = tuple(sorted(set(sizes)))
        self._check_langs(data_dir)
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

    def run(self, out: str | Path, jobs: int = 1, progress: Progress | None = None) -> ResultTable:
        """Run every unfinished unit (``jobs`` at a time), then combine all units' rows."""
        out = Path(out)
        try:
            (out / "units").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TokkitError(f"cannot write the sweep folder {out}: {exc.strerror or exc}") from exc
        todo = self.pending(out)
        task = progress.add(f"sweep {self.algorithm}", total=len(self.units), unit="units") if progress else None
        if task is not None:
            task.advance(len(self.units) - len(todo))
        if jobs <= 1 or len(todo) <= 1:
            for unit in todo:
                if task is not None:
                    task.update(description=f"sweep {self.algorithm} · {unit.lang}")
                run_unit(unit, out)
                if task is not None:
                    task.advance()
        else:
            with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
                futures = [pool.submit(run_unit, unit, out) for unit in todo]
                for future in as_completed(futures):
                    future.result()
                    if task is not None:
                        task.advance()
        return self.collect(out)

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
            part = ResultTable.read_json(Path(out) / "units" / f"{unit.id}.json")
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
