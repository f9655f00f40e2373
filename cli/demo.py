"""``tokkit demo``: train several kinds of tokenizer on the built-in sample, side by side."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from tokkit.cli.common import console, prepare_output, write_json
from tokkit.segments import segments, visible

#: (algorithm, options) trained by the demo, in display order
DEMO_TRAINERS = [
    ("bpe", {}),
    ("superword", {}),
    ("supertoken", {}),
    ("unigram", {}),
    ("char", {}),
]

SENTENCES = [
    "The committee will announce its decision tomorrow morning.",
    "Kitaplarımızdan birini İstanbul'daki arkadaşıma gönderdim.",
    # phrases the sample holds often, which superword learns as single tokens at the demo's size
    "It is one of the oldest stories in the world, and it is still told for the children.",
]


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        vocab_size: int = typer.Option(1000, "--vocab-size", "-v", help="Vocabulary size of every demo tokenizer."),
        out: Optional[Path] = typer.Option(None, "--out", "-o", help="Also save the trained tokenizers under this folder."),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Write the comparison as JSON to this file ('-': standard output)."),
        force: bool = typer.Option(False, "--force", help="Overwrite existing --out / --json."),
    ) -> None:
        """Train five kinds of tokenizer on the built-in sample and compare them side by side.

        BPE, superword, supertoken, unigram and character-level tokenizers are trained on tokkit's built-in English and Turkish sample text; the tables show how each splits three sentences (superword's tokens that span words, such as " of the", show in the third) and how well each compresses every language of the built-in parallel sample; the last lines say what to try next.

        Examples:

          tokkit demo

          tokkit demo --vocab-size 2000 --out demo-tokenizers/ --json demo.json
        """
        import tokkit
        from tokkit.atomic import atomic_directory, check_output
        from tokkit.corpora import open_corpus, open_parallel
        from tokkit.progress import Progress

        if out is not None:
            check_output(out, force)
        prepare_output(json_out, force)
        corpus = open_corpus(["sample:eng", "sample:tur"])
        trained = {}
        seconds = {}
        progress = Progress()
        with progress.live():
            task = progress.add("training demo tokenizers", total=len(DEMO_TRAINERS))
            for algo, options in DEMO_TRAINERS:
                started = time.perf_counter()
                trained[algo] = tokkit.train(algo, corpus, vocab_size, **options)[vocab_size]
                seconds[algo] = time.perf_counter() - started
                task.advance()

        for sentence in SENTENCES:
            table = Table(title=f"How each tokenizer splits: {sentence}", title_justify="left")
            table.add_column("algorithm", style="bold")
            table.add_column("tokens", justify="right")
            table.add_column("pieces")
            for algo, tok in trained.items():
                cut = segments(tok, sentence)
                table.add_row(algo, str(len(cut)), " │ ".join(visible(s.text) for s in cut))
            console.print(table)

        parallel = open_parallel("sample")
        results = tokkit.evaluate(list(trained.values()), parallel, metrics=["bytes_per_token", "premium", "roundtrip_rate"])
        from tokkit.reports import render_table

        console.print(render_table(results, metric="bytes_per_token", title="Bytes per token on the built-in parallel sample (higher compresses more; the tokenizers saw only English and Turkish)"))
        console.print(render_table(results, metric="premium", title="Token premium against English (lower is fairer)"))
        lossless = all(r["value"] == 1.0 for r in results.to_dicts() if r["metric"] == "roundtrip_rate")
        console.print(f"round trip decode(encode(x)) == x on every line: {'yes' if lossless else '[red]no[/]'}; "
                      f"training took " + ", ".join(f"{a} {s:.1f} s" for a, s in seconds.items()))
        console.print(superword_note(trained["superword"]), highlight=False)

        if out is not None:
            with atomic_directory(out, force=force) as tmp:
                for algo, tok in trained.items():
                    (tmp / algo).mkdir()
                    tok.write_into(tmp / algo)
            console.print(f"saved to {out}/")
        if json_out is not None:
            write_json(json_out, {"vocab_size": vocab_size, "train_seconds": seconds, **results.to_json()}, force=force)
        console.print(next_steps(out), highlight=False)


def superword_note(tokenizer) -> str:
    """What superword does here: how many of its tokens span words, and the first few."""
    from tokkit.trainers.superword_learner import count_words

    spanning = [i for i in range(tokenizer.vocab_size) if count_words(tokenizer.token_bytes(i) or b"") > 1]
    if not spanning:
        return (f"superword made no token that spans words at {tokenizer.vocab_size:,} tokens: "
                "on this little text it splits like bpe; try --vocab-size 1500")
    examples = ", ".join(repr(visible((tokenizer.token_bytes(i) or b"").decode("utf-8", "replace"))) for i in spanning[:8])
    return (f"superword (SuperBPE) made {len(spanning)} of its {tokenizer.vocab_size:,} tokens span words, "
            f"such as {examples}: the pieces with a · inside in the tables above; bpe never crosses a space")


def next_steps(out: Path | None) -> str:
    """The commands to try after the demo."""
    saved = f"{out}/bpe {out}/superword" if out is not None else "demo-tok/bpe demo-tok/superword"
    keep = "" if out is not None else "tokkit demo --out demo-tok/   (keeps these tokenizers), then\n      "
    return (f"next: {keep}tokkit tokenize {saved} --text \"{SENTENCES[2]}\"\n"
            f"      tokkit serve {saved}   (a playground in the browser)\n"
            "      tokkit train bpe YOUR-TEXT.txt --vocab-size 8000 --out tok/   (your own tokenizer)")
