"""The streamed evaluation: chunks add up to one reading of the whole text, long lines are
encoded in bounded pieces, the fingerprint is hashed on the way, empty corpora are refused."""

from __future__ import annotations

import random

import pytest

import tokkit
from tokkit import evaluation
from tokkit import metrics as M
from tokkit.corpora import Corpus, ParallelCorpus, TextCorpus
from tokkit.evaluation import evaluate
from tokkit.metrics.counts import encode_lines, pieces

LINES = {
    "eng_Latn": ["The quick brown fox jumps over the lazy dog.", "", "We walked to the park today.", "Twelve cats, 345 dogs."],
    "tur_Latn": ["Hızlı kahverengi tilki tembel köpeğin üstünden atlar.", "", "Bugün parka yürüdük.", "On iki kedi, 345 köpek."],
    "zho_Hans": ["敏捷的棕色狐狸跳过了懒狗。", "", "我们今天去公园散步了。", "十二只猫，345只狗。"],
}


@pytest.fixture(scope="module")
def toks(bpe_pair):
    return bpe_pair


def _rows(table):
    return [(r.tokenizer, r.corpus, r.lang, r.metric, r.value) for r in table.rows if r.metric != "throughput_mb_s"]


@pytest.mark.parametrize("chunk", [1, 50, 10**9])
def test_chunks_give_the_rows_of_one_reading_of_each_language(toks, monkeypatch, chunk):
    """The streamed path against the one it replaced (each language read in one piece)."""
    parallel = ParallelCorpus.from_lines({lang: lines * 7 for lang, lines in LINES.items()}, spec="three")
    plain = TextCorpus([line for lines in LINES.values() for line in lines] * 5, spec="plain")
    monkeypatch.setattr(evaluation, "CHUNK_CHARS", 10**9)
    whole = evaluate(toks, [parallel, plain])
    monkeypatch.setattr(evaluation, "CHUNK_CHARS", chunk)
    streamed = evaluate(toks, [parallel, plain])
    assert _rows(streamed) == _rows(whole)
    assert streamed.header["corpora"] == whole.header["corpora"]
    assert {r.metric for r in streamed.rows} >= {"premium_median", "premium_iqr", "fertility", "roundtrip_rate"}


def test_a_plain_corpus_has_the_fingerprint_its_training_would_record(toks):
    corpus = TextCorpus(LINES["eng_Latn"], spec="eng")
    header = evaluate(toks[0], corpus, metrics=["ctc"]).header["corpora"][0]
    assert header["sha256"] == corpus.fingerprint() and header["lines"] == len(LINES["eng_Latn"])
    other = evaluate(toks[0], TextCorpus(LINES["eng_Latn"][::-1], spec="eng"), metrics=["ctc"]).header["corpora"][0]
    assert other["sha256"] != header["sha256"]


def test_pieces_cut_before_the_white_space_a_word_follows():
    text = "aaaa   bbbb cc dddddddddd eeeeeeeeeeeeeeeeeeeeeeee f"
    # before the last space of a run, before the last space that fits, at the limit in a long word
    assert pieces(text, 8) == ["aaaa  ", " bbbb cc", " ddddddd", "ddd", " eeeeeee", "eeeeeeee", "eeeeeeee", "e f"]
    assert pieces("x" * 20, 8) == ["x" * 8, "x" * 8, "x" * 4]  # no white space: cut at the limit
    assert pieces("short", 8) == ["short"] and pieces("", 8) == [""]
    rng = random.Random(0)
    for _ in range(200):
        text = "".join(rng.choice("ab \t\nç字") for _ in range(rng.randint(0, 60)))
        limit = rng.randint(1, 12)
        cut = pieces(text, limit)
        assert "".join(cut) == text and all(len(p) <= limit for p in cut)


class _Spy:
    """A tokenizer wrapper that records the characters of each encode_batch call."""

    def __init__(self, tok):
        self.tok, self.calls = tok, []

    def encode_batch(self, texts):
        self.calls.append(sum(map(len, texts)))
        return self.tok.encode_batch(texts)


def test_a_long_line_is_encoded_in_bounded_batches_and_still_counts_as_one_line(toks):
    tok = toks[1]
    words = "Der schnelle braune Fuchs springt über den faulen Hund und 345 Katzen"
    line = " ".join([words] * 300)  # 21,000 characters, no newline
    spy = _Spy(tok)
    flat, lengths, _ = encode_lines(spy, ["short one", line, "end"], limit=1000)
    assert max(spy.calls) <= 1000 and sum(spy.calls) == len(line) + len("short one") + len("end")
    assert lengths.tolist()[0] == len(tok.encode("short one")) and lengths.tolist()[2] == len(tok.encode("end"))
    assert lengths.tolist()[1] == len(tok.encode(line))  # cut at spaces, where this pre-tokenizer splits anyway
    assert flat.tolist() == tok.encode("short one") + tok.encode(line) + tok.encode("end")

    corpus = TextCorpus(["short one", line, "end"], spec="long")
    whole = evaluate(tok, corpus, metrics=["ctc", "roundtrip_rate", "fertility"])
    reading = M.Reading.of(tok, M.VocabFacts.of(tok), "all", ["short one", line, "end"], limit=1000)
    assert M.RoundTripCounts.collect(reading).lines == 3
    assert M.RoundTripCounts.collect(reading).same == 3
    assert whole.select(metric="ctc")[0].value == len(flat)


def test_an_empty_corpus_or_language_is_one_clear_error(toks):
    for empty in (TextCorpus([], spec="nothing"), TextCorpus(["", ""], spec="blank")):
        with pytest.raises(tokkit.TokkitError, match=f"{empty.spec} holds no text"):
            evaluate(toks[0], empty)
    ragged = ParallelCorpus.from_lines({**LINES, "tur_Latn": [""] * 4}, spec="three")
    with pytest.raises(tokkit.TokkitError, match="three tur_Latn holds no text"):
        evaluate(toks[0], ragged)


class _Changing(Corpus):
    """A corpus whose text changes every time it is read."""

    def __init__(self):
        super().__init__("changing")
        self.reads = 0

    def texts(self):
        self.reads += 1
        return iter([f"line {self.reads}", "more"])


def test_text_that_changes_between_tokenizers_is_refused(toks):
    with pytest.raises(tokkit.TokkitError, match="text of changing changed while it was evaluated"):
        evaluate(toks, _Changing(), metrics=["ctc"])


def test_a_language_no_metric_applies_to_is_read_but_not_encoded(toks):
    spy = _Spy(toks[0])
    spy.name, spy.format, spy.vocab_size = "spy", "hf", toks[0].vocab_size
    unit = evaluation.EvalUnit(0, TextCorpus(LINES["eng_Latn"]), "eng_Latn", ("tr_percent",), False)
    found = evaluation.count_unit([(spy, M.VocabFacts.of(toks[0]))], unit)
    assert spy.calls == [] and found.counts == {} and found.lines == 4
    assert found.fingerprint == TextCorpus(LINES["eng_Latn"]).fingerprint()


def test_eval_of_an_empty_file_is_one_error_line(capsys, tmp_path, toks):
    from conftest import cli, one_error_line

    folder = tmp_path / "tok"
    toks[0].save(folder)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    code, _, err = cli(capsys, "eval", folder, "--corpus", empty, "--json", tmp_path / "r.json")
    assert code == 1 and "holds no text" in one_error_line(err)
    assert not (tmp_path / "r.json").exists()


@pytest.mark.realdata
@pytest.mark.slow
def test_plugin_counts_add_over_chunks_and_workers(data_dir, monkeypatch):
    """The Turkish metrics' counts (token strings, boundaries) add up like the built-in
    ones: in chunks, and in worker processes that look the metrics up themselves."""
    from tokkit.executors import get_executor

    pytest.importorskip("tokkit.morphology")
    tok = tokkit.load(data_dir / "tokenizers/tiktoken/cl100k_base.tiktoken")
    spec = ParallelCorpus.from_lines({lang: (data_dir / f"flores200/devtest/{lang}.txt").read_text(encoding="utf-8")
                                      .splitlines()[:200] for lang in ("eng_Latn", "tur_Latn")}, spec="flores[:200]")
    metrics = ["default", "tr_percent", "pure_percent", "morph_alignment"]
    monkeypatch.setattr(evaluation, "CHUNK_CHARS", 10**9)
    whole = evaluate(tok, spec, metrics=metrics, data_dir=data_dir)
    monkeypatch.setattr(evaluation, "CHUNK_CHARS", 2000)
    assert _rows(evaluate(tok, spec, metrics=metrics, data_dir=data_dir)) == _rows(whole)
    pooled = evaluate(tok, spec, metrics=metrics, data_dir=data_dir, executor=get_executor("process", jobs=2))
    assert _rows(pooled) == _rows(whole)
    assert {r.metric for r in whole.rows if r.lang == "tur_Latn"} >= {"tr_percent", "pure_percent", "morph_alignment"}
