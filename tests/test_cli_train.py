"""`tokkit train`, `tokkit info` and `tokkit demo` as a user runs them, bad input included."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import cli, one_error_line

import tokkit


@pytest.fixture
def corpus_file(tmp_path):
    from conftest import mixed_texts

    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(mixed_texts()) + "\n", encoding="utf-8")
    return path


def test_train_one_size_writes_a_loadable_folder(capsys, corpus_file, tmp_path):
    out = tmp_path / "tok"
    code, stdout, _ = cli(capsys, "train", "bpe", corpus_file, "--vocab-size", "400", "--out", out, "--json", tmp_path / "summary.json")
    assert code == 0
    assert "400" in stdout
    tokenizer = tokkit.load(out)
    assert tokenizer.vocab_size == 400
    assert tokenizer.provenance.params["pretokenizer"] == "cl100k"
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["algorithm"] == "bpe" and summary["tokenizers"] == {"400": str(out)}


def test_train_several_sizes_and_algorithm_options(capsys, corpus_file, tmp_path):
    out = tmp_path / "sweep"
    code, _, err = cli(capsys, "train", "bpe", corpus_file, "--vocab-size", "300,400", "--out", out,
                       "--pretokenizer", "gpt2", "--split-digits", "--seed", "3")
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["vocab-300", "vocab-400"]
    small = tokkit.load(out / "vocab-300")
    assert small.vocab_size == 300
    assert small.provenance.params == {"pretokenizer": "gpt2", "split_digits": True, "min_frequency": 2, "vocab_size": 300}
    assert small.provenance.seed == 3
    assert [small.id_to_token(i) for i in small.encode("2024")] == ["2", "0", "2", "4"]


def test_existing_output_needs_force(capsys, corpus_file, tmp_path):
    out = tmp_path / "tok"
    out.mkdir()
    code, _, err = cli(capsys, "train", "bpe", corpus_file, "--vocab-size", "300", "--out", out)
    assert code == 1 and "exists" in one_error_line(err) and "--force" in err
    assert list(out.iterdir()) == []
    code, _, _ = cli(capsys, "train", "bpe", corpus_file, "--vocab-size", "300", "--out", out, "--force")
    assert code == 0 and (out / "tokenizer.json").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--vocab-size", "100"], "below the 258"),
        (["--vocab-size", "90000"], "gives only"),
        (["--vocab-size", "lots"], "not a number"),
        (["--vocab-size", "300", "--pretokenizer", "nope"], "--pretokenizer must be one of gpt2, cl100k"),
        (["--vocab-size", "300", "--encoding-errors", "maybe"], "--encoding-errors must be one of strict, replace, skip, not 'maybe'"),
        (["--vocab-size", "300", "--min-frequency", "-5"], "--min-frequency must be at least 0, not -5"),
    ],
)
def test_bad_training_requests(capsys, corpus_file, tmp_path, args, message):
    out = tmp_path / "tok"
    code, _, err = cli(capsys, "train", "bpe", corpus_file, "--out", out, *args)
    assert code == 1 and message in one_error_line(err)
    assert not out.exists()


def test_bad_corpora(capsys, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    code, _, err = cli(capsys, "train", "bpe", empty, "--vocab-size", "300", "--out", tmp_path / "a")
    assert code == 1 and "empty" in one_error_line(err)

    code, _, err = cli(capsys, "train", "bpe", tmp_path / "missing.txt", "--vocab-size", "300", "--out", tmp_path / "b")
    assert code == 1 and "missing.txt" in one_error_line(err)

    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("ok line\n".encode() * 50 + "caf\xe9\n".encode("latin-1"))
    code, _, err = cli(capsys, "train", "bpe", latin1, "--vocab-size", "258", "--out", tmp_path / "c")
    line = one_error_line(err)
    assert code == 1 and "latin1.txt" in line and "403" in line and "--encoding-errors" in line
    code, _, err = cli(capsys, "train", "bpe", latin1, "--vocab-size", "258", "--out", tmp_path / "c", "--encoding-errors", "replace")
    assert code == 0, err


def test_train_on_a_seeded_sample_and_hear_what_is_sampled(capsys, corpus_file, tmp_path):
    from tokkit.corpora import open_corpus

    out = tmp_path / "tok"
    code, _, err = cli(capsys, "train", "bpe", corpus_file, "--vocab-size", "300", "--sample", "0.5", "--seed", "2", "--out", out)
    assert code == 0, err
    recorded = tokkit.load(out).provenance.corpus
    assert recorded["sample"] == 0.5 and recorded["seed"] == 2
    assert recorded["sha256"] == open_corpus(str(corpus_file), sample=0.5, seed=2).fingerprint()
    code, _, err = cli(capsys, "train", "unigram", corpus_file, "--vocab-size", "440", "--max-sentences", "150",
                       "--out", tmp_path / "uni")
    assert code == 0 and "trains on a seeded sample of 150 of the 330 texts (max_sentences, --max-sentences; 0 trains on all)" in err
    code, _, err = cli(capsys, "train", "bpe", corpus_file, "--vocab-size", "300", "--sample", "half", "--out", tmp_path / "x")
    assert code == 1 and "--sample 'half' is neither a fraction" in one_error_line(err)


def test_unknown_algorithm(capsys, corpus_file, tmp_path):
    code, _, err = cli(capsys, "train", "wordpiece", corpus_file, "--vocab-size", "300", "--out", tmp_path / "x")
    assert code != 0 and "Traceback" not in err
    assert "wordpiece" in err


def test_unwritable_output_folder(capsys, corpus_file, tmp_path):
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x")
    code, _, err = cli(capsys, "train", "bpe", corpus_file, "--vocab-size", "300", "--out", a_file / "tok")
    assert code == 1 and "cannot write to" in one_error_line(err)
    code, _, err = cli(capsys, "train", "bpe", corpus_file, "--vocab-size", "300", "--out", "/proc/tokkit-test/tok")
    assert code == 1 and "cannot write to /proc/tokkit-test" in one_error_line(err)


def test_info_shows_a_tokenizer_and_refuses_a_corrupt_one(capsys, corpus_file, tmp_path):
    out = tmp_path / "tok"
    assert cli(capsys, "train", "bpe", corpus_file, "--vocab-size", "300", "--out", out)[0] == 0
    code, stdout, _ = cli(capsys, "info", out, "--json", tmp_path / "info.json")
    assert code == 0 and "vocab size" in stdout and "<|endoftext|>" in stdout
    facts = json.loads((tmp_path / "info.json").read_text())
    assert facts["vocab_size"] == 300 and facts["sample"]["roundtrip"] is True
    assert facts["special_tokens"]["eos"]["token"] == "<|endoftext|>"

    (out / "tokenizer.json").write_text('{"model": ')
    code, _, err = cli(capsys, "info", out / "tokenizer.json")
    assert code == 1 and "not a valid tokenizer.json" in one_error_line(err)


def test_the_installed_command_prints_one_line_and_no_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "tokkit.cli", "info", str(tmp_path / "nothing")], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.startswith("error: no tokenizer at") and "Traceback" not in result.stderr


def test_demo_runs_on_the_builtin_sample(capsys, tmp_path):
    code, stdout, err = cli(capsys, "demo", "--vocab-size", "600", "--json", tmp_path / "demo.json")
    assert code == 0, err
    for algo in ("bpe", "superword", "supertoken", "unigram", "char"):
        assert algo in stdout
    results = json.loads((tmp_path / "demo.json").read_text())
    roundtrips = [r["value"] for r in results["results"] if r["metric"] == "roundtrip_rate"]
    assert roundtrips and all(v == 1.0 for v in roundtrips)
    assert "next: " in stdout and "tokkit tokenize" in stdout  # it ends with what to try next


def test_the_demo_shows_superword_tokens_that_span_words(capsys):
    from tokkit.cli.demo import SENTENCES

    code, stdout, err = cli(capsys, "demo")
    assert code == 0, err
    # at the demo's own size superword learns tokens across words, and the demo says so
    note = next(line for line in stdout.splitlines() if line.startswith("superword (SuperBPE) made"))
    assert "·of·the" in note
    splits = {line.split("│")[1].strip(): line for line in stdout.split(SENTENCES[2])[1].splitlines()
              if line.count("│") > 3 and line.split("│")[1].strip() in ("bpe", "superword")}
    assert "·of·the" in splits["superword"] and "·of·the" not in splits["bpe"]
