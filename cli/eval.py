"""``tokkit eval``, ``tokkit report`` and ``tokkit sweep``: compare tokenizers on corpora,
re-render saved results, and sweep vocabulary sizes per language."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from tokkit.checks import check_choice
from tokkit.cli.common import ADDRESS_HELP, ENCODING_ERRORS_HELP, EXECUTOR_HELP, console, is_stdout, prepare_output, write_text, wrote
from tokkit.errors import TokkitError, require

def _split(values: list[str] | None) -> list[str] | None:
    """``["a,b", "c"]`` -> ``["a", "b", "c"]``; None stays None."""
    if not values:
        return None
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def render(table, fmt: str, out: Path | None, force: bool) -> None:
    """Print ``table`` as terminal tables (``fmt`` "table") or in a file format of
    :data:`tokkit.reports.RENDERERS`, to the terminal or to ``out`` (atomically)."""
    from tokkit import reports
    from tokkit.atomic import atomic_file

    check_choice("fmt", fmt, ("table", *reports.RENDERERS))
    if fmt == "table":
        if out is not None:
            raise TokkitError(f"--format table prints to the terminal; use {', '.join(reports.RENDERERS)} with --out")
        for rendered in reports.rich_tables(table):
            console.print(rendered)
        for line in reports.dropped_lines(table):
            console.print(f"[yellow]{line}[/]", highlight=False)
        return
    text = reports.render(table, fmt)
    if out is None:
        typer.echo(text, nl=False)
        return
    with atomic_file(out, force=force) as handle:
        handle.write(text)
    wrote(out)


def register(app: typer.Typer) -> None:
    @app.command("eval")
    def eval_command(
        tokenizers: List[str] = typer.Argument(..., help="Tokenizers: folders, tokenizer.json, .model, .tiktoken, .gguf, hf:NAME; NAME=SPEC names a column."),
        corpus: List[str] = typer.Option(..., "--corpus", "-c", help="Corpus spec (repeatable): flores200:devtest[:LANG,...], xquad, udhr, sample, a file, a folder, a glob."),
        pivot: str = typer.Option("eng_Latn", "--pivot", help="The language premiums are relative to."),
        metrics: Optional[List[str]] = typer.Option(None, "--metrics", "-m", help="Metrics to compute, comma-separated (default: all built-in ones; 'default,tr_percent' adds a plugin's)."),
        langs: Optional[List[str]] = typer.Option(None, "--langs", help="Only these languages of parallel corpora, comma-separated."),
        alpha: float = typer.Option(2.5, "--alpha", help="Order of the Rényi efficiency."),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Write the result table as JSON (re-render it with tokkit report); '-': standard output, the tables to stderr."),
        csv_out: Optional[Path] = typer.Option(None, "--csv", help="Write the tidy rows as CSV ('-': standard output)."),
        html_out: Optional[Path] = typer.Option(None, "--html", help="Write a self-contained HTML report with plots ('-': standard output)."),
        md_out: Optional[Path] = typer.Option(None, "--md", help="Write the tables as Markdown ('-': standard output)."),
        plot_out: Optional[Path] = typer.Option(None, "--plot", help="Write a PNG of the premium per language (needs a parallel corpus)."),
        force: bool = typer.Option(False, "--force", help="Overwrite existing output files."),
        data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Where named corpora live (default: $TOKKIT_DATA_DIR, then ~/.cache/tokkit/data)."),
        encoding_errors: str = typer.Option("strict", "--encoding-errors", help=ENCODING_ERRORS_HELP),
        executor: Optional[str] = typer.Option(None, "--executor", help=EXECUTOR_HELP + " A unit is one tokenizer on one language. Default: local, or process with --jobs over 1."),
        jobs: Optional[int] = typer.Option(None, "--jobs", "-j", help="Units to run at once (processes; the cores of a Ray runtime started here)."),
        address: Optional[str] = typer.Option(None, "--address", help=ADDRESS_HELP),
    ) -> None:
        """Compare tokenizers on corpora: token premium, compression, Rényi efficiency, round trip, speed.

        Examples:

          tokkit eval tok/ gpt2.gguf --corpus flores200:devtest

          tokkit eval a/ b/ --corpus flores200:devtest:eng_Latn,tur_Latn,fin_Latn --json res.json --html res.html

          tokkit eval cl100k_base.tiktoken --corpus corpus.txt --metrics ctc,bytes_per_token,renyi_efficiency

          tokkit eval tok/ --corpus xquad --pivot en --plot premium.png

          tokkit eval mine=tok/ cl100k=cl100k_base.tiktoken --corpus flores200:devtest --json - | jq '.results | length'

          tokkit eval a/ b/ --corpus flores200:devtest -j 2

          tokkit eval a/ --corpus flores200:devtest --executor ray --address auto
        """
        from tokkit import reports
        from tokkit.evaluation import Evaluation, open_source
        from tokkit.loading import load_named, split_name
        from tokkit.executors import get_executor
        from tokkit.progress import Progress

        running = get_executor(executor, jobs=jobs, address=address)
        outputs = [p for p in (json_out, csv_out, html_out, md_out, plot_out) if p is not None]
        if len(set(map(str, outputs))) != len(outputs):
            raise TokkitError("two outputs name the same file" + (" (-, standard output)" if sum(map(is_stdout, outputs)) > 1 else ""))
        if is_stdout(plot_out):
            raise TokkitError("--plot writes a PNG file: name one (standard output, -, takes --json, --csv, --md or --html)")
        for path in outputs:
            prepare_output(path, force)
        loaded = [load_named(arg) for arg in tokenizers]
        # each --corpus is a spec (a list of strings given to the library could be texts)
        sources = [open_source(spec, langs=_split(langs), pivot=pivot, data_dir=data_dir, errors=encoding_errors)
                   for spec in corpus]
        plan = Evaluation(loaded, sources, _split(metrics), pivot, langs=_split(langs), alpha=alpha, data_dir=data_dir)
        if plot_out is not None and not any(source.parallel for source in plan.sources):
            raise TokkitError("--plot draws the premium per language: it needs a parallel corpus (such as flores200:devtest)")
        if plot_out is not None:
            require("matplotlib", "plots")  # before the long work, not after it
        from tokkit.samples import SAMPLES_PER_LANG

        report = json_out is not None or html_out is not None  # what a report shows besides the rows
        progress = Progress()
        with running, progress.live():
            table = plan.run(progress, samples=SAMPLES_PER_LANG if report else 0, vocabulary=report, executor=running)
        for name, arg in zip(plan.names, tokenizers):
            table.header.setdefault("specs", {})[name] = split_name(arg)[1]
        png = None
        if plot_out is not None:
            from tokkit import plots

            png = plots.premium_by_script(table)
        files = {path: reports.render(table, fmt) for fmt, path in
                 (("json", json_out), ("csv", csv_out), ("html", html_out), ("md", md_out)) if path is not None}
        # everything is computed: now write, each file whole or not at all, before the
        # table (a terminal or pipe that went away must not cost the files of a long run)
        for path, text in files.items():
            write_text(path, text, force)
        if plot_out is not None:
            plots.write_png(png, plot_out, force=force)
        render(table, "table", None, force)
        for path in outputs:
            wrote(path)

    @app.command("report")
    def report_command(
        results: Path = typer.Argument(..., help="A results file written by tokkit eval --json or tokkit sweep."),
        fmt: str = typer.Option("table", "--format", "-f", help="table (terminal), md, csv, html or json."),
        out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write to this file instead of the terminal."),
        force: bool = typer.Option(False, "--force", help="Overwrite an existing --out file."),
    ) -> None:
        """Re-render saved results in any format, without recomputing anything.

        Examples:

          tokkit report res.json

          tokkit report res.json --format html --out res.html

          tokkit report res.json --format md > res.md
        """
        from tokkit.atomic import check_output
        from tokkit.results import ResultTable

        if out is not None:
            check_output(out, force, file=True)
        render(ResultTable.read_json(results), fmt, out, force)

    @app.command("sweep")
    def sweep_command(
        algorithm: str = typer.Argument(..., help="The training algorithm (bpe, unigram, ...)."),
        langs: List[str] = typer.Option(..., "--langs", help="Languages to train for, comma-separated (FLORES-200 codes)."),
        vocab_sizes: str = typer.Option(..., "--vocab-sizes", help="Vocabulary sizes, e.g. 1000,2000,4k,8k."),
        train_corpus: str = typer.Option(..., "--train-corpus", help="Training text: a parallel corpus (flores200:dev) or a spec with {lang} (text:{lang})."),
        eval_corpus: str = typer.Option("flores200:devtest", "--eval-corpus", help="The parallel corpus to evaluate on."),
        out: Path = typer.Option(..., "--out", "-o", help="The sweep folder (units/, tokenizers/, results.json, report.md, curves.png)."),
        pivot: str = typer.Option("eng_Latn", "--pivot", help="The premium pivot; it is trained and evaluated too."),
        tolerance: float = typer.Option(0.02, "--tolerance", help="Report the smallest size whose premium is within this fraction of the best."),
        jobs: Optional[int] = typer.Option(None, "--jobs", "-j", help="Units to run at once (processes; the cores of a Ray runtime started here)."),
        seed: int = typer.Option(0, "--seed", help="Training seed."),
        data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Where named corpora live."),
        executor: Optional[str] = typer.Option(None, "--executor", help=EXECUTOR_HELP + " Default: local, or process with --jobs over 1."),
        address: Optional[str] = typer.Option(None, "--address", help=ADDRESS_HELP),
    ) -> None:
        """Train one tokenizer per language and vocabulary size, evaluate each, find the smallest good size.

        Each language is one unit of work (one multi-size training, then evaluation); a
        unit writes its rows to OUT/units/ when done, so an interrupted sweep resumes
        where it stopped.

        Examples:

          tokkit sweep bpe --langs tur_Latn,fin_Latn --vocab-sizes 1k,2k,4k,8k --train-corpus flores200:dev --out sweep/

          tokkit sweep unigram --langs tur,fin --pivot eng --vocab-sizes 4k,8k,16k --train-corpus "text:{lang}" --eval-corpus xquad --out s/ -j 2

          tokkit sweep bpe --langs tur_Latn,fin_Latn --vocab-sizes 1k,2k --train-corpus flores200:dev --out s/ --executor ray --address auto
        """
        from tokkit import reports
        from tokkit.cli.train import parse_sizes
        from tokkit.executors import get_executor
        from tokkit.progress import Progress
        from tokkit.sweep import Sweep

        running = get_executor(executor, jobs=jobs, address=address)
        sweep = Sweep(algorithm, _split(langs) or [], parse_sizes(vocab_sizes), train_corpus, eval_corpus,
                      pivot=pivot, seed=seed, data_dir=str(data_dir) if data_dir else None, tolerance=tolerance)
        progress = Progress()
        with running, progress.live():
            table = sweep.run(out, progress=progress, executor=running)
        for rendered in reports.rich_tables(table, lang_metrics=("premium", "ctc")):
            console.print(rendered)
        best = sweep.smallest_good_sizes(table)
        for lang, (size, value, top) in best.items():
            console.print(f"{lang}: smallest size within {tolerance:.0%} of the best premium ({top:.3f}) is {size:,} ({value:.3f})")
        sweep.write_outputs(table, out)
        console.print(f"wrote {out}/results.json, {out}/report.md" + (", curves.png" if (out / "curves.png").exists() else ""))
