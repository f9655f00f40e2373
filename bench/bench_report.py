"""Benchmark: what the report and the metrics computed only when named cost.

On FLORES-200 devtest (the first ``--langs`` languages and the pivot), with cl100k_base
(tiktoken), Mistral v3 (SentencePiece) and Llama-3's vocabulary (tokenizers, from GGUF):

* the evaluation with the default metrics, and with each metric that is computed only
  when named added to them (``continued_word_rate``, ``ctc_change_typos``,
  ``ctc_change_nfd``): seconds, and the ratio to the default evaluation;
* what ``tokkit eval --html/--json`` adds: the sample tokenizations and the vocabulary
  profiles (seconds), the HTML (seconds to render, size) and the results JSON (size);
* the page in Chromium (when Playwright and Chromium are there): seconds until every
  section is drawn, and to redraw it all after typing a script into "your languages".

Every timing is the median of ``--repeat`` runs, with the Rust encoders' thread pools
held to ``--threads``. Each round runs the default evaluation and then each of the
others, and a ratio is taken within its round, so that load on a shared machine, which
comes and goes, weighs on both sides of it.

    TOKKIT_DATA_DIR=../shared/data python bench/bench_report.py
    TOKKIT_DATA_DIR=../shared/data python bench/bench_report.py --langs 204 --repeat 1
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def seconds_of(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def median_seconds(work, repeat: int) -> float:
    return statistics.median(seconds_of(work) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("TOKKIT_DATA_DIR", "../shared/data"))
    parser.add_argument("--langs", type=int, default=40, help="The first N FLORES-200 languages (and the pivot).")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    os.environ["RAYON_NUM_THREADS"] = os.environ["RAYON_RS_NUM_THREADS"] = str(args.threads)

    import tokkit
    from tokkit import reports
    from tokkit.corpora import open_parallel
    from tokkit.evaluation import Evaluation
    from tokkit.samples import sample_tokenizations
    from tokkit.vocabulary import analyse

    data = Path(args.data_dir)
    tokenizers = [tokkit.load(data / "tokenizers/tiktoken/cl100k_base.tiktoken", name="cl100k_base"),
                  tokkit.load(data / "tokenizers/sentencepiece/mistral-v3.model", name="mistral-v3"),
                  tokkit.load(data / "tokenizers/gguf/ggml-vocab-llama-bpe.gguf", name="llama-3")]
    corpus = open_parallel("flores200:devtest", data_dir=data)
    langs = sorted({*corpus.langs[: args.langs], "eng_Latn"})
    corpus = corpus.subset(langs)
    print(f"FLORES-200 devtest, {len(langs)} languages, 3 tokenizers, {args.threads} encoder threads, "
          f"median of {args.repeat}; {os.cpu_count()} CPUs (shared machine)")

    default = Evaluation(tokenizers, corpus)
    costly = {metric: Evaluation(tokenizers, corpus, ["default", metric])
              for metric in ("continued_word_rate", "ctc_change_typos", "ctc_change_nfd")}
    rounds = []
    for _ in range(args.repeat):
        base = seconds_of(default.run)
        rounds.append({"default": base, **{metric: seconds_of(plan.run) for metric, plan in costly.items()}})
    print(f"{'default metrics':38s} {statistics.median(r['default'] for r in rounds):7.2f} s")
    for metric in costly:
        seconds = statistics.median(r[metric] for r in rounds)
        ratio = statistics.median(r[metric] / r["default"] for r in rounds)
        print(f"{'default + ' + metric:38s} {seconds:7.2f} s   {ratio:5.2f}× the default (median of the rounds' ratios)")

    table = default.run()
    samples = median_seconds(lambda: sample_tokenizations(tokenizers, default.names, default.sources, 2, "eng_Latn"), args.repeat)
    profiles = median_seconds(lambda: analyse(tokenizers, default.names), args.repeat)
    full = default.run(samples=2, vocabulary=True)
    render = median_seconds(lambda: reports.render(full, "html"), args.repeat)
    page = reports.render(full, "html")
    plain = len(reports.render(table, "json").encode())
    kept = len(reports.render(full, "json").encode())
    print(f"sample tokenizations {samples:.2f} s, vocabulary profiles {profiles:.2f} s; HTML: {render:.2f} s to render, "
          f"{len(page.encode()) / 1e6:.2f} MB; results JSON {plain / 1e6:.2f} MB without them, {kept / 1e6:.2f} MB with them")
    browser_times(page, args.repeat)


def browser_times(page: str, repeat: int) -> None:
    chromium = os.environ.get("TOKKIT_CHROMIUM", "/usr/bin/chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("no Playwright: the page is not timed")
        return
    if not Path(chromium).exists():
        print(f"no Chromium at {chromium}: the page is not timed")
        return
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        path = Path(folder) / "report.html"
        path.write_text(page, encoding="utf-8")
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        loads, redraws = [], []
        for _ in range(repeat):
            tab = browser.new_page(viewport={"width": 1400, "height": 900})
            start = time.perf_counter()
            tab.goto(path.as_uri())
            tab.wait_for_selector("#definitions-table")
            loads.append(time.perf_counter() - start)
            redraws.append(tab.evaluate("""() => { const box = document.getElementById('query'); const start = performance.now();
                box.value = 'Cyrl'; box.dispatchEvent(new Event('input')); return (performance.now() - start) / 1000; }"""))
            tab.close()
        browser.close()
    print(f"Chromium: page drawn in {statistics.median(loads):.2f} s, redrawn for 'Cyrl' in {statistics.median(redraws):.3f} s")


if __name__ == "__main__":
    sys.exit(main())
