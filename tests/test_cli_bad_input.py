"""Bad invocations of every command, one table per command family: each is one
``error:`` line on stderr and exit 1, never a traceback, and writes nothing.

The cases are those a systematic trial of bad input found failing (tracebacks, Rust
aborts, silent acceptance), and their neighbours; the details of each are tested where
their check lives. ``{tok}`` is a saved tokenizer, ``{dir}`` an existing folder (with a
file in it), ``{res}`` a results file, ``{out}`` a path that does not exist yet.
"""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import cli, one_error_line

import tokkit


@pytest.fixture(scope="module")
def files(tmp_path_factory, mixed_corpus):
    base = tmp_path_factory.mktemp("bad-input")
    tok = base / "tok"
    tokkit.train("bpe", mixed_corpus, 300)[300].save(tok)
    folder = base / "a-folder"
    folder.mkdir()
    (folder / "keep.txt").write_text("kept")
    corpus = base / "corpus.txt"
    corpus.write_text("\n".join(mixed_corpus.texts()), encoding="utf-8")
    results = tokkit.evaluate([tokkit.load(tok)], tokkit.corpora.open_parallel("sample"), metrics=["ctc", "premium"]).to_json()
    return {"tok": tok, "dir": folder, "corpus": corpus, "results": results, "base": base}


def run_table(capsys, files, tmp_path, args, message, prepare=None):
    """Run ``tokkit ARGS`` with the placeholders filled; check the one error line and
    that neither ``{out}`` nor anything in the folder ``{dir}`` was written."""
    res = tmp_path / "res.json"
    payload = files["results"]
    if prepare is not None:
        payload = {**payload, "header": {**payload["header"], **prepare}}
    res.write_text(json.dumps(payload))
    tok = tmp_path / "tok"
    if not tok.exists():
        shutil.copytree(files["tok"], tok)
    values = {"tok": tok, "dir": files["dir"], "res": res, "out": tmp_path / "out", "corpus": files["corpus"]}
    code, _, err = cli(capsys, *[fill(a, values) for a in args])
    line = one_error_line(err)
    assert code == 1 and fill(message, values) in line, line
    assert sorted(p.name for p in files["dir"].iterdir()) == ["keep.txt"]
    if args[0] != "sweep":  # a sweep makes its (resumable) folder before its units train
        assert not (tmp_path / "out").exists()


def fill(text, values: dict) -> str:
    """``text`` with each ``{name}`` of ``values`` replaced (messages hold other braces)."""
    text = str(text)
    for name, value in values.items():
        text = text.replace("{" + name + "}", str(value))
    return text


def break_tokkit_json(tok, **change):
    meta = json.loads((tok / "tokkit.json").read_text())
    (tok / "tokkit.json").write_text(json.dumps({**meta, **change}))


TRAIN = ["train", "bpe", "{corpus}", "--out", "{out}"]


@pytest.mark.parametrize("args, message", [
    ([*TRAIN, "--vocab-size", "inf"], "vocabulary size 'inf' is not a number"),
    ([*TRAIN, "--vocab-size", "1e30"], "is above the 16,777,216 (2^24) tokkit trains"),
    ([*TRAIN, "--vocab-size", "1000000000"], "vocabulary size 1,000,000,000 is above the 16,777,216"),
    ([*TRAIN, "--vocab-size", "1.5"], "vocabulary size '1.5' is not a whole number of tokens"),
    ([*TRAIN, "--vocab-size", "300", "--budget", "inf"], "--budget 'inf' is not a number"),
    ([*TRAIN, "--vocab-size", "300", "--budget", "1e999999MB"], "--budget '1e999999MB' is too large"),
    ([*TRAIN, "--vocab-size", "300", "--min-frequency", "99999999999999999999999"], "--min-frequency must be at most"),
    ([*TRAIN, "--vocab-size", "300", "--seed", "-1"], "--seed must be in [0, 4294967295], not -1"),
    ([*TRAIN, "--vocab-size", "300", "--json", "{dir}", "--force"], "{dir} is a folder; name a file to write"),
    (["train", "unigram", "{corpus}", "--out", "{out}", "--vocab-size", "400", "--num-threads", "5000"], "--num-threads must be in [1, 1024]"),
    (["train", "bpe", "{out}/missing.txt", "--out", "{out}", "--vocab-size", "300"], "missing.txt"),
])
def test_train(capsys, files, tmp_path, args, message):
    run_table(capsys, files, tmp_path, args, message)


@pytest.mark.parametrize("change, message", [
    ({"specials": [0, 1]}, "tokkit.json: specials must be an object, not [0, 1]"),
    ({"specials": {"bos": "x"}}, 'tokkit.json: specials.bos must be a whole number, not "x"'),
    ({"specials": {"bos": 0.5}}, "tokkit.json: specials.bos must be a whole number, not 0.5"),
    ({"format": 3}, "tokkit.json: format must be a string, not 3"),
    ({"params": "x"}, 'tokkit.json: params must be an object, not "x"'),
    (None, "tokkit.json must be an object, not [1, 2]"),
])
def test_info_on_a_wrong_typed_tokkit_json(capsys, files, tmp_path, change, message):
    tok = tmp_path / "tok"
    shutil.copytree(files["tok"], tok)
    if change is None:
        (tok / "tokkit.json").write_text("[1, 2]")
    else:
        break_tokkit_json(tok, **change)
    run_table(capsys, files, tmp_path, ["info", "{tok}"], message)


@pytest.mark.parametrize("args, message", [
    (["info", "{out}"], "no tokenizer at {out}"),
    (["info", "{tok}", "--json", "{dir}", "--force"], "{dir} is a folder; name a file to write"),
    (["info", "{dir}"], "cannot tell what tokenizer format {dir} is"),
])
def test_info(capsys, files, tmp_path, args, message):
    run_table(capsys, files, tmp_path, args, message)


SWEEP = ["sweep", "bpe", "--langs", "eng_Latn,tur_Latn", "--train-corpus", "sample:parallel", "--eval-corpus", "sample:parallel",
         "--out", "{out}"]


@pytest.mark.parametrize("args, header, message", [
    (["report", "{res}"], {"tokenizers": "abc"}, 'header.tokenizers must be a list, not "abc"'),
    (["report", "{res}", "--format", "html", "--out", "{out}"], {"corpora": ["a", "b"]}, 'header.corpora[0] must be an object, not "a"'),
    (["report", "{res}", "--format", "md"], {"dropped": {"a": 1}}, 'header.dropped must be a list, not {"a": 1}'),
    (["report", "{res}"], {"pivot": ["eng_Latn"]}, 'header.pivot must be a string, not ["eng_Latn"]'),
    (["report", "{res}", "--format", "md", "--out", "{dir}", "--force"], None, "{dir} is a folder; name a file to write"),
    (["report", "{res}", "--format", "pdf"], None, "--format must be one of table, md, csv, html, json, not 'pdf'"),
    (["eval", "{tok}", "--corpus", "sample:eng", "--metrics", ""], None, "--metrics names no metric"),
    (["eval", "{tok}", "--corpus", "sample:eng", "--json", "{dir}", "--force"], None, "{dir} is a folder; name a file to write"),
    (["eval", "{tok}", "--corpus", "sample:eng", "--alpha", "inf"], None, "--alpha must be a finite number, not inf"),
    (["eval", "{tok}", "--corpus", "sample:parallel", "--pivot", "xxx_Latn"], None, "--pivot xxx_Latn is not a language of sample:parallel"),
    ([*SWEEP, "--vocab-sizes", "inf"], None, "vocabulary size 'inf' is not a number"),
    ([*SWEEP, "--vocab-sizes", "1e9"], None, "vocabulary size 1,000,000,000 is above the 16,777,216"),
    ([*SWEEP, "--vocab-sizes", "300", "--tolerance", "nan"], None, "--tolerance must be a finite number, not nan"),
])
def test_eval_report_and_sweep(capsys, files, tmp_path, args, header, message):
    run_table(capsys, files, tmp_path, args, message, prepare=header)


@pytest.mark.parametrize("args, message", [
    (["demo", "--vocab-size", "0"], "vocabulary size 0 is below the 258"),
    (["demo", "--vocab-size", "1000000000"], "vocabulary size 1,000,000,000 is above the 16,777,216"),
    (["demo", "--json", "{dir}", "--force"], "{dir} is a folder; name a file to write"),
    (["demo", "--out", "{dir}"], "{dir} exists; pass --force to overwrite it"),
])
def test_demo(capsys, files, tmp_path, args, message):
    run_table(capsys, files, tmp_path, args, message)


@pytest.mark.parametrize("args, message", [
    (["transplant", "--model", "{out}", "--tokenizer", "{tok}", "--out", "{out}"], "no model at {out}"),
    (["transplant", "--model", "{tok}", "--tokenizer", "{tok}", "--out", "{out}"], "{tok} is not a model folder: it has no config.json"),
    (["transplant", "--model", "{tok}", "--tokenizer", "{tok}", "--out", "{out}", "--device", "foo"], "--device must be auto, cpu, cuda or cuda:N"),
    (["transplant", "--model", "{tok}", "--tokenizer", "{tok}", "--out", "{out}", "--json", "{dir}", "--force"], "{dir} is a folder"),
    (["score", "--model", "{out}", "--corpus", "sample:eng"], "no model at {out}"),
    (["score", "--model", "{tok}", "--corpus", "sample:eng", "--json", "{dir}", "--force"], "{dir} is a folder"),
])
def test_transplant_and_score(capsys, files, tmp_path, args, message):
    pytest.importorskip("torch")
    run_table(capsys, files, tmp_path, args, message)


@pytest.mark.parametrize("args, message", [
    (["bytes", "next", "--model", "{tok}", "x", "--top", "0"], "--top must be at least 1, not 0"),
    (["bytes", "next", "--model", "{tok}", "x"], "{tok} is not a model folder: it has no config.json"),
    (["bytes", "next", "--model", "{tok}", "x", "--json", "{dir}", "--force"], "{dir} is a folder; name a file to write"),
    (["bytes", "next", "--model", "{tok}", ""], "the prompt is empty"),
    (["bytes", "generate", "--model", "{tok}", "--prompt", "x", "--max-bytes", "0"], "--max-bytes must be at least 1, not 0"),
    (["bytes", "generate", "--model", "{tok}", "--prompt", "x", "--seed", "-1"], "--seed must be at least 0, not -1"),
    (["bytes", "generate", "--model", "{tok}", "--prompt", "x", "--temperature", "nan"], "--temperature must be a finite number, not nan"),
    (["bytes", "generate", "--model", "{tok}", "--prompt", "\\xZZ", "--escapes"], "the prompt has a bad escape"),
    (["bytes", "fim", "--model", "{tok}", "--prefix", "x", "--suffix", "y", "--format", "mps"], "--format must be one of psm, spm"),
    (["bytes", "ensemble", "--model", "{tok}", "--prompt", "x"], "--model needs at least two members"),
    (["bytes", "ensemble", "--model", "{tok}", "--model", "{tok}", "--prompt", "x", "--weight", "-1", "--weight", "1"],
     "--weight must be above 0, not -1.0"),
])
def test_bytes(capsys, files, tmp_path, args, message):
    """Refusals that come before a model loads; those against a model's context are in
    test_byte_level_cli.py."""
    pytest.importorskip("torch")
    run_table(capsys, files, tmp_path, args, message)


@pytest.mark.parametrize("args, flag", [
    (["train", "bpe", "{corpus}", "--out", "{out}", "--vocab-size", "300", "--seed", "1.5"], "--seed"),
    (["train", "bpe", "{corpus}", "--out", "{out}", "--vocab-size", "300", "--min-frequency", "1e9"], "--min-frequency"),
    (["demo", "--vocab-size", "1.5"], "--vocab-size"),
    (["bytes", "next", "--model", "{tok}", "x", "--top", "1e9"], "--top"),
    (["bytes", "generate", "--model", "{tok}", "--prompt", "x", "--max-bytes", "1e9"], "--max-bytes"),
    (["transplant", "--model", "{tok}", "--tokenizer", "{tok}", "--out", "{out}", "--top-k", "1e9"], "--top-k"),
    (["score", "--model", "{tok}", "--corpus", "sample:eng", "--limit", "2.5"], "--limit"),
    (["sweep", "bpe", "--langs", "eng_Latn", "--vocab-sizes", "300", "--train-corpus", "sample:parallel", "--out", "{out}", "--jobs", "1.5"], "--jobs"),
])
def test_a_float_for_a_whole_number_option_is_a_usage_error(capsys, files, tmp_path, args, flag):
    """click's usage error (exit 2): the usage line and one message naming the option."""
    values = {"tok": files["tok"], "out": tmp_path / "out", "corpus": files["corpus"]}
    code, _, err = cli(capsys, *[fill(a, values) for a in args])
    message = " ".join(line.strip("│╭╮╰╯─ ") for line in err.splitlines())  # the message in click's box, unwrapped
    assert code == 2 and "Traceback" not in err
    assert f"Invalid value for '{flag}'" in message and "valid integer" in message, message
    assert not (tmp_path / "out").exists()
