"""The hybrid tokenizer against its anchor, turkish-tokenizer 0.2.26, on the same text in one run.

Anchor: Bayram et al. (2025), "Tokens with Meaning: A Hybrid Tokenization Approach for
NLP", PyPI ``turkish-tokenizer==0.2.26`` (pure Python; ``pip install turkish-tokenizer==0.2.26``).
It is run through :class:`AnchorTokenizer`, a thin adapter to the tokkit ``Tokenizer``
contract that lives only here (it is not a runtime dependency of tokkit), so both
tokenizers go through exactly the same metric code:

* tokens: every id each one emits (the anchor's space and ``<uppercase>`` tokens, the
  hybrid's case markers), summed over the lines;
* round trip: the share of lines with ``decode(encode(line)) == line``;
* %TR / %Pure, per distinct token and per running token, and the boundary alignment, by
  :class:`tokkit.morphology.metrics.TurkishMetrics` (the anchor's ``token_bytes`` is its
  vocabulary string; its control strings ``<uppercase>``, ``<unknown>``, ``<pad>``,
  ``<eos>`` count as special). The alignment's gold boundaries come from tokkit's own
  analyzer, which also cuts the hybrid's words: that number favours the hybrid by
  construction and is reported for completeness, not as a fair win;
* MB/s: UTF-8 megabytes encoded per second, one line at a time, best of 3 (the machine
  is shared; the anchor's and the hybrid's passes alternate, so that both meet the same
  load). The anchor has no cache, so every pass costs the same. The hybrid is
  measured four ways: *cold* (a tokenizer loaded from disk just before, never used: the
  first pass over the text, with its saved known-word table and an empty word cache),
  *cold, no table* (the same, with the known-word table emptied: every new word is
  analysed), *warm* (the same text again on the tokenizer of the cold pass) and *cold,
  pure Python* (the first pass without the compiled encoder, ``TOKKIT_PURE_PYTHON=1``).
  Ratios are hybrid / anchor.
* load: seconds for ``tokkit.load`` of the saved hybrid (best of 3), and the size of its
  files, the known-word table's among them.

Corpora: FLORES-200 tur_Latn devtest (1,012 lines) and TurkishMMLU (900 questions, each
question and each of its 5 choices a line: 5,400). Throughput is also measured on the
whole ``text/tur/train.txt`` (3.4 MB; it is the training text, so every word of it is in
the known-word table: the with-table number there is a best case, the no-table number
shows the word cache alone over a realistic amount of text).
The hybrid is trained on ``text/tur/train.txt`` at 32,768 unless ``--tokenizer`` names a
saved one.

    python bench/bench_hybrid.py [--data-dir DIR] [--tokenizer DIR] [--save DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

import tokkit
from tokkit.corpora import TextCorpus
from tokkit.morphology.metrics import TurkishMetrics
from tokkit.tokenizer import Piece, SpecialTokens, Tokenizer

ANCHOR_CONTROLS = ("<uppercase>", "<unknown>", "<pad>", "<eos>")
#: the anchor's number a hybrid-only row is compared with
ANCHOR_SAME = {"mb_s_cold_no_table": "mb_s_cold", "mb_s_cold_pure_python": "mb_s_cold"}


class AnchorTokenizer(Tokenizer):
    """turkish-tokenizer 0.2.26 behind the tokkit contract (benchmark only)."""

    format = "turkish-tokenizer"

    def __init__(self):
        from turkish_tokenizer import TurkishTokenizer

        super().__init__("turkish-tokenizer 0.2.26")
        self.tt = TurkishTokenizer()
        self._strings = {i: forms[0] for i, forms in self.tt.reverse_dict.items()}
        self._controls = frozenset(
            i for i, s in self._strings.items() if s in ANCHOR_CONTROLS or s.startswith("special_")
        )

    @property
    def vocab_size(self) -> int:
        return max(self._strings) + 1

    @property
    def specials(self) -> SpecialTokens:
        return SpecialTokens(eos=self.tt.eos_token_id, pad=self.tt.pad_token_id)

    @property
    def special_ids(self) -> frozenset[int]:
        return self._controls

    def encode(self, text: str) -> list[int]:
        return self.tt.encode(text)

    def decode(self, ids) -> str:
        return self.tt.decode(list(ids))

    def id_to_token(self, id: int) -> str:
        return self._strings[id]

    def token_to_id(self, token: str):
        return self.tt.vocab.get(token)

    def token_bytes(self, id: int):
        return None if id in self._controls else self._strings[id].encode("utf-8")

    def tokens(self, text: str) -> list[Piece]:
        """Offsets from the anchor's own pieces: each is a substring of the lower-cased text."""
        found, _ = self.tt.tokenize_text(text)
        out, pos = [], 0
        for t in found:
            width = 0 if t["token"] == "<uppercase>" else 1 if t["token"] == "<unknown>" else len(t["token"])
            out.append(Piece(t["id"], t["token"], pos, pos + width))
            pos += width
        return out

    def _write(self, folder):
        raise NotImplementedError("the anchor is only benchmarked")

    def to_transformers(self):
        raise NotImplementedError("the anchor is only benchmarked")


def corpora(data: Path) -> dict[str, list[str]]:
    flores = (data / "flores200" / "devtest" / "tur_Latn.txt").read_text(encoding="utf-8").splitlines()
    items = json.loads((data / "turkish" / "turkishmmlu" / "turkishmmlu_sub.json").read_text(encoding="utf-8"))
    mmlu = [text for item in items for text in [item["question"], *item["choices"]]]
    return {"flores200 tur_Latn devtest": flores, "TurkishMMLU": mmlu}


def encode_timed(tok, texts: list[str]) -> tuple[list[list[int]], float]:
    start = time.perf_counter()
    ids = [tok.encode(t) for t in texts]
    return ids, time.perf_counter() - start


def without_table(tok):
    """The tokenizer with its known-word table emptied (every new word is analysed)."""
    tok.known, tok.known_cased = {}, {}
    return tok


def row(tok, ids: list[list[int]], texts: list[str], metrics: TurkishMetrics, speeds: dict[str, float]) -> dict[str, float]:
    """Every number of the table for one tokenizer on one corpus."""
    out = {
        "tokens": float(sum(len(i) for i in ids)),
        "roundtrip_rate": sum(tok.decode(i) == t for i, t in zip(ids, texts)) / len(texts),
        **speeds,
    }
    out.update(metrics.compute(tok, texts, ids))
    return out


def load_pure_python(folder: Path):
    """The saved hybrid loaded without its compiled encoder."""
    os.environ["TOKKIT_PURE_PYTHON"] = "1"
    try:
        return tokkit.load(folder)
    finally:
        del os.environ["TOKKIT_PURE_PYTHON"]


def measure(anchor, folder: Path, texts: list[str], metrics: TurkishMetrics, repeats: int = 3) -> tuple[dict, dict]:
    """The anchor's row and the hybrid's on one corpus.

    Each repeat times, one after the other so that both meet the same load on the shared
    machine: the anchor twice, a freshly loaded hybrid's first pass (cold), its second
    (warm), the first pass of another fresh one with its known-word table emptied (cold,
    no table), and that of one in pure Python. Best of ``repeats``.
    """
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    best = dict.fromkeys(("anchor", "anchor_again", "cold", "warm", "bare", "pure"), float("inf"))

    def timed(key: str, tok) -> list[list[int]]:
        ids, seconds = encode_timed(tok, texts)
        best[key] = min(best[key], seconds)
        return ids

    for _ in range(repeats):
        anchor_ids = timed("anchor", anchor)
        timed("anchor_again", anchor)
        tok = tokkit.load(folder)
        ids = timed("cold", tok)
        timed("warm", tok)
        timed("bare", without_table(tokkit.load(folder)))
        timed("pure", load_pure_python(folder))
    speed = {key: megabytes / seconds for key, seconds in best.items()}
    a = row(anchor, anchor_ids, texts, metrics, {"mb_s_cold": speed["anchor"], "mb_s_warm": speed["anchor_again"]})
    h = row(
        tok,
        ids,
        texts,
        metrics,
        {
            "mb_s_cold": speed["cold"],
            "mb_s_warm": speed["warm"],
            "mb_s_cold_no_table": speed["bare"],
            "mb_s_cold_pure_python": speed["pure"],
        },
    )
    return a, h


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("TOKKIT_DATA_DIR"), help="the shared data folder")
    parser.add_argument("--tokenizer", help="a saved hybrid tokenizer (default: train one)")
    parser.add_argument("--size", type=int, default=32768)
    parser.add_argument("--save", help="save the trained hybrid here")
    parser.add_argument("--json", help="write the results as JSON")
    args = parser.parse_args()
    if not args.data_dir:
        parser.error("set TOKKIT_DATA_DIR or pass --data-dir")
    data = Path(args.data_dir)
    console = Console()

    if args.tokenizer:
        folder = Path(args.tokenizer)
    else:
        lines = (data / "text" / "tur" / "train.txt").read_text(encoding="utf-8").splitlines()
        start = time.perf_counter()
        trained = tokkit.train("hybrid", TextCorpus(lines, spec="text/tur/train.txt"), args.size, lexicon=str(data / "turkish" / "lexicon"))
        console.print(f"trained hybrid-{args.size} on text/tur/train.txt in {time.perf_counter() - start:.1f} s")
        folder = Path(args.save or "/tmp/tokkit-bench-hybrid")
        trained[args.size].save(folder, force=True)
    load_s = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        loaded = tokkit.load(folder)
        load_s = min(load_s, time.perf_counter() - start)
    size = loaded.vocab_size
    files = {f.name: f.stat().st_size for f in sorted(folder.iterdir())}
    console.print(
        f"load: {load_s:.2f} s (best of 3); files: "
        + ", ".join(f"{name} {bytes_ / 1e6:.2f} MB" for name, bytes_ in files.items())
        + f"; known-word table: {len(loaded.known):,} chunks + {len(loaded.known_cased):,} words written with capitals"
    )
    anchor = AnchorTokenizer()
    metrics = TurkishMetrics(lexicon=data / "turkish" / "lexicon")
    metrics.analyzer  # load the lexicon before any timing

    results = {}
    for name, texts in corpora(data).items():
        a, h = measure(anchor, folder, texts, metrics)
        results[name] = {"anchor": a, "hybrid": h}
        table = Table(title=f"{name}: {len(texts):,} lines (machine shared; one run)", title_justify="left")
        for col in ("metric", "turkish-tokenizer 0.2.26", f"tokkit hybrid {size:,}", "hybrid / anchor"):
            table.add_column(col, justify="right" if col != "metric" else "left")
        for metric in h:
            base = a[ANCHOR_SAME.get(metric, metric)]  # the anchor has one cold speed
            table.add_row(metric, f"{base:,.4g}", f"{h[metric]:,.4g}", f"{h[metric] / base:.3f}" if base else "nan")
        console.print(table)
    train_text = (data / "text" / "tur" / "train.txt").read_text(encoding="utf-8").splitlines()
    megabytes = sum(len(t.encode("utf-8")) for t in train_text) / 1e6
    _, anchor_s = encode_timed(anchor, train_text)
    _, hybrid_s = encode_timed(tokkit.load(folder), train_text)
    _, bare_s = encode_timed(without_table(tokkit.load(folder)), train_text)
    results["text/tur/train.txt"] = {
        "anchor": {"mb_s_cold": megabytes / anchor_s},
        "hybrid": {"mb_s_cold": megabytes / hybrid_s, "mb_s_cold_no_table": megabytes / bare_s},
    }
    console.print(
        f"text/tur/train.txt ({megabytes:.2f} MB, one pass, freshly loaded tokenizers; the training text, so its "
        f"words are in the table): anchor {megabytes / anchor_s:.3f} MB/s, hybrid {megabytes / hybrid_s:.3f} MB/s "
        f"({anchor_s / hybrid_s:.3f}x), hybrid without its table {megabytes / bare_s:.3f} MB/s ({anchor_s / bare_s:.3f}x)"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
